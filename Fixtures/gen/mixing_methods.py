"""Reference values for DataMixing's loss-table methods (Sources/DataMixing/DataMixingLaw.swift, RegMix.swift),
written independently with numpy/scipy.

1. A synthetic loss table (Fixtures/mixing-methods-losses.csv): 3 training domains, 3 validation domains, 20 runs at
   numpy-seeded Dirichlet(1, 1, 1) mixtures of a 1.2M-token budget (whole tokens by largest remainder), each
   validation loss from a known Data Mixing Law L_i(r) = c_i + k_i exp(sum_j t_ij r_j) plus N(0, 0.002^2) noise.
2. Data Mixing Laws (Ye et al. 2024; yegcjs/mixinglaws): per validation domain, the law in the parameters
   (ln c, v) with L = exp(ln c) + exp(v . r) (k absorbed into v because sum r = 1; reported as k = exp(mean v),
   t = v - mean v), Huber loss (delta 0.05) on the loss residuals, fitted by scipy.optimize.least_squares (trust
   region reflective, loss='huber', which minimizes 2x the same Huber sum) from numpy-seeded starts; then the
   objective minimized over the simplex (with caps as upper bounds) by SLSQP from several starts.
3. RegMix (Liu et al. 2024; sail-sg/regmix) with ridge regression instead of LightGBM: features r_j and r_i r_j
   (i <= j), centred, ridge penalty lambda on the coefficients (not the intercept), solved by the normal
   equations; the 100,000 candidate mixtures are the Swift sampler's (ported below bit for bit: xoshiro256**,
   Marsaglia-Tsang gamma in logs, Dirichlet), the answer the mean of the 128 with the lowest prediction.
4. BiMix-style power laws (Ge et al. 2024, arXiv 2405.14908): per validation domain, ln L_i = ln A_i - alpha_i ln r_i
   by numpy.polyfit (degree 1); the objective minimized by SLSQP, then the KKT equations on SLSQP's active set
   solved by scipy.optimize.root (hybr) to machine precision.
5. Olmix's exact proposer (allenai/olmix LogLinearExactProposer): the law of 2. refitted with Olmix's Huber delta
   0.02, then mean-loss + lambda KL(r || q) with the repetition caps available x R / budget, by SLSQP and the same
   KKT polish.
Output: Fixtures/mixing-methods.json.
"""
import json, math, os
import numpy as np
from scipy.optimize import least_squares, minimize, root

HERE = os.path.dirname(os.path.abspath(__file__))
# Base's generators and rounding from base_random.py: its definitions only (importing it would rewrite its fixture).
_src = open(os.path.join(HERE, "base_random.py")).read()
_base = {}
exec(_src[: _src.index('\nout = {"generators"')], _base)
SplitMix, Xoshiro = _base["SplitMix"], _base["Xoshiro"]
largest_remainder, normal = _base["largest_remainder"], _base["normal"]
ROOT = os.path.dirname(HERE)
DOMAINS = ["web", "code", "books"]
BUDGET = 1_200_000
TRUE_C = np.array([2.0, 0.9, 2.3])
TRUE_K = np.array([1.5, 1.2, 1.4])
TRUE_T = np.array([[-2.0, -0.2, -0.6], [-0.3, -2.5, -0.1], [-0.5, -0.1, -1.8]])
NOISE = 0.002
RUNS = 20
DELTA = 0.05


def law(c, k, t, r):
    return c + k * np.exp(r @ t)


def make_table():
    rng = np.random.default_rng(16)
    rows = []
    for n in range(RUNS):
        w = rng.dirichlet(np.ones(3))
        q = largest_remainder(list(w), BUDGET)
        r = np.array(q, float) / BUDGET
        losses = [TRUE_C[i] + TRUE_K[i] * math.exp(float(TRUE_T[i] @ r)) + rng.normal(0, NOISE) for i in range(3)]
        rows.append((f"mix-{n + 1:03d}", q, losses))
    lines = ["run," + ",".join(f"tokens:{d}" for d in DOMAINS) + "," + ",".join(f"val:{d}" for d in DOMAINS)]
    for name, q, losses in rows:
        lines.append(",".join([name] + [str(v) for v in q] + [f"{v:.6f}" for v in losses]))
    text = "\n".join(lines) + "\n"
    with open(os.path.join(ROOT, "mixing-methods-losses.csv"), "w") as f:
        f.write(text)
    # Read back what was written, so the references use the table's own digits.
    tokens = np.array([[float(x) for x in l.split(",")[1:4]] for l in lines[1:]])
    losses = np.array([[float(x) for x in l.split(",")[4:7]] for l in lines[1:]])
    return tokens, losses


