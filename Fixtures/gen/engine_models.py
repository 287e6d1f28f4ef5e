"""Whole-model fixtures for the Transformer engine (Fixtures/engine/<case>/).

For small random GPT-2 (`GPT2LMHeadModel`) and BERT (`BertForMaskedLM`) models with odd sizes
(head_dim not a power of two, vocab not a multiple of 8, sequences shorter than the position
table, BERT padding and token types), writes:
  config.json + model.safetensors   the HF directory, by `save_pretrained` (float32)
  batch.json                        {"input_ids", "labels", ["attention_mask", "token_type_ids"]}
  expected.json                     {"loss": ..., "saved_keys": [...]}  (keys save_pretrained wrote)
  grads.safetensors                 d(loss)/d(param) for every saved parameter (tied: summed, as autograd does)
The reference runs in float64 (`model.double()`) on the float32 weights, dropout off (eval mode).

`python engine_models.py hub` writes only the Hub-layout cases of `hub_cases`; `python engine_models.py untied` only
`gpt2_untied` (`untied_cases`).

Check of our writer: `python engine_models.py --check DIR ORIGINAL_CASE` loads a directory saved by
the Swift engine with `from_pretrained` and asserts it has exactly the original's tensors and config.
Fixtures/engine/swift_saved/<case> are such directories (written by the Swift test
`savedCheckpointMatchesCommittedBytes` with AUTOSCALE_WRITE_SWIFT_SAVED=1); this script checks them.
"""
import json, os, sys
import torch
from safetensors import safe_open
from safetensors.torch import save_file
from transformers import GPT2Config, GPT2LMHeadModel, BertConfig, BertForMaskedLM, BertForPreTraining, BertModel

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "engine")


