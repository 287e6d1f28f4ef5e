"""sgemm reference for `make bench`: PyTorch (torch.mm, float32) and numpy (its own OpenBLAS) at the
same shapes and thread counts as `autoscale bench-gemm --json`, measured in the same run.
Reads our JSON on stdin, prints one table with the ratios."""
import json, os, sys, time

ours = json.load(sys.stdin)["results"]
try:
    import torch
except ImportError:
    torch = None
import numpy as np

def best_seconds(fn, min_seconds=0.2, repeats=3):
    fn()
    best = float("inf")
    for _ in range(repeats):
        calls, start = 0, time.perf_counter()
        while True:
            fn(); calls += 1
            el = time.perf_counter() - start
            if el >= min_seconds:
                break
        best = min(best, el / calls)
    return best

print(f"{'shape MxNxK':>18} {'thr':>3} {'ours GF/s':>10} {'torch GF/s':>11} {'ours/torch':>10}")
for r in ours:
    m, n, k, t = r["m"], r["n"], r["k"], r["threads"]
    flops = 2.0 * m * n * k
    ref = float("nan")
    if torch is not None:
        torch.set_num_threads(t)
        a = torch.rand(m, k); b = torch.rand(k, n); c = torch.empty(m, n)
        ref = flops / best_seconds(lambda: torch.mm(a, b, out=c)) / 1e9
    print(f"{m:>6}x{n:>5}x{k:>5} {t:>3} {r['gflops']:>10.1f} {ref:>11.1f} {r['gflops'] / ref:>10.2f}")
if torch is None:
    print("torch not importable: reference column is NaN")
