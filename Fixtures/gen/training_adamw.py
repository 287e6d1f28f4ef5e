"""Reference for Tests/TrainingTests/AdamWReferenceTests.swift: ten AdamW steps of a tiny bigram
language model in PyTorch (autograd, torch.optim.AdamW, clip_grad_norm_, gradient accumulation over
two micro-batches, a warmup-stable-decay schedule with a 1-sqrt cooldown).

Model (mirrors Tests/TrainingTests/BigramModel.swift): parameters wte [V, D] (no decay),
proj.weight [D, D] (decay), bias [V] (no decay); for every position t < T-1 whose target
labels[t+1] != -100: logits = (wte[x_t] @ proj) @ wte.T + bias; loss = mean cross-entropy.

The learning rate of step t (0-based) is the schedule of Hägele et al. (arXiv 2405.18392) as
written in their reference code: linear warmup t/W, constant, then peak * f((t - (T-C)) / C)
with f(x) = 1 - sqrt(x) over the last C = int(0.4 * T) steps.

Writes Fixtures/training/adamw_bigram.json.
"""
import json
import math
import os

import torch

torch.manual_seed(1234)
V, D, B, T = 13, 8, 3, 7
STEPS, K = 10, 2
PEAK, WARMUP, FRACT = 0.05, 2, 0.4
WD, MAX_NORM = 0.1, 0.5

wte = torch.nn.Parameter(0.5 * torch.randn(V, D))
proj = torch.nn.Parameter(0.5 * torch.randn(D, D))
bias = torch.nn.Parameter(0.1 * torch.randn(V))
init = {n: p.detach().clone() for n, p in [("wte.weight", wte), ("proj.weight", proj), ("bias", bias)]}


def make_batch(i):
    ids = torch.randint(0, V, (B, T))
    labels = ids.clone()
    if i % 3 == 1:  # some ignored targets
        labels[0, 2] = -100
        labels[2, 5] = -100
    return ids, labels


batches = [make_batch(i) for i in range(STEPS * K)]


def loss_fn(ids, labels):
    h = wte[ids[:, :-1]]                      # [B, T-1, D]
    logits = (h @ proj) @ wte.T + bias        # [B, T-1, V]
    return torch.nn.functional.cross_entropy(logits.reshape(-1, V), labels[:, 1:].reshape(-1), ignore_index=-100)


def lr_at(t):
    cool = int(FRACT * STEPS)
    hold = STEPS - cool
    if t < WARMUP:
        return PEAK * t / WARMUP
    if t < hold:
        return PEAK
    return PEAK * (1 - math.sqrt((t - hold) / cool))


opt = torch.optim.AdamW([{"params": [proj], "weight_decay": WD},
                         {"params": [wte, bias], "weight_decay": 0.0}],
                        lr=PEAK, betas=(0.9, 0.999), eps=1e-8)
steps = []
for s in range(STEPS):
    for g in opt.param_groups:
        g["lr"] = lr_at(s)
    opt.zero_grad(set_to_none=False)
    micro = []
    for k in range(K):
        ids, labels = batches[s * K + k]
        loss = loss_fn(ids, labels)
        (loss * (1.0 / K)).backward()
        micro.append(loss.item())
    norm = torch.nn.utils.clip_grad_norm_([wte, proj, bias], MAX_NORM).item()
    opt.step()
    steps.append({"loss": sum(micro) / K, "micro_losses": micro, "grad_norm": norm, "lr": lr_at(s),
                  "wte.weight": wte.detach().flatten().tolist(), "proj.weight": proj.detach().flatten().tolist(),
                  "bias": bias.detach().flatten().tolist()})

out = {
    "vocab": V, "dim": D, "batch": B, "seq": T, "steps": STEPS, "accumulation": K,
    "peak_lr": PEAK, "warmup": WARMUP, "cooldown_fraction": FRACT, "weight_decay": WD, "max_grad_norm": MAX_NORM,
    "init": {n: t.flatten().tolist() for n, t in init.items()},
    "batches": [{"input_ids": i.flatten().tolist(), "labels": l.flatten().tolist()} for i, l in batches],
    "steps_out": steps,
}
path = os.path.join(os.path.dirname(__file__), "..", "training", "adamw_bigram.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", os.path.normpath(path), "clipped steps:", sum(s["grad_norm"] > MAX_NORM for s in steps))