def huber(res, delta):
    a = np.abs(res)
    return np.where(a <= delta, 0.5 * res ** 2, delta * (a - 0.5 * delta)).sum()


def fit_law(r, y, seed, delta=DELTA):
    m = r.shape[1]
    rng = np.random.default_rng(seed)

    def resid(p):
        return math.exp(p[0]) + np.exp(r @ p[1:]) - y

    best = None
    for frac in (0.2, 0.5, 0.8, 0.95):
        c0 = frac * y.min()
        base = math.log(y.mean() - c0)
        for s in range(6):
            v0 = base + (rng.normal(0, 1.5, m) if s else np.zeros(m))
            sol = least_squares(resid, np.concatenate([[math.log(c0)], v0]), loss="huber", f_scale=delta,
                                method="trf", ftol=1e-15, xtol=1e-15, gtol=1e-15, max_nfev=20000)
            cost = huber(resid(sol.x), delta)
            if best is None or cost < best[0]:
                best = (cost, sol.x)
    cost, p = best
    v = p[1:]
    return {"c": math.exp(p[0]), "k": math.exp(v.mean()), "t": list(v - v.mean()), "cost": cost,
            "rms_residual": float(np.sqrt(np.mean(resid(p) ** 2)))}


def objective(laws, weights, kind, r):
    vals = []
    for f in laws:
        L = f["c"] + f["k"] * math.exp(float(np.dot(f["t"], r)))
        vals.append(math.exp(L) if kind == "mean-ppl" else L)
    return float(np.dot(weights, vals) / np.sum(weights))


def minimize_law(laws, weights, kind, upper):
    m = len(upper)
    starts = [np.full(m, 1.0 / m)] + [np.eye(m)[j] * 0.6 + 0.4 / m for j in range(m)]
    best = None
    for x0 in starts:
        x0 = np.minimum(x0, upper)
        x0 = x0 / x0.sum()
        sol = minimize(lambda x: objective(laws, weights, kind, x), x0, method="SLSQP",
                       bounds=[(0.0, u) for u in upper],
                       constraints=[{"type": "eq", "fun": lambda x: x.sum() - 1.0}],
                       options={"ftol": 1e-16, "maxiter": 2000})
        x = np.clip(sol.x, 0, upper)
        x = x / x.sum()
        val = objective(laws, weights, kind, x)
        if best is None or val < best[0]:
            best = (val, x)
    return best


# ---- the Swift sampler, ported (Sources/DataMixing/MixturePlan.swift: Dirichlet) ----
def open_unit(g):
    return ((g.next() >> 11) + 1) * 2.0 ** -53


def log_gamma_sample(g, a):
    if a < 1:
        lg = log_gamma_sample(g, a + 1)
        return lg + math.log(open_unit(g)) / a
    d = a - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        x = normal(g)
        v = 1.0 + c * x
        if v <= 0:
            continue
        v = v * v * v
        u = open_unit(g)
        if math.log(u) < 0.5 * x * x + d - d * v + d * math.log(v):
            return math.log(d) + math.log(v)


def dirichlet(g, alpha):
    lg = [log_gamma_sample(g, a) for a in alpha]
    mx = max(lg)
    e = [math.exp(l - mx) for l in lg]
    s = sum(e)
    return [x / s for x in e]


def regmix_features(r):
    m = r.shape[1]
    cols = [r[:, j] for j in range(m)]
    names = list(DOMAINS)
    for i in range(m):
        for j in range(i, m):
            cols.append(r[:, i] * r[:, j])
            names.append(f"{DOMAINS[i]}*{DOMAINS[j]}")
    return np.stack(cols, axis=1), names


def regmix(r, y, lam, seed, samples, top_k, upper):
    X, names = regmix_features(r)
    xm, ym = X.mean(axis=0), y.mean()
    Xc = X - xm
    beta = np.linalg.solve(Xc.T @ Xc + lam * np.eye(X.shape[1]), Xc.T @ (y - ym))
    intercept = ym - xm @ beta
    g = Xoshiro(SplitMix(seed).next())
    m = r.shape[1]
    cand = []
    while len(cand) < samples:
        w = dirichlet(g, [1.0 / m] * m)
        if all(w[j] <= upper[j] for j in range(m)):
            cand.append(w)
    cand = np.array(cand)
    F, _ = regmix_features(cand)
    pred = intercept + F @ beta
    order = np.argsort(pred, kind="stable")[:top_k]
    answer = cand[order].mean(axis=0)
    Fa, _ = regmix_features(answer[None, :])
    fitted = intercept + X @ beta
    return {"features": names, "coefficients": list(beta), "intercept": float(intercept),
            "rms_residual": float(np.sqrt(np.mean((fitted - y) ** 2))),
            "first_samples": cand[:3].tolist(), "top_indices": [int(i) for i in order[:5]],
            "weights": list(answer), "predicted": float(intercept + Fa[0] @ beta)}


