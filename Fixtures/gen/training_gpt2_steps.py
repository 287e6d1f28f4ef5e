"""Reference for Tests/TransformerTests/GPT2TrainingStepsTests.swift: ten AdamW steps of a small
random Hugging Face GPT2LMHeadModel in PyTorch (float32, eager attention, dropout 0), with
torch.optim.AdamW in two parameter groups matching our default decay flags (decay on the four
Conv1D matrices of every block; none on biases, LayerNorms, wte/wpe and the tied lm_head),
clip_grad_norm_(1.0) and a warmup-stable-decay learning rate set by hand on every step:

    t < W:             peak * t / W
    W <= t < T - C:    peak
    T - C <= t < T:    peak * (1 - sqrt((t - (T - C)) / C))       (Hägele et al., 1-sqrt cooldown)

with T = 10, W = 2, C = int(0.4 * T) = 4. Odd sizes: n_embd 30, 5 heads (head_dim 6), vocab 53,
sequences of 11 of 16 positions, a few labels -100; four batches cycled (step t uses batch t % 4).

Writes Fixtures/training/gpt2_steps/: config.json + model.safetensors (the initial weights, by
save_pretrained) and steps.json {settings, batches, lrs, losses, grad_norms}; losses[t] is the loss
of step t before its update, grad_norms[t] the pre-clip global norm.
"""
import json
import math
import os

import torch
from transformers import GPT2Config, GPT2LMHeadModel

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "training", "gpt2_steps")
STEPS, WARMUP, FRACT, PEAK = 10, 2, 0.4, 5e-3
BETAS, EPS, WD, MAX_NORM = (0.9, 0.999), 1e-8, 0.1, 1.0
B, T, V = 3, 11, 53

torch.manual_seed(21)
cfg = GPT2Config(vocab_size=V, n_positions=16, n_embd=30, n_layer=2, n_head=5, activation_function="gelu_new",
                 layer_norm_epsilon=1e-5, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                 bos_token_id=0, eos_token_id=0)
model = GPT2LMHeadModel(cfg).float()
with torch.no_grad():  # non-trivial LayerNorm parameters and biases so every path moves
    for name, p in model.named_parameters():
        if p.dim() == 1:
            p.copy_((1.0 if name.endswith(".weight") else 0.0) + 0.05 * torch.randn(p.shape))
os.makedirs(OUT, exist_ok=True)
model.save_pretrained(OUT)
model = GPT2LMHeadModel.from_pretrained(OUT, attn_implementation="eager").float()
model.train()  # dropout probabilities are 0

g = torch.Generator().manual_seed(5)
batches = []
for i in range(STEPS):  # four distinct batches, cycled, so the loss falls visibly
    if i >= 4:
        batches.append(batches[i - 4])
        continue
    ids = torch.randint(0, V, (B, T), generator=g)
    labels = ids.clone()
    if i % 3 == 1:
        labels[0, 3] = -100
        labels[2, 6:] = -100
    batches.append((ids, labels))

DECAY = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight")
decay = [p for n, p in model.named_parameters() if n.endswith(DECAY)]
no_decay = [p for n, p in model.named_parameters() if not n.endswith(DECAY)]
assert len(decay) == 4 * cfg.n_layer
opt = torch.optim.AdamW([{"params": decay, "weight_decay": WD}, {"params": no_decay, "weight_decay": 0.0}],
                        lr=PEAK, betas=BETAS, eps=EPS)


def lr_at(t):
    cool = int(FRACT * STEPS)
    hold = STEPS - cool
    if t < WARMUP:
        return PEAK * t / WARMUP
    if t < hold:
        return PEAK
    return PEAK * (1 - math.sqrt((t - hold) / cool))


lrs, losses, norms = [], [], []
for t, (ids, labels) in enumerate(batches):
    lr = lr_at(t)
    for group in opt.param_groups:
        group["lr"] = lr
    opt.zero_grad(set_to_none=True)
    loss = model(input_ids=ids, labels=labels).loss
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), MAX_NORM)
    opt.step()
    lrs.append(lr); losses.append(loss.item()); norms.append(norm.item())
    print(f"step {t}: lr {lr:.6g} loss {float(loss):.7f} norm {float(norm):.5f}")

with open(os.path.join(OUT, "steps.json"), "w") as f:
    json.dump({"settings": {"steps": STEPS, "warmup": WARMUP, "cooldown_fraction": FRACT, "shape": "1-sqrt",
                            "peak_lr": PEAK, "beta1": BETAS[0], "beta2": BETAS[1], "epsilon": EPS,
                            "weight_decay": WD, "max_grad_norm": MAX_NORM},
               "batches": [{"input_ids": i.tolist(), "labels": l.tolist()} for i, l in batches],
               "lrs": lrs, "losses": losses, "grad_norms": norms}, f, indent=1)
