"""Reference weight averages for Tests/TrainingTests/WeightAveragingTests.swift, computed with
torch.optim.swa_utils.AveragedModel.

A float32 "model" of 11 parameters takes the iterates p_1 .. p_24 (random), one per optimizer step.
- Windowed SWA (Hägele et al. 2024): windows of h = 6 steps, samples every k = 2 steps: for each
  window (6j, 6j + 6] a fresh AveragedModel (uniform running mean) is updated with the iterates
  after steps n % k == 0; its average when n % h == 0 is that window's result.
- EMA with decay 0.9: AveragedModel(multi_avg_fn=get_ema_multi_avg_fn(0.9)) updated after every step.

Writes Fixtures/training/averaging.json.
"""
import json
import os

import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

torch.manual_seed(7)
N, STEPS, H, K, DECAY = 11, 24, 6, 2, 0.9
iterates = [torch.randn(N) * 2 + 0.1 * n for n in range(1, STEPS + 1)]
model = torch.nn.Linear(N, 1, bias=False)


def set_model(p):
    with torch.no_grad():
        model.weight.copy_(p.view(1, N))


swa_windows = []
swa_model = None
ema_model = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(DECAY))
ema = []
for n, p in enumerate(iterates, start=1):
    set_model(p)
    if (n - 1) % H == 0:
        swa_model = AveragedModel(model)
    if n % K == 0:
        swa_model.update_parameters(model)
    if n % H == 0:
        swa_windows.append({"step": n, "average": swa_model.module.weight.detach().flatten().tolist()})
    ema_model.update_parameters(model)
    ema.append(ema_model.module.weight.detach().flatten().tolist())

out = {"count": N, "window": H, "interval": K, "ema_decay": DECAY,
       "iterates": [p.tolist() for p in iterates], "swa_windows": swa_windows, "ema": ema}
path = os.path.join(os.path.dirname(__file__), "..", "training", "averaging.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", os.path.normpath(path))
