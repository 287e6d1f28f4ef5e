"""Synthetic scaling-law logs and scipy/numpy/torch references for Tests/ScalingLawsTests and the CLI tests.

Writes into Fixtures/scaling/:
- synthetic_chinchilla.csv: "Model Size", "Tokens", "Training FLOP", "loss" from
  L = 1.7 + 400 / N^0.33 + 1200 / D^0.29 times exp(0.01 * normal noise), plus two outliers.
- synthetic_power.csv: "compute", "loss" from L = 2.0 + 50 x^-0.4 with noise.
- synthetic_isoflop.csv: "params", "flops", "loss": 4 budgets x 7 model sizes from the chinchilla law.
- laws.json:
  * objective values and gradients (summed Huber / squared log residuals, log-sum-exp prediction) at
    a few parameter vectors, by torch autograd in float64;
  * approach-3 fits by scipy.optimize.minimize(method="L-BFGS-B") from every start of a reduced grid
    (numpy objective with analytic gradient, scipy.special.logsumexp / scipy.special.huber), tight tolerances;
  * the chinchilla fit with squared log residuals by scipy.optimize.least_squares(method="lm");
  * isoflop (approach 2) by numpy.polyfit per budget and for log N_opt against log C;
  * a compute-optimal allocation by scipy.optimize.minimize_scalar on L(N, C / (6 N)).
"""
import csv
import itertools
import json
import os

import numpy as np
import torch
from scipy.optimize import least_squares, minimize, minimize_scalar
from scipy.special import huber, logsumexp

HERE = os.path.dirname(__file__)
OUT = os.path.join(HERE, "..", "scaling")
rng = np.random.default_rng(31415)
DELTA = 1e-3


def law(n, d, E, A, B, al, be):
    return E + A / n**al + B / d**be


# --- synthetic chinchilla log ---------------------------------------------------------------
TRUE = dict(E=1.7, A=400.0, B=1200.0, alpha=0.33, beta=0.29)
N = 10 ** rng.uniform(7, 9.5, size=48)
D = N * 10 ** rng.uniform(0.3, 2.3, size=48)
L = law(N, D, *TRUE.values()) * np.exp(0.01 * rng.normal(size=48))
L[5] *= 1.3
L[17] *= 0.8  # two outliers: Huber should shrug them off
C = 6 * N * D
with open(os.path.join(OUT, "synthetic_chinchilla.csv"), "w", newline="") as fh:
    w = csv.writer(fh)
    w.writerow(["Model Size", "Tokens", "Training FLOP", "loss"])
    for row in zip(N, D, C, L):
        w.writerow([repr(float(v)) for v in row])

# --- synthetic power log --------------------------------------------------------------------
X = 10 ** np.linspace(15, 21, 20)
Y = (2.0 + 50 * X**-0.4 * 1e6) * np.exp(0.005 * rng.normal(size=20))  # A = 5e7
with open(os.path.join(OUT, "synthetic_power.csv"), "w", newline="") as fh:
    w = csv.writer(fh)
    w.writerow(["compute", "loss"])
    for row in zip(X, Y):
        w.writerow([repr(float(v)) for v in row])

# --- synthetic isoflop log ------------------------------------------------------------------
iso_rows = []
for c in [1e18, 3e18, 1e19, 3e19]:
    for n in 10 ** np.linspace(np.log10(c) / 2 - 2.4, np.log10(c) / 2 - 0.6, 7):
        loss = law(n, c / (6 * n), *TRUE.values()) + 0.002 * rng.normal()
        iso_rows.append((n, c * (1 + 1e-4 * rng.uniform()), loss))  # budgets logged with tiny rounding
with open(os.path.join(OUT, "synthetic_isoflop.csv"), "w", newline="") as fh:
    w = csv.writer(fh)
    w.writerow(["params", "flops", "loss"])
    for row in iso_rows:
        w.writerow([repr(float(v)) for v in row])


# --- objective (numpy) ----------------------------------------------------------------------
def objective(theta, feats, logy, loss="huber"):
    """theta = [e, a_1..a_P, alpha_1..alpha_P]; feats = log features (n x P)."""
    p = feats.shape[1]
    terms = np.column_stack([np.full(len(logy), theta[0])] + [theta[1 + k] - theta[1 + p + k] * feats[:, k] for k in range(p)])
    lse = logsumexp(terms, axis=1)
    r = lse - logy
    sm = np.exp(terms - lse[:, None])
    if loss == "huber":
        f = np.sum(huber(DELTA, r))
        psi = np.clip(r, -DELTA, DELTA)
    else:
        f = np.sum(r**2)
        psi = 2 * r
    g = np.empty_like(theta)
    g[0] = psi @ sm[:, 0]
    for k in range(p):
        g[1 + k] = psi @ sm[:, 1 + k]
        g[1 + p + k] = -(psi * feats[:, k]) @ sm[:, 1 + k]
    return f, g


def torch_objective(theta, feats, logy, loss):
    t = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
    z = torch.tensor(feats, dtype=torch.float64)
    y = torch.tensor(logy, dtype=torch.float64)
    p = z.shape[1]
    terms = torch.stack([t[0].expand(len(logy))] + [t[1 + k] - t[1 + p + k] * z[:, k] for k in range(p)], dim=1)
    r = torch.logsumexp(terms, dim=1) - y
    f = torch.nn.functional.huber_loss(r, torch.zeros_like(r), reduction="sum", delta=DELTA) if loss == "huber" else (r**2).sum()
    f.backward()
    return float(f.detach()), t.grad.numpy().tolist()


