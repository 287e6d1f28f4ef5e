"""Reference learning rates for Tests/TrainingTests/ScheduleTests.swift.

Warmup-stable-decay and cooldown branches: the formulas of Hägele et al. (arXiv 2405.18392,
Sec. 3 and their reference code `wsd_schedule`), evaluated in Python floats at the 0-based step t
(the step whose update uses the rate, as LambdaLR):
    t < W:            s0 + (1 - s0) * t / W                (s0 = 1 / init_div_factor)
    W <= t < T - C:   1
    T - C <= t < T:   phi + (1 - phi) * f((t - (T - C)) / C)
    t >= T:           phi
with f = 1 - x (linear), 1 - sqrt(x), (1 + cos(pi x)) / 2, 1 - x^2, all times the peak rate.

Cosine: PyTorch's own schedulers (SequentialLR of LinearLR warmup and CosineAnnealingLR with
eta_min = phi * peak), read from the optimizer after each scheduler step; checked here against
the closed form to 1e-12.

Writes Fixtures/training/schedules.json.
"""
import json
import math
import os

import torch

SHAPES = {
    "linear": lambda x: 1 - x,
    "1-sqrt": lambda x: 1 - math.sqrt(x),
    "cosine": lambda x: 0.5 * (1 + math.cos(math.pi * x)),
    "square": lambda x: 1 - x * x,
}


def wsd(peak, warmup, s0, total, cool, shape, phi, t):
    hold = total - cool
    if t < warmup:
        return peak * (s0 + (1 - s0) * t / warmup)
    if t < hold:
        return peak
    if t < total:
        return peak * (phi + (1 - phi) * SHAPES[shape]((t - hold) / cool))
    return peak * phi


def torch_cosine(peak, warmup, s0, total, phi, n):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=peak)
    warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=s0, end_factor=1.0, total_iters=warmup)
    cos = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total - warmup, eta_min=phi * peak)
    sched = torch.optim.lr_scheduler.SequentialLR(opt, [warm, cos], milestones=[warmup])
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


cases = []
for shape in SHAPES:
    for (peak, warmup, s0, total, fract, phi) in [(1e-3, 10, 0.0, 100, 0.2, 0.0), (3e-4, 7, 0.01, 61, 0.3, 0.1)]:
        cool = int(fract * total)
        cases.append({"kind": "wsd", "shape": shape, "peak": peak, "warmup": warmup, "warmup_start": s0,
                      "total": total, "cooldown_fraction": fract, "cooldown_steps": cool, "final_fraction": phi,
                      "lrs": [wsd(peak, warmup, s0, total, cool, shape, phi, t) for t in range(total + 3)]})
# Explicit cooldown length and no warmup.
cases.append({"kind": "wsd", "shape": "1-sqrt", "peak": 2e-3, "warmup": 0, "warmup_start": 0.0, "total": 50,
              "cooldown_fraction": None, "cooldown_steps": 7, "final_fraction": 0.0,
              "lrs": [wsd(2e-3, 0, 0.0, 50, 7, "1-sqrt", 0.0, t) for t in range(53)]})
# Constant trunk and cooldown branches from it at step s over n steps (WSD with T = s + n, C = n).
trunk = {"peak": 1e-3, "warmup": 10, "warmup_start": 0.0}
cases.append({"kind": "constant", **trunk, "lrs": [wsd(1e-3, 10, 0.0, 10**9, 1, "linear", 0.0, t) for t in range(80)]})
for (s, n, shape) in [(40, 20, "1-sqrt"), (60, 6, "linear"), (10, 5, "square")]:
    cases.append({"kind": "branch", **trunk, "branch_step": s, "length": n, "shape": shape,
                  "lrs": [wsd(1e-3, 10, 0.0, s + n, n, shape, 0.0, t) for t in range(s + n + 2)]})
# Cosine from PyTorch's schedulers.
for (peak, warmup, s0, total, phi) in [(1e-3, 10, 0.01, 100, 0.1), (6e-4, 3, 0.2, 37, 0.0)]:
    lrs = torch_cosine(peak, warmup, s0, total, phi, total + 1)
    for t, lr in enumerate(lrs):
        closed = peak * (s0 + (1 - s0) * t / warmup) if t < warmup else \
            peak * (phi + (1 - phi) * 0.5 * (1 + math.cos(math.pi * min(1, (t - warmup) / (total - warmup)))))
        assert abs(lr - closed) <= 1e-12 * peak, (t, lr, closed)
    cases.append({"kind": "cosine", "peak": peak, "warmup": warmup, "warmup_start": s0, "total": total,
                  "final_fraction": phi, "lrs": lrs})

path = os.path.join(os.path.dirname(__file__), "..", "training", "schedules.json")
with open(path, "w") as f:
    json.dump({"cases": cases}, f)
print("wrote", os.path.normpath(path), len(cases), "cases")