def law_gradient(laws, weights, kind, r):
    g = np.zeros(len(r))
    for f, w in zip(laws, weights):
        e = f["k"] * math.exp(float(np.dot(f["t"], r)))
        L = f["c"] + e
        g += w * (math.exp(L) if kind == "mean-ppl" else 1.0) * e * np.array(f["t"])
    return g / np.sum(weights)


def fit_bimix(r, y):
    slope, intercept = np.polyfit(np.log(r), np.log(y), 1)
    A, alpha = math.exp(intercept), -slope
    res = A * r ** -alpha - y
    return {"a": A, "alpha": alpha, "rms_residual": float(np.sqrt(np.mean(res ** 2)))}


def bimix_terms(laws, weights, kind, r):
    """(objective, gradient) of sum_i w_i g(A_i r_i^-alpha_i) / sum_i w_i; laws are (domain index, law)."""
    val, g = 0.0, np.zeros(len(r))
    for (j, f), w in zip(laws, weights):
        L = f["a"] * r[j] ** -f["alpha"]
        gv = math.exp(L) if kind == "mean-ppl" else L
        val += w * gv
        g[j] += w * (gv if kind == "mean-ppl" else 1.0) * (-f["alpha"] * L / r[j])
    return val / np.sum(weights), g / np.sum(weights)


def kkt_polish(x, grad, upper, floor):
    """The KKT point of a convex function on the capped simplex near SLSQP's x: coordinates at a cap (within 1e-7)
    or at the floor (0, within 1e-9) stay there, the free ones solve grad_j(x) = nu and sum x = 1 (scipy root)."""
    m = len(x)
    at_cap = [j for j in range(m) if x[j] >= upper[j] - 1e-7]
    at_floor = [j for j in range(m) if j not in at_cap and x[j] <= floor[j] + 1e-9]
    free = [j for j in range(m) if j not in at_cap and j not in at_floor]
    base = np.array(x, float)
    for j in at_cap:
        base[j] = upper[j]
    for j in at_floor:
        base[j] = floor[j]

    def eqs(z):
        y = base.copy()
        y[free] = z[:-1]
        g = grad(y)
        return np.concatenate([g[free] - z[-1], [y.sum() - 1.0]])

    g0 = grad(x)
    z0 = np.concatenate([base[free], [float(np.mean(g0[free]))]])
    sol = root(eqs, z0, method="hybr", options={"xtol": 1e-15})
    y = base.copy()
    y[free] = sol.x[:-1]
    return y, float(np.max(np.abs(eqs(sol.x))))


def slsqp(fun, m, upper, lower):
    best = None
    for x0 in [np.full(m, 1.0 / m)] + [np.eye(m)[j] * 0.6 + 0.4 / m for j in range(m)]:
        x0 = np.clip(x0, lower, upper)
        x0 = x0 / x0.sum()
        sol = minimize(fun, x0, method="SLSQP", bounds=list(zip(lower, upper)),
                       constraints=[{"type": "eq", "fun": lambda x: x.sum() - 1.0}],
                       options={"ftol": 1e-16, "maxiter": 2000})
        if best is None or sol.fun < best.fun:
            best = sol
    return np.clip(best.x, lower, upper)


def bimix_case(r, losses, ev, kind, upper):
    sel = [i for i in range(3) if ev[i] > 0]
    fits = {DOMAINS[i]: fit_bimix(r[:, i], losses[:, i]) for i in range(3)}
    laws = [(i, fits[DOMAINS[i]]) for i in sel]
    w = [ev[i] for i in sel]
    lower = np.array([1e-9 if i in sel else 0.0 for i in range(3)])
    x = slsqp(lambda x: bimix_terms(laws, w, kind, x)[0], 3, upper, lower)
    x, kkt = kkt_polish(x, lambda y: bimix_terms(laws, w, kind, y)[1], upper, np.zeros(3))
    return {"laws": fits, "weights": list(x), "value": bimix_terms(laws, w, kind, x)[0], "kkt_residual": kkt}


