"""Derives the coefficients of the vectorized single-precision erf in
Sources/Transformer/FastErf.swift (run once; the Swift test checks the result against libm erf).

Two regions, both fitted in float64 by iteratively reweighted least squares (a Lawson-style
approach to the minimax fit) on a dense grid:
  |x| < 1:  erf(x) = x + x * Q(x^2),           Q of degree 6, weighted for relative error of erf;
  |x| >= 1: erfc(|x|) = exp(-x^2) * R(1/|x|),  R of degree 7, weighted for absolute error of erfc.
It then evaluates both as the Swift code does (float32 Horner) and prints the coefficients and the
float32 errors against scipy's float64 erf.
"""
import numpy as np
from scipy.special import erf, erfc

f32 = np.float32


def irls(A, y, weight, iters=60):
    w = np.ones(len(y))
    for _ in range(iters):
        c, *_ = np.linalg.lstsq(A * w[:, None], y * w, rcond=None)
        r = np.abs(A @ c - y) * weight
        w = w * (1 + r / r.max()) ** 2
        w /= w.mean()
    return c


def horner32(c, u):
    p = np.full_like(u, f32(c[-1]))
    for k in c[-2::-1]:
        p = (p * u + f32(k)).astype(f32)
    return p


x = np.linspace(1e-6, 1, 20001)
q = irls(np.vander(x * x, 7, increasing=True), erf(x) / x - 1, x / erf(x))
x = np.linspace(1, 4, 20001)
r = irls(np.vander(1 / x, 8, increasing=True), erfc(x) * np.exp(x * x), np.exp(-x * x))
print("Q:", ", ".join(f"{f32(c)!r}"[11:-1] for c in q))
print("R:", ", ".join(f"{f32(c)!r}"[11:-1] for c in r))

xs = np.linspace(0, 1, 400001).astype(f32)[1:]
small = (xs + (xs * horner32(q, (xs * xs).astype(f32))).astype(f32)).astype(f32)
ref = erf(xs.astype(np.float64))
print(f"|x|<1 (float32 eval): max abs {np.abs(small - ref).max():.3g}, max rel {(np.abs(small - ref) / ref).max():.3g}")
xt = np.linspace(1, 6, 400001).astype(f32)
tail = (f32(1) - (np.exp(-(xt * xt).astype(f32)).astype(f32) * horner32(r, (f32(1) / xt).astype(f32))).astype(f32)).astype(f32)
print(f"|x|>=1 (float32 eval, libm exp): max abs {np.abs(tail - erf(xt.astype(np.float64))).max():.3g}")