def perturb(model, g):
    """Non-trivial weights: every tensor random (LayerNorm weights near 1), so every path is exercised."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2:
                p.copy_(torch.randn(p.shape, generator=g) * 0.15)
            elif "LayerNorm.weight" in name or name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name.endswith("ln_f.weight"):
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.05 * torch.randn(p.shape, generator=g))


def build(case, cls, config, batch, seed, save=None, ref_cls=None):
    """`save`: extra save_pretrained arguments (sharding); `ref_cls`: the class the reference loads the folder as
    (default `cls`); saved_keys are then the reference's parameters among the saved tensors."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = cls(config).float().eval()
    perturb(model, g)
    out = os.path.join(ROOT, case)
    os.makedirs(out, exist_ok=True)
    model.save_pretrained(out, **(save or {}))
    index = os.path.join(out, "model.safetensors.index.json")
    files = sorted(set(json.load(open(index))["weight_map"].values())) if os.path.exists(index) else ["model.safetensors"]
    saved = []
    for name in files:
        with safe_open(os.path.join(out, name), "pt") as f:
            saved += list(f.keys())
    # reference in float64 on the same float32 weights
    ref = (ref_cls or cls).from_pretrained(out, attn_implementation="eager").double().eval()
    saved = sorted(k for k in saved if k in dict(ref.named_parameters()))
    kw = {k: torch.tensor(v) for k, v in batch.items()}
    kw.setdefault("labels", kw["input_ids"])  # our default: labels = input_ids (shifted inside)
    loss = ref(**kw).loss
    loss.backward()
    named = dict(ref.named_parameters())
    grads = {k: named[k].grad.float().contiguous() for k in saved}
    save_file(grads, os.path.join(out, "grads.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(out, "batch.json"), "w") as f:
        json.dump(batch, f)
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump({"loss": float(loss.detach()), "saved_keys": saved}, f, indent=1)
    print(case, "loss", float(loss.detach()), "params", sum(p.numel() for p in ref.parameters()))


def gpt2_cases():
    # head_dim 6, vocab 53, 11 of 16 positions, some labels ignored
    cfg = GPT2Config(vocab_size=53, n_positions=16, n_embd=30, n_layer=2, n_head=5, activation_function="gelu_new",
                     layer_norm_epsilon=1e-5, bos_token_id=0, eos_token_id=0)
    g = torch.Generator().manual_seed(7)
    ids = torch.randint(0, 53, (3, 11), generator=g)
    labels = ids.clone()
    labels[0, 4] = -100; labels[1, 0] = -100; labels[2, 7:] = -100
    build("gpt2_odd", GPT2LMHeadModel, cfg, {"input_ids": ids.tolist(), "labels": labels.tolist()}, seed=11)
    # labels omitted (defaults to input_ids), one layer, n_inner given, head_dim 7
    cfg = GPT2Config(vocab_size=37, n_positions=9, n_embd=21, n_layer=1, n_head=3, n_inner=50,
                     activation_function="gelu_new", layer_norm_epsilon=1e-5, bos_token_id=0, eos_token_id=0)
    ids = torch.randint(0, 37, (2, 9), generator=g)
    build("gpt2_nolabels", GPT2LMHeadModel, cfg, {"input_ids": ids.tolist()}, seed=12)


def bert_cases():
    # head_dim 10, vocab 61, 13 of 20 positions, padding on two rows, token types, ~30% labelled
    cfg = BertConfig(vocab_size=61, hidden_size=30, num_hidden_layers=2, num_attention_heads=3, intermediate_size=50,
                     max_position_embeddings=20, type_vocab_size=2, layer_norm_eps=1e-12, hidden_act="gelu")
    g = torch.Generator().manual_seed(8)
    B, T = 3, 13
    ids = torch.randint(1, 61, (B, T), generator=g)
    mask = torch.ones(B, T, dtype=torch.long)
    mask[1, 9:] = 0; mask[2, 5:] = 0
    ids[mask == 0] = 0
    types = torch.zeros(B, T, dtype=torch.long)
    types[0, 6:] = 1; types[2, 3:5] = 1
    labels = torch.full((B, T), -100)
    pick = (torch.rand(B, T, generator=g) < 0.3) & (mask == 1)
    pick[0, 2] = True
    labels[pick] = torch.randint(0, 61, (B, T), generator=g)[pick]
    build("bert_odd", BertForMaskedLM, cfg, {"input_ids": ids.tolist(), "labels": labels.tolist(),
                                             "attention_mask": mask.tolist(), "token_type_ids": types.tolist()}, seed=13)


def hub_cases():
    """The layouts Hub users have (issue 18, "Read what users have"), each with the reference of the model we load:
      gpt2_padded      right padding: attention_mask 1..1 0..0 per row, labels -100 at the padded positions (as
                       DataCollatorForLanguageModeling sets them); HF runs with the mask
      gpt2_sharded     save_pretrained(max_shard_size=...): model.safetensors.index.json + shards
      gpt2_bin_only    safe_serialization=False: pytorch_model.bin only (we refuse, naming safetensors)
      bert_pretraining BertForPreTraining (pooler + NSP head); the reference is BertForMaskedLM.from_pretrained of it
      bert_model_only  BertModel (no MLM head; we refuse, saying what is missing)
    """
    gcfg = GPT2Config(vocab_size=53, n_positions=16, n_embd=30, n_layer=2, n_head=5, activation_function="gelu_new",
                      layer_norm_epsilon=1e-5, bos_token_id=0, eos_token_id=0)
    g = torch.Generator().manual_seed(21)
    ids = torch.randint(0, 53, (3, 12), generator=g)
    mask = torch.ones(3, 12, dtype=torch.long)
    mask[1, 7:] = 0; mask[2, 10:] = 0
    ids[mask == 0] = 0
    labels = ids.clone(); labels[mask == 0] = -100; labels[0, 3] = -100
    build("gpt2_padded", GPT2LMHeadModel, gcfg, {"input_ids": ids.tolist(), "labels": labels.tolist(),
                                                  "attention_mask": mask.tolist()}, seed=22)
    ids = torch.randint(0, 53, (2, 10), generator=g)
    build("gpt2_sharded", GPT2LMHeadModel, gcfg, {"input_ids": ids.tolist()}, seed=23, save={"max_shard_size": "40KB"})
    small = GPT2Config(vocab_size=17, n_positions=8, n_embd=8, n_layer=1, n_head=2, bos_token_id=0, eos_token_id=0)
    out = os.path.join(ROOT, "gpt2_bin_only")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(24)
    GPT2LMHeadModel(small).save_pretrained(out)
    # transformers 5 always writes safetensors: the pickle-only layout of older saves is made by hand
    torch.save(GPT2LMHeadModel.from_pretrained(out).state_dict(), os.path.join(out, "pytorch_model.bin"))
    os.remove(os.path.join(out, "model.safetensors"))
    bcfg = BertConfig(vocab_size=61, hidden_size=30, num_hidden_layers=2, num_attention_heads=3, intermediate_size=50,
                      max_position_embeddings=20, type_vocab_size=2, layer_norm_eps=1e-12, hidden_act="gelu")
    B, T = 2, 11
    ids = torch.randint(1, 61, (B, T), generator=g)
    labels = torch.full((B, T), -100)
    pick = torch.rand(B, T, generator=g) < 0.3
    pick[0, 1] = True
    labels[pick] = torch.randint(0, 61, (B, T), generator=g)[pick]
    build("bert_pretraining", BertForPreTraining, bcfg, {"input_ids": ids.tolist(), "labels": labels.tolist()}, seed=25,
          ref_cls=BertForMaskedLM)
    out = os.path.join(ROOT, "bert_model_only")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(26)
    BertModel(BertConfig(vocab_size=19, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16,
                         max_position_embeddings=8)).save_pretrained(out)


def untied_cases():
    """gpt2_untied: tie_word_embeddings=False, so lm_head.weight is its own (V, C) parameter, saved and with its own
    gradient; wte's gradient then comes from the embedding lookup alone."""
    cfg = GPT2Config(vocab_size=53, n_positions=16, n_embd=30, n_layer=2, n_head=5, activation_function="gelu_new",
                     layer_norm_epsilon=1e-5, bos_token_id=0, eos_token_id=0, tie_word_embeddings=False)
    g = torch.Generator().manual_seed(31)
    ids = torch.randint(0, 53, (3, 11), generator=g)
    labels = ids.clone()
    labels[0, 5] = -100; labels[2, 8:] = -100
    build("gpt2_untied", GPT2LMHeadModel, cfg, {"input_ids": ids.tolist(), "labels": labels.tolist()}, seed=32)
    with safe_open(os.path.join(ROOT, "gpt2_untied", "model.safetensors"), "pt") as f:
        a, b = f.get_tensor("lm_head.weight"), f.get_tensor("transformer.wte.weight")
    assert not torch.equal(a, b), "the untied head must differ from wte"


def check(saved_dir, case):
    """from_pretrained must load our directory with exactly the original's tensors."""
    orig = os.path.join(ROOT, case)
    cls = GPT2LMHeadModel if case.startswith("gpt2") else BertForMaskedLM
    ours, info = cls.from_pretrained(saved_dir, output_loading_info=True)
    assert not any(info[k] for k in ("missing_keys", "unexpected_keys", "mismatched_keys", "error_msgs")), info
    theirs = cls.from_pretrained(orig)
    a, b = ours.state_dict(), theirs.state_dict()
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    same = {"transformers_version": 0, "_name_or_path": 0}
    assert ours.config.to_dict() | same == theirs.config.to_dict() | same
    print("from_pretrained loads", saved_dir, "== ", orig)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--check":
        check(sys.argv[2], sys.argv[3])
        sys.exit(0)
    if sys.argv[1:] == ["hub"]:  # only the Hub-layout cases (the others keep their committed bytes)
        hub_cases()
        sys.exit(0)
    if sys.argv[1:] == ["untied"]:
        untied_cases()
        sys.exit(0)
    gpt2_cases()
    bert_cases()
    hub_cases()
    untied_cases()
    swift = os.path.join(ROOT, "swift_saved")
    for case in sorted(os.listdir(swift)) if os.path.isdir(swift) else []:
        check(os.path.join(swift, case), case)
