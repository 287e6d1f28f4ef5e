"""PyTorch reference for `autoscale bench` (make bench): full eager training steps (forward,
backward, clip_grad_norm_(1.0), torch.optim.AdamW) of a randomly initialized Hugging Face
GPT2LMHeadModel or BertForMaskedLM at the same sizes and thread count, measured in the same run,
both eager and under torch.compile (inductor, CPU; the model's forward+loss compiled, backward through
AOTAutograd, the optimizer step eager as usual).

Reads our `autoscale bench --json` object on stdin (or nothing with --ours-missing) and prints one
line: ours, eager, compile, the best of the two, and the ratio ours/best in tokens/s; then, when our
object has gemm_bound_tokens_per_s (the step's GEMM roofline), that bound, its ratio to the best
reference and the fraction of it we reach. A compile that fails prints its reason and counts eager only.

Memory (issue 19: peak <= 1.5x the eager framework's): the eager run's peak resident set above the
process's resident set just before it (Linux: `/proc/self/clear_refs` resets `VmHWM` after the imports,
so the libraries' own pages and the import's transients are not counted), against ours measured the same
way (`peak_resident_bytes - baseline_resident_bytes`: `VmHWM` before our model is built).
"""
import argparse
import json
import sys
import time

import torch

p = argparse.ArgumentParser()
p.add_argument("--name", default="")
p.add_argument("--arch", choices=["gpt2", "bert"], required=True)
for k in ["layers", "embd", "heads", "vocab", "ctx", "batch", "steps"]:
    p.add_argument(f"--{k}", type=int, required=True)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--warmup", type=int, default=2)
p.add_argument("--ours-missing", action="store_true")
p.add_argument("--no-compile", action="store_true", help="eager only")
a = p.parse_args()
ours = None if a.ours_missing else json.load(sys.stdin)

import transformers  # noqa: E402  (after argument parsing: slow import)

transformers.logging.set_verbosity_error()

torch.manual_seed(0)
torch.set_num_threads(a.threads)
ids = torch.randint(0, a.vocab, (a.batch, a.ctx))
if a.arch == "gpt2":
    cfg = transformers.GPT2Config(vocab_size=a.vocab, n_positions=a.ctx, n_embd=a.embd, n_layer=a.layers,
                                  n_head=a.heads, bos_token_id=0, eos_token_id=0, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    inputs = {"input_ids": ids, "labels": ids}
else:
    cfg = transformers.BertConfig(vocab_size=a.vocab, hidden_size=a.embd, num_hidden_layers=a.layers,
                                  num_attention_heads=a.heads, intermediate_size=4 * a.embd,
                                  max_position_embeddings=a.ctx, hidden_dropout_prob=0.0,
                                  attention_probs_dropout_prob=0.0)
    # As `autoscale bench`: [CLS] w... [SEP] with w uniform in 4..<vocab, dynamic masking every step
    # (HF's DataCollatorForLanguageModeling rule: 15% of non-special positions; 80% [MASK], 10% random, 10% kept).
    ids = torch.randint(4, a.vocab, (a.batch, a.ctx))
    ids[:, 0], ids[:, -1] = 1, 2
    mask_inputs = {"attention_mask": torch.ones_like(ids)}


def masked_batch():
    if a.arch != "bert":
        return inputs
    special = (ids == 1) | (ids == 2)
    selected = (torch.rand(ids.shape) < 0.15) & ~special
    labels = torch.where(selected, ids, torch.full_like(ids, -100))
    u = torch.rand(ids.shape)
    x = torch.where(selected & (u < 0.8), torch.full_like(ids, 3), ids)
    x = torch.where(selected & (u >= 0.8) & (u < 0.9), torch.randint(0, a.vocab, ids.shape), x)
    return {"input_ids": x, "labels": labels, **mask_inputs}


def resident(field):
    """`VmRSS` or `VmHWM` of this process in bytes, or None off Linux."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def reset_peak():
    """Reset `VmHWM` to the current resident set (Linux >= 4.0); False when the kernel refuses."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def measure(compiled):
    """Tokens/s of full training steps of a fresh model (same seed) eager or compiled."""
    torch.manual_seed(0)
    model = (transformers.GPT2LMHeadModel(cfg) if a.arch == "gpt2" else transformers.BertForMaskedLM(cfg))
    model.train()
    forward = torch.compile(model) if compiled else model
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = forward(**masked_batch()).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    # Compilation happens in the first steps: a longer warm-up for compile so it is not timed.
    for _ in range(a.warmup + (3 if compiled else 0)):
        step()
    start = time.perf_counter()
    for _ in range(a.steps):
        step()
    return a.batch * a.ctx * a.steps / (time.perf_counter() - start)


have_reset = reset_peak()
eager_base = resident("VmRSS")
eager = measure(False)
eager_peak = resident("VmHWM")
eager_mem = (eager_peak - eager_base) if have_reset and eager_base and eager_peak else None
compiled, why = None, ""
if not a.no_compile:
    try:
        compiled = measure(True)
    except Exception as e:  # noqa: BLE001  (inductor needs a C compiler; report, do not fail the bench)
        why = f" (torch.compile failed: {type(e).__name__}: {str(e).splitlines()[0][:120]})"
ref = max(eager, compiled or 0.0)
best = "compile" if compiled and compiled > eager else "eager"
refs = f"eager {eager:,.0f}" + (f"  compile {compiled:,.0f}" if compiled else "  compile -" + why)

if ours is None:
    print(f"{a.name:>6} {a.arch}: torch {refs} tokens/s ({a.threads} threads); ours not measured")
else:
    print(f"{a.name:>6} {a.arch}: ours {ours['tokens_per_s']:,.0f} tokens/s ({ours['gflops']:.1f} GFLOP/s, "
          f"{100 * ours['peak_fraction']:.0f}% of sgemm peak)  torch {refs}  best {best}  "
          f"ratio {ours['tokens_per_s'] / ref:.2f}x  memory {ours.get('memory_ratio', float('nan')):.2f}x of "
          f"params+grads+AdamW+activations")
    ours_mem = (ours["peak_resident_bytes"] - ours["baseline_resident_bytes"]
                if "peak_resident_bytes" in ours and "baseline_resident_bytes" in ours else None)
    if ours_mem and eager_mem:
        print(f"{'':>6} {a.arch}: peak memory above the process baseline: ours {ours_mem / 2**20:.1f} MiB, "
              f"eager {eager_mem / 2**20:.1f} MiB = {ours_mem / eager_mem:.2f}x (whole process: ours "
              f"{ours['peak_resident_bytes'] / 2**20:.0f} MiB, eager {eager_peak / 2**20:.0f} MiB)")
    else:
        missing = ("our object has no peak_resident_bytes/baseline_resident_bytes" if not ours_mem
                   else "no /proc/self/clear_refs or VmHWM here")
        print(f"{'':>6} {a.arch}: peak memory against eager not measured ({missing})")
    if "gemm_bound_tokens_per_s" in ours:
        bound = ours["gemm_bound_tokens_per_s"]
        print(f"{'':>6} {a.arch}: GEMM-only bound {bound:,.0f} tokens/s = {bound / ref:.2f}x the best torch "
              f"(ours reaches {100 * ours['tokens_per_s'] / bound:.0f}% of it)")