def olmix_case(r, losses, lam, available, rep, caps):
    laws = [fit_law(r, losses[:, i], 200 + i, delta=0.02) for i in range(3)]
    ev = [1.0, 1.0, 1.0]
    if available:
        a = np.array([available[d] for d in DOMAINS], float)
        q = a / a.sum()
        rep_caps = np.minimum(1.0, a * rep / BUDGET)
    else:
        q, rep_caps = np.full(3, 1.0 / 3), np.ones(3)
    upper = np.minimum(rep_caps, [min(1.0, (caps or {}).get(d, math.inf) / BUDGET) for d in DOMAINS])

    def fun(x):
        return objective(laws, ev, "mean-loss", x) + lam * float(np.sum(x * np.log(x / q)))

    def grad(x):
        return law_gradient(laws, ev, "mean-loss", x) + lam * (np.log(x / q) + 1.0)

    x = slsqp(fun, 3, upper, np.full(3, 1e-12))
    x, kkt = kkt_polish(x, grad, upper, np.zeros(3))
    law_value = objective(laws, ev, "mean-loss", x)
    kl = float(np.sum(x * np.log(x / q)))
    return {"laws": {d: laws[i] for i, d in enumerate(DOMAINS)}, "kl_weight": lam, "available": available or {},
            "repetition": rep, "caps": caps or {}, "prior": list(q), "weights": list(x), "law_objective": law_value,
            "kl_divergence": kl, "penalized_objective": law_value + lam * kl, "kkt_residual": kkt}


def main():
    tokens, losses = make_table()
    r = tokens / tokens.sum(axis=1, keepdims=True)
    laws = [fit_law(r, losses[:, i], 100 + i) for i in range(3)]
    cases = []
    for name, kind, ev, caps in [("mean-ppl", "mean-ppl", [1.0, 1.0, 1.0], None),
                                 ("mean-loss-capped", "mean-loss", [2.0, 1.0, 0.0], {"web": 360_000})]:
        upper = np.array([min(1.0, (caps or {}).get(d, math.inf) / BUDGET) for d in DOMAINS])
        sel = [i for i in range(3) if ev[i] > 0]
        val, x = minimize_law([laws[i] for i in sel], [ev[i] for i in sel], kind, upper)
        g = (lambda v: math.exp(v)) if kind == "mean-ppl" else (lambda v: v)
        y = np.array([sum(ev[i] * g(losses[n, i]) for i in sel) / sum(ev[i] for i in sel) for n in range(RUNS)])
        rm = regmix(r, y, 1e-4, 7, 100_000, 128, upper)
        cases.append({"name": name, "objective": kind,
                      "eval_domains": {DOMAINS[i]: ev[i] for i in sel}, "caps": caps or {},
                      "dml": {"weights": list(x), "objective": val},
                      "regmix": rm, "run_objectives": list(y)})
    true_laws = {}
    for i, d in enumerate(DOMAINS):
        v = math.log(TRUE_K[i]) + TRUE_T[i]
        true_laws[d] = {"c": float(TRUE_C[i]), "k": math.exp(v.mean()), "t": list(v - v.mean())}
    bimix = []
    for name, kind, ev, caps in [("mean-ppl", "mean-ppl", [1.0, 1.0, 1.0], None),
                                 ("mean-loss-capped", "mean-loss", [1.0, 1.0, 1.0], {"web": 360_000})]:
        upper = np.array([min(1.0, (caps or {}).get(d, math.inf) / BUDGET) for d in DOMAINS])
        c = bimix_case(r, losses, ev, kind, upper)
        c.update({"name": name, "objective": kind, "caps": caps or {}})
        bimix.append(c)
    olmix = [dict(olmix_case(r, losses, 0.05, None, None, None), name="uniform-prior"),
             dict(olmix_case(r, losses, 0.1, {"web": 1_000_000, "code": 50_000, "books": 60_000}, 4.0, None),
                  name="natural-prior-repetition")]
    out = {"domains": DOMAINS, "bimix": bimix, "olmix": olmix, "budget": BUDGET, "huber_delta": DELTA, "noise": NOISE,
           "table": "mixing-methods-losses.csv", "true_laws": true_laws,
           "laws": {d: laws[i] for i, d in enumerate(DOMAINS)}, "cases": cases,
           "regmix_settings": {"ridge": 1e-4, "seed": 7, "samples": 100_000, "top_k": 128}}
    with open(os.path.join(ROOT, "mixing-methods.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
