"""Simulated DDO worlds: a known loss law per validation domain, and the true optimal mixture at each budget.

Law (nats per token), validation domain j, per-domain training tokens N_i:

    L_j(N) = E_j + A_j * (sum_i T_ji N_i / unit)^(-alpha_j)

T is the transfer matrix (T_jj = 1; T_ji > 0 means training on domain i lowers domain j's loss).
The objective is mean-loss: (1/m) sum_j L_j (the predictor's law ln N_i* = c_i + k_i u is exact for it
in a separable world, so these worlds test DDO, not the predictor). The noisy world multiplies each
returned loss by (1 + noise * z), z ~ N(0, 1) seeded by (seed, run id, domain); the true optimum is
that of the noiseless law.

The true optimum at budget S: minimize the objective over N = S * softmax(z) (the open simplex) with
scipy BFGS from 8 starts (uniform and 7 seeded random), each polished by Nelder-Mead, then checked by
its KKT conditions: S * dF/dN_i equal across domains to 1e-7 relative of their mean (interior optimum).

Also writes trainer_samples: requests answered by Docs/examples/simulated_trainer.py (its normal draws z and
losses), which the Swift in-process trainer must reproduce.

Writes Fixtures/ddo/worlds.json (byte-identical on rerun).  Run: python3 Fixtures/gen/ddo_worlds.py
"""
import json, os
import numpy as np
from scipy.optimize import minimize

UNIT = 1e6
BUDGETS = [25_000_000, 50_000_000, 100_000_000]
TARGET = 16 * BUDGETS[-1]

WORLDS = [
    dict(name="separable", domains=["web", "code", "books"], noise=0.0,
         E=[2.52, 1.73, 2.74], A=[7.4, 2.5, 8.7], alpha=[0.54, 0.49, 0.2],
         T=np.eye(3).tolist()),
    # Row j: what each training domain (column) contributes to validation domain j's effective tokens.
    # web helps books (0.17) and wiki (0.17); wiki helps books (0.24) and web (0.12); books helps code (0.13).
    dict(name="transfer", domains=["books", "web", "wiki", "code"], noise=0.0,
         E=[1.78, 2.28, 2.23, 1.97], A=[5.0, 4.1, 7.1, 5.4], alpha=[0.24, 0.28, 0.25, 0.42],
         T=[[1.0, 0.17, 0.24, 0.07], [0.0, 1.0, 0.12, 0.0], [0.0, 0.17, 1.0, 0.0], [0.13, 0.0, 0.0, 1.0]]),
]
WORLDS.append(dict(WORLDS[1], name="noisy", noise=0.002))


def losses(w, N):
    eff = np.array(w["T"]) @ (np.asarray(N, float) / UNIT)
    return np.array(w["E"]) + np.array(w["A"]) * eff ** (-np.array(w["alpha"]))


def objective(w, N):
    return float(np.mean(losses(w, N)))


def gradient(w, N):
    """dF/dN_i of the mean-loss objective (per token)."""
    T = np.array(w["T"]); eff = T @ (np.asarray(N, float) / UNIT)
    dL = -np.array(w["alpha"]) * np.array(w["A"]) * eff ** (-np.array(w["alpha"]) - 1) / UNIT
    return T.T @ dL / len(w["E"])


def optimum(w, S):
    m = len(w["E"])
    def f(z):
        e = np.exp(z - z.max())
        return objective(w, S * e / e.sum())
    rng = np.random.default_rng(20261202)
    best = None
    for s in range(8):
        z0 = np.zeros(m) if s == 0 else rng.normal(0, 1, m)
        r = minimize(f, z0, method="BFGS", options=dict(gtol=1e-13, maxiter=10000))
        r = minimize(f, r.x, method="Nelder-Mead", options=dict(xatol=1e-13, fatol=1e-16, maxiter=40000))
        if best is None or r.fun < best.fun:
            best = r
    e = np.exp(best.x - best.x.max()); wts = e / e.sum()
    g = S * gradient(w, S * wts)
    kkt = float(np.max(np.abs(g - g.mean())) / abs(g.mean()))
    assert kkt < 1e-7, (w["name"], S, kkt)
    assert wts.min() > 0.05, (w["name"], S, wts)
    return wts, objective(w, S * wts), kkt


out = dict(unit=UNIT, objective="mean-loss", budgets=BUDGETS, target=TARGET, worlds=[])
for w in WORLDS:
    m = len(w["domains"])
    entry = dict(w, optima=[])
    for S in BUDGETS + [TARGET]:
        wts, f, kkt = optimum(w, S)
        entry["optima"].append(dict(budget=S, weights=wts.tolist(), objective=f,
                                    uniform_objective=objective(w, np.full(m, S / m)), kkt_residual=kkt))
        print(w["name"], S, np.round(wts, 4), f"regret(uniform) {objective(w, np.full(m, S / m)) - f:.6g}  kkt {kkt:.1e}")
    out["worlds"].append(entry)

# The simulated trainer's noise and losses, for the Swift closure to match (Docs/examples/simulated_trainer.py).
import importlib.util
spec = importlib.util.spec_from_file_location("simulated_trainer", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "Docs", "examples", "simulated_trainer.py"))
trainer = importlib.util.module_from_spec(spec); spec.loader.exec_module(trainer)
out["trainer_samples"] = []
for w, seed, rid, tokens in [(WORLDS[2], 1, "25000000/round-1/base", [6250000, 6250000, 6250000, 6250000]),
                             (WORLDS[2], 7, "100000000/round-3/web-x1.5", [12000000, 30000000, 40000000, 18000000]),
                             (WORLDS[0], 2, "base", [1000000, 2000000, 3000000])]:
    request = dict(id=rid, tokens=dict(zip(w["domains"], tokens)), seed=seed, out="unused")
    out["trainer_samples"].append(dict(world=w["name"], request=request, losses=trainer.respond(w, UNIT, request)["losses"],
                                       z={d: trainer.gaussian(seed, rid, d) for d in w["domains"]}))

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ddo", "worlds.json")
with open(path, "w") as fh:
    json.dump(out, fh, indent=1)
print("wrote Fixtures/ddo/worlds.json")
