"""Reference results for the Optimization module (Tests/OptimizationTests), from scipy and numpy.

Writes Fixtures/scaling/optimization.json:
- L-BFGS: scipy.optimize.minimize(method="L-BFGS-B") on Rosenbrock (2-D and 10-D) and on an
  L2-regularized logistic regression, with tight tolerances so the minimizer is pinned down.
- Levenberg-Marquardt: scipy.optimize.curve_fit (MINPACK lm) on y = (x + a)^(-b) + c plus noise
  (the DDO curve) and scipy.optimize.least_squares(method="lm") on y = A exp(-k t) + C plus noise.
- Bisection: scipy.optimize.brentq roots, xtol 1e-14.
- Quantiles: numpy.percentile (linear interpolation).
- PRNG: SplitMix64 / xoshiro256** reference sequences from the published C algorithms, transcribed
  below with explicit 64-bit masking; the first SplitMix64 outputs for seed 1234567 match the
  widely published vector 6457827717110365317, 3203168211198807973, ...
"""
import json
import os

import numpy as np
from scipy.optimize import brentq, curve_fit, least_squares, minimize, rosen, rosen_der

OUT = os.path.join(os.path.dirname(__file__), "..", "scaling", "optimization.json")
M64 = (1 << 64) - 1
rng = np.random.default_rng(20240731)


def lbfgs(f, g, x0):
    r = minimize(f, x0, jac=g, method="L-BFGS-B", options=dict(gtol=1e-12, ftol=1e-16, maxiter=100000, maxfun=100000))
    return dict(x0=list(map(float, x0)), x=r.x.tolist(), fun=float(r.fun))


rosen2 = lbfgs(rosen, rosen_der, np.array([-1.2, 1.0]))
rosen10 = lbfgs(rosen, rosen_der, np.array([-1.2, 1.0] * 5))

X = rng.normal(size=(60, 4))
w_true = np.array([1.5, -2.0, 0.5, 0.0])
labels = np.where(X @ w_true + 0.5 * rng.normal(size=60) > 0, 1.0, -1.0)
lam = 0.1


def logistic(w):
    z = labels * (X @ w)
    return float(np.sum(np.logaddexp(0, -z)) + 0.5 * lam * w @ w)


def logistic_grad(w):
    z = labels * (X @ w)
    s = -labels / (1 + np.exp(z))
    return X.T @ s + lam * w


logit = lbfgs(logistic, logistic_grad, np.zeros(4))
logit.update(X=X.tolist(), labels=labels.tolist(), lam=lam)

# DDO-style curve y = (x + a)^(-b) + c.
xs = np.linspace(1, 100, 30)
a, b, c = 3.0, 0.7, 0.4
ys = (xs + a) ** (-b) + c + 0.002 * rng.normal(size=xs.size)


def ddo(x, a, b, c):
    return (x + a) ** (-b) + c


popt, pcov = curve_fit(ddo, xs, ys, p0=[1.0, 0.5, 0.1], method="lm", xtol=1e-14, ftol=1e-14, gtol=1e-14)
sig = np.linspace(0.001, 0.004, xs.size)
popt_s, pcov_s = curve_fit(ddo, xs, ys, p0=[1.0, 0.5, 0.1], sigma=sig, absolute_sigma=True, method="lm",
                           xtol=1e-14, ftol=1e-14, gtol=1e-14)
ddo_fit = dict(x=xs.tolist(), y=ys.tolist(), p0=[1.0, 0.5, 0.1], popt=popt.tolist(), pcov=pcov.tolist(),
               cost=float(0.5 * np.sum((ddo(xs, *popt) - ys) ** 2)),
               sigma=sig.tolist(), popt_sigma=popt_s.tolist(), pcov_sigma=pcov_s.tolist())

# Exponential decay by least_squares(method="lm").
t = np.linspace(0, 4, 25)
ye = 2.5 * np.exp(-1.3 * t) + 0.5 + 0.01 * rng.normal(size=t.size)
ls = least_squares(lambda p: p[0] * np.exp(-p[1] * t) + p[2] - ye, x0=[1.0, 1.0, 0.0], method="lm",
                   xtol=1e-14, ftol=1e-14, gtol=1e-14)
expo = dict(t=t.tolist(), y=ye.tolist(), p0=[1.0, 1.0, 0.0], popt=ls.x.tolist(), cost=float(ls.cost))

# Roots.
cubic_root = brentq(lambda x: x**3 - 2 * x - 5, 2, 3, xtol=1e-14)
wts = rng.uniform(0.5, 2.0, size=6)
cs = rng.uniform(0.1, 1.0, size=6)
kkt_root = brentq(lambda l: np.sum(wts / (l + cs)) - 1, 1e-9, 100, xtol=1e-14)
roots = dict(cubic=cubic_root, kkt=dict(w=wts.tolist(), c=cs.tolist(), target=1.0, root=kkt_root))

vals = rng.normal(size=37)
qs = [0.0, 0.025, 0.5, 0.975, 1.0]
quant = dict(values=vals.tolist(), q=qs, expected=[float(np.percentile(vals, 100 * q)) for q in qs])


def splitmix(seed, count):
    s, out = seed & M64, []
    for _ in range(count):
        s = (s + 0x9E3779B97F4A7C15) & M64
        z = s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        out.append(z ^ (z >> 31))
    return out


class Xoshiro:
    def __init__(self, seed):
        self.s = splitmix(seed, 4)

    def next(self):
        s = self.s
        rotl = lambda x, k: ((x << k) | (x >> (64 - k))) & M64
        result = (rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def index(self, bound):  # Lemire's multiply-and-reject
        m = self.next() * bound
        if (m & M64) < bound:
            threshold = ((1 << 64) - bound) % bound
            while (m & M64) < threshold:
                m = self.next() * bound
        return m >> 64


def boot_indices(n, r, seed):
    rs = splitmix(seed, r + 1)[r]
    g = Xoshiro(rs)
    return [g.index(n) for _ in range(n)]


sm = splitmix(1234567, 5)
assert sm[:2] == [6457827717110365317, 3203168211198807973]
xo = Xoshiro(42)
prng = dict(splitmix_1234567=[str(v) for v in sm], xoshiro_42=[str(xo.next()) for _ in range(5)],
            bootstrap=[dict(n=10, replicate=r, seed=7, indices=boot_indices(10, r, 7)) for r in (0, 3)])

with open(OUT, "w") as fh:
    json.dump(dict(rosen2=rosen2, rosen10=rosen10, logistic=logit, ddo=ddo_fit, expo=expo, roots=roots,
                   quantiles=quant, prng=prng), fh, indent=1)
print("wrote", OUT)
