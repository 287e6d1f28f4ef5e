"""A small safetensors file written by the `safetensors` library, for
Tests/TrainingTests/CheckpointTests.swift: the trainer's private F32 reader must read what the
reference writer writes (tensors `exp_avg` [5] and `block.weight` [2, 3], metadata step=7).

Writes Fixtures/training/reference_state.safetensors and reference_state.json (the values).
"""
import json
import os

import torch
from safetensors.torch import save_file

out = os.path.join(os.path.dirname(__file__), "..", "training")
tensors = {
    "exp_avg": torch.tensor([0.5, -1.25, 3.0e-7, 1e10, -0.0], dtype=torch.float32),
    "block.weight": torch.arange(6, dtype=torch.float32).reshape(2, 3) / 7,
}
save_file(tensors, os.path.join(out, "reference_state.safetensors"), metadata={"step": "7"})
with open(os.path.join(out, "reference_state.json"), "w") as f:
    json.dump({k: {"shape": list(v.shape), "values": v.flatten().tolist()} for k, v in tensors.items()}, f)
print("wrote reference_state.safetensors")
