"""Reference for DataMixing's LogQuadraticModel (the pooled answer of DDO rounds).

Runs around a few base mixtures (each base, then each domain scaled by 1/2.5 and 2.5, as DDO rounds at the
floor factor do) on the simulated worlds' law (Fixtures/ddo/worlds.json) with optional multiplicative noise; the
model F = alpha + sum_i g_i z_i + h_i z_i^2, z_i = ln N_i - mean ln N_i, fitted by numpy.linalg.lstsq; the box
[min z, max z] cut to where each term is convex in N_i (2h - g - 2hz >= 0) and below the caps; the optimum at the
budget by scipy SLSQP (cross-checked by trust-constr) over z in the box with sum exp(mu + z) = budget.

Writes Fixtures/ddo/pooled.json.  Run: python3 Fixtures/gen/ddo_pooled.py (numpy, scipy)
"""
import json, os
import numpy as np
from scipy.optimize import minimize

here = os.path.dirname(os.path.abspath(__file__))
W = json.load(open(os.path.join(here, "..", "ddo", "worlds.json")))
worlds = {w["name"]: w for w in W["worlds"]}
UNIT = W["unit"]
rng = np.random.default_rng(20261202)


def objective(w, N):
    eff = np.array(w["T"]) @ (np.asarray(N, float) / UNIT)
    return float(np.mean(np.array(w["E"]) + np.array(w["A"]) * eff ** (-np.array(w["alpha"]))))


def runs(bases, budget, f=2.5):
    out = []
    for b in bases:
        N0 = np.round(np.asarray(b) / np.sum(b) * budget)
        out.append(N0.copy())
        for i in range(len(N0)):
            for fac in (1 / f, f):
                N = N0.copy(); N[i] = round(N0[i] * fac); out.append(N)
    return np.array(out)


def case(name, world, bases, budget, noise, caps=None):
    w = worlds[world]
    N = runs(bases, budget)
    y = np.array([objective(w, n) * (1 + noise * rng.normal()) for n in N])
    m = N.shape[1]
    mu = np.log(N).mean(0); Z = np.log(N) - mu
    X = np.hstack([np.ones((len(y), 1)), Z, Z ** 2])
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    g, h = beta[1:1 + m], beta[1 + m:]
    lo, hi = Z.min(0), Z.max(0)
    for i in range(m):
        if h[i] > 0: hi[i] = min(hi[i], 1 - g[i] / (2 * h[i]))
        elif h[i] < 0: lo[i] = max(lo[i], 1 - g[i] / (2 * h[i]))
        if caps and caps[i] is not None: hi[i] = min(hi[i], np.log(caps[i]) - mu[i])
    f = lambda z: g @ z + h @ z ** 2
    jac = lambda z: g + 2 * h * z
    cons = dict(type="eq", fun=lambda z: (np.exp(mu + z).sum() - budget) / budget, jac=lambda z: np.exp(mu + z) / budget)
    z0 = np.clip(np.log(budget / m) - mu, lo, hi)
    r = minimize(f, z0, jac=jac, method="SLSQP", bounds=list(zip(lo, hi)), constraints=[cons],
                 options=dict(ftol=1e-15, maxiter=5000))
    assert r.success, r.message
    t = minimize(f, z0, jac=jac, method="trust-constr", bounds=list(zip(lo, hi)),
                 constraints=[dict(type="eq", fun=cons["fun"], jac=cons["jac"])], options=dict(xtol=1e-14, gtol=1e-12, maxiter=20000))
    assert np.max(np.abs(t.x - r.x)) < 1e-3 and f(r.x) <= f(t.x) + 1e-12, (t.x, r.x)
    tokens = np.exp(mu + r.x)
    print(name, "g", np.round(g, 4), "h", np.round(h, 4), "weights", np.round(tokens / tokens.sum(), 4))
    return dict(name=name, tokens=N.tolist(), objectives=y.tolist(), budget=float(budget),
                caps=caps, centre=mu.tolist(), intercept=float(beta[0]), linear=g.tolist(), quadratic=h.tolist(),
                lower=lo.tolist(), upper=hi.tolist(), optimum=tokens.tolist(),
                rms=float(np.sqrt(np.mean((X @ beta - y) ** 2))))


cases = [
    case("noisy-transfer", "transfer", [[0.25, 0.25, 0.25, 0.25], [0.15, 0.2, 0.38, 0.27], [0.16, 0.21, 0.36, 0.27]], 25e6, 0.002),
    case("separable", "separable", [[1, 1, 1], [0.3, 0.25, 0.45]], 50e6, 0.0),
    case("capped", "transfer", [[0.15, 0.2, 0.38, 0.27], [0.16, 0.21, 0.36, 0.27]], 100e6, 0.0, caps=[None, None, 30e6, None]),
]
with open(os.path.join(here, "..", "ddo", "pooled.json"), "w") as fh:
    json.dump(dict(cases=cases), fh, indent=1)
print("wrote Fixtures/ddo/pooled.json")