def fit_grid(feats, logy, starts, loss="huber"):
    best = None
    for s in starts:
        r = minimize(objective, np.array(s, float), args=(feats, logy, loss), jac=True, method="L-BFGS-B",
                     options=dict(gtol=1e-10, ftol=1e-15, maxiter=20000, maxfun=40000))
        if np.isfinite(r.fun) and (best is None or r.fun < best.fun):
            best = r
    return best


def natural(theta, names):
    p = (len(theta) - 1) // 2
    vals = [np.exp(theta[0])] + [np.exp(theta[1 + k]) for k in range(p)] + list(theta[1 + p:])
    return {k: float(v) for k, v in zip(names, vals)}


chin_feats = np.column_stack([np.log(N), np.log(D)])
chin_logy = np.log(L)
grid = dict(alpha=[0.5, 1.0], beta=[0.5, 1.0], e=[-1.0, 0.0, 1.0], a=[0.0, 10.0, 20.0], b=[0.0, 10.0, 20.0])
starts = [[e, a, b, al, be] for al, be, e, a, b in itertools.product(grid["alpha"], grid["beta"], grid["e"], grid["a"], grid["b"])]
best = fit_grid(chin_feats, chin_logy, starts)
chin_names = ["E", "A", "B", "alpha", "beta"]
chinchilla_fit = dict(grid=grid, starts=len(starts), theta=best.x.tolist(), objective=float(best.fun),
                      params=natural(best.x, chin_names))

# Squared log residuals: Gauss-Newton problem, solved by MINPACK LM from the Huber optimum.
def resid(theta):
    p = 2
    terms = np.column_stack([np.full(len(chin_logy), theta[0])] + [theta[1 + k] - theta[1 + p + k] * chin_feats[:, k] for k in range(p)])
    return logsumexp(terms, axis=1) - chin_logy


ls = least_squares(resid, best.x, method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15)
chinchilla_mse = dict(theta=ls.x.tolist(), objective=float(np.sum(ls.fun**2)), params=natural(ls.x, chin_names))

pow_feats = np.log(X)[:, None]
pow_logy = np.log(Y)
pgrid = dict(alpha=[0.0, 0.5, 1.0, 1.5, 2.0], e=[-1.0, -0.5, 0.0, 0.5, 1.0], a=[0.0, 5.0, 10.0, 15.0, 20.0, 25.0])
pstarts = [[e, a, al] for al, e, a in itertools.product(pgrid["alpha"], pgrid["e"], pgrid["a"])]
pbest = fit_grid(pow_feats, pow_logy, pstarts)
power_fit = dict(starts=len(pstarts), theta=pbest.x.tolist(), objective=float(pbest.fun),
                 params=natural(pbest.x, ["E", "A", "alpha"]))

evals = []
for theta in ([0.5, 6.0, 7.0, 0.3, 0.3], [0.0, 10.0, 0.0, 1.0, 0.0], [1.0, 2.0, 20.0, 0.1, 1.5]):
    for loss in ("huber", "mse"):
        f, g = torch_objective(theta, chin_feats, chin_logy, loss)
        evals.append(dict(law="chinchilla", loss=loss, theta=theta, value=f, gradient=g))
for theta in ([0.5, 15.0, 0.4], [-1.0, 3.0, 0.1]):
    f, g = torch_objective(theta, pow_feats, pow_logy, "huber")
    evals.append(dict(law="power", loss="huber", theta=theta, value=f, gradient=g))

# Isoflop: group by budget (rows were written in budget order, 7 per budget).
iso = np.array(iso_rows)
vertices = []
for gidx in range(4):
    block = iso[7 * gidx: 7 * gidx + 7]
    u = np.log(block[:, 0])
    c2, c1, c0 = np.polyfit(u, block[:, 2], 2)
    uopt = -c1 / (2 * c2)
    cg = float(np.exp(np.mean(np.log(block[:, 1]))))
    vertices.append(dict(flops=cg, n_opt=float(np.exp(uopt)), loss=float(np.polyval([c2, c1, c0], uopt))))
slope, icept = np.polyfit(np.log([v["flops"] for v in vertices]), np.log([v["n_opt"] for v in vertices]), 1)
isoflop = dict(k=float(np.exp(icept)), a=float(slope), vertices=vertices)

# Compute-optimal allocation, numerically.
P = dict(E=1.8172, A=477.84, B=2143.86, alpha=0.3473, beta=0.3672)
alloc = []
for c in (1e21, 5.76e23):
    r = minimize_scalar(lambda u: law(np.exp(u), c / (6 * np.exp(u)), *P.values()), bounds=(np.log(1e6), np.log(1e14)),
                        method="bounded", options=dict(xatol=1e-12))
    n = float(np.exp(r.x))
    alloc.append(dict(flops=c, n=n, d=c / (6 * n), loss=float(r.fun)))

with open(os.path.join(OUT, "laws.json"), "w") as fh:
    json.dump(dict(delta=DELTA, true=TRUE, chinchilla=chinchilla_fit, chinchilla_mse=chinchilla_mse, power=power_fit,
                   power_grid=pgrid, evaluations=evals, isoflop=isoflop, optimal=dict(params=P, allocations=alloc)),
              fh, indent=1)
print("wrote", OUT)
