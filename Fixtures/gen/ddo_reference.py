"""Reference values for the DataMixing layer (DDO fit, KKT allocation, AutoScale predictor).

Independent of our Swift code: the fit uses scipy.optimize.root (exact, 3 points) and
scipy.optimize.curve_fit (least squares, bounded 'trf'), the allocation scipy.optimize.minimize
(SLSQP, a generic constrained solver, cross-checked by trust-constr), the predictor numpy.linalg.svd
and scipy.optimize.brentq.

Writes Fixtures/ddo/reference.json.
Run: Fixtures/.venv/bin/python Fixtures/gen/ddo_reference.py
"""
import json, os, warnings
import numpy as np
from scipy.optimize import root, curve_fit, minimize, brentq

warnings.simplefilter("ignore")
rng = np.random.default_rng(20261123)
out = {}


def curve(x, a, b, c):
    return (x + a) ** (-b) + c


A_STARTS = [0.01, 0.05, 0.2, 1, 5, 20]
B_STARTS = [0.05, 0.2, 0.7, 2, 5]


def exact_solutions(x, y):
    """All distinct exact solutions (a, b, c) with a > -min x, b > 0, found from a grid of starts."""
    sols = []
    for s in A_STARTS:
        for b0 in B_STARTS:
            a0 = -x.min() + s * x.max()
            def eq(p):
                a, b, c = p
                if np.any(x + a <= 0) or b <= 0:
                    return np.full(3, 1e3)
                return curve(x, a, b, c) - y
            c0 = y.mean() - np.mean((x + a0) ** (-b0))
            r = root(eq, [a0, b0, c0], method="hybr", options=dict(xtol=1e-15))
            a, b, c = r.x
            if b > 1e-9 and np.all(x + a > 0) and np.max(np.abs(eq(r.x))) < 1e-12:
                if not any(abs(a - s_[0]) < 1e-6 * (1 + abs(a)) and abs(b - s_[1]) < 1e-6 * (1 + b) for s_ in sols):
                    sols.append([float(a), float(b), float(c)])
    return sorted(sols, key=lambda s: s[1])


def ls_fit(x, y):
    """Best bounded curve_fit over the same start grid; also the flat fit. Returns (params, cost)."""
    best = None
    for s in A_STARTS:
        for b0 in B_STARTS:
            a0 = -x.min() + s * x.max()
            c0 = y.mean() - np.mean((x + a0) ** (-b0))
            try:
                p, _ = curve_fit(curve, x, y, p0=[a0, b0, c0], method="trf",
                                 bounds=([-x.min() + 1e-12, 0.0, -np.inf], [np.inf, np.inf, np.inf]),
                                 xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=20000)
            except RuntimeError:
                continue
            cost = 0.5 * np.sum((curve(x, *p) - y) ** 2)
            if best is None or cost < best[1]:
                best = (p, cost)
    flat = 0.5 * np.sum((y - y.mean()) ** 2)
    if flat <= best[1]:
        best = (np.array([0.0, 0.0, y.mean() - 1]), flat)
    return [float(v) for v in best[0]], float(best[1])


# --- Exact fits through three points (y normalized so y(1) = 1, as DDO produces).
exact = []
for factors in ([1 / 3, 1, 3], [0.5, 1, 2], [0.25, 1, 4], [1 / 3, 1, 3], [1 / 3, 1, 3], [0.2, 1, 5]):
    for _ in range(2):
        x = np.array(factors)
        a, b = rng.uniform(-0.9 * x.min(), 3), rng.uniform(0.05, 2)
        c = 1 - (1 + a) ** (-b)
        y = curve(x, a, b, c)
        sols = exact_solutions(x, y)
        assert any(abs(s[0] - a) < 1e-6 and abs(s[1] - b) < 1e-6 for s in sols), (a, b, sols)
        exact.append(dict(x=x.tolist(), y=y.tolist(), true=[a, b, c], solutions=sols))
out["exact_fits"] = exact

# --- Least-squares fits: 5-7 noisy points.
lsq = []
for factors in ([0.25, 0.5, 1, 2, 4], [1 / 3, 1 / 3, 1, 3, 3], [0.2, 1 / 3, 0.5, 1, 2, 3, 5], [1 / 9, 1 / 3, 1, 3, 9]):
    for _ in range(2):
        x = np.array(factors)
        a, b = rng.uniform(-0.5 * x.min(), 2), rng.uniform(0.1, 1.5)
        c = 1 - (1 + a) ** (-b)
        y = curve(x, a, b, c) + rng.normal(0, 0.003, size=x.size)
        p, cost = ls_fit(x, y)
        lsq.append(dict(x=x.tolist(), y=y.tolist(), params=p, cost=cost))
out["lsq_fits"] = lsq

# --- Degenerate three-point data: no exact fit; the bounded least-squares optimum is the reference.
degenerate = []
for name, y in [("increasing", [0.98, 1.0, 1.03]), ("constant", [1.0, 1.0, 1.0]), ("collinear", [1.01, 1.0, 0.97]),
                ("concave", [1.005, 1.0, 0.96]), ("steep", [2.0, 1.0, -1.0]), ("vshape", [1.05, 1.0, 1.02])]:
    x = np.array([1 / 3, 1, 3])
    y = np.array(y)
    p, cost = ls_fit(x, y)
    degenerate.append(dict(name=name, x=x.tolist(), y=y.tolist(), params=p, cost=cost))
out["degenerate_fits"] = degenerate

# --- KKT allocation against SLSQP (cross-checked by trust-constr).
alloc = []
for m in (2, 3, 3, 5, 5, 8, 8, 12):
    for kind in ("interior", "edge"):
        a = rng.uniform(-0.3, 2, m)
        b = rng.uniform(0.05, 2, m)
        c = 1 - (1 + a) ** (-b)
        N = rng.uniform(1e6, 1e7, m)
        lower, upper = 1 / 3, 3.0
        lo, hi = lower * N.sum(), upper * N.sum()
        budget = rng.uniform(lo + 0.3 * (hi - lo), lo + 0.6 * (hi - lo)) if kind == "interior" else \
            rng.choice([lo + 0.02 * (hi - lo), lo + 0.97 * (hi - lo)])
        f = lambda v: np.sum((v + a) ** (-b) + c)
        g = lambda v: -b * (v + a) ** (-b - 1)
        cons = [dict(type="eq", fun=lambda v: (v @ N - budget) / budget, jac=lambda v: N / budget)]
        x0 = np.full(m, budget / N.sum())
        for ftol in (1e-15, 1e-13, 1e-11):  # SLSQP's line search can stall at the tightest tolerance
            r = minimize(f, x0, jac=g, method="SLSQP", bounds=[(lower, upper)] * m, constraints=cons,
                         options=dict(ftol=ftol, maxiter=5000))
            if r.success:
                break
        assert r.success, r.message
        t = minimize(f, x0, jac=g, method="trust-constr", bounds=[(lower, upper)] * m,
                     constraints=[dict(type="eq", fun=cons[0]["fun"], jac=cons[0]["jac"])],
                     options=dict(xtol=1e-14, gtol=1e-12, maxiter=20000))
        # the interior-point solver stops ~1e-5 inside active bounds: agree to 1e-3, SLSQP no worse
        assert np.max(np.abs(t.x - r.x)) < 1e-3 and f(r.x) <= f(t.x) + 1e-9, (t.x, r.x)
        alloc.append(dict(a=a.tolist(), b=b.tolist(), c=c.tolist(), base=N.tolist(), lower=lower, upper=upper,
                          budget=float(budget), x=r.x.tolist(), objective=float(r.fun)))
out["allocations"] = alloc


# --- Predictor: rank-one fit of the centred log matrix, normalized u = 0 at the smallest budget and 1 at
# the largest, then the target solved with brentq.
def rank_one(N):
    """N: K budgets x m domains (rows sorted by budget)."""
    L = np.log(N).T  # m x K
    Lbar = L.mean(axis=1)
    U, s, Vt = np.linalg.svd(L - Lbar[:, None], full_matrices=False)
    kp, v = U[:, 0], s[0] * Vt[0]
    u = (v - v[0]) / (v[-1] - v[0])
    k = kp * (v[-1] - v[0])
    c = Lbar - k * u.mean()
    return c, k, u


pred = []
for K, m, k_true, noise in [(3, 3, [1.2, 0.9, 0.6], 0.02), (4, 4, [1.3, 1.0, 0.8, 0.5], 0.03),
                            (4, 3, [1.1, 0.7, -0.15], 0.02), (3, 5, [1.0, 1.0, 0.9, 0.7, 0.4], 0.01)]:
    c_true = rng.uniform(13, 15, m)
    u_true = np.sort(rng.uniform(0, 1, K)); u_true[0], u_true[-1] = 0, 1
    N = np.exp(c_true[None, :] + np.outer(u_true, k_true)) * np.exp(rng.normal(0, noise, (K, m)))
    N = N[np.argsort(N.sum(axis=1))]
    c, k, u = rank_one(N)
    targets = []
    for mult in (0.5, 3.0, 20.0):
        S = float(mult * N.sum(axis=1).max())
        h = lambda uu: np.sum(np.exp(c + k * uu)) - S
        lo = -1.0
        while h(lo) > 0: lo *= 2
        # on the increasing branch: start the bracket at the minimum of h when some k < 0
        if np.any(k < 0):
            lo = max(lo, brentq(lambda uu: np.sum(k * np.exp(c + k * uu)), -100, 100))
        hi = 1.0
        while h(hi) < 0: hi *= 2
        ut = brentq(h, lo, hi, xtol=1e-14, rtol=1e-15)
        tok = np.exp(c + k * ut)
        targets.append(dict(budget=S, u=ut, tokens=tok.tolist()))
    pred.append(dict(quantities=N.tolist(), c=c.tolist(), k=k.tolist(), u=u.tolist(), targets=targets))
out["predictor"] = pred


# --- A whole DDO from a LOSSES.csv: synthetic validation losses of 3 training domains on 3 validation domains
# (each validation loss falls with a mix of the training quantities), the paper's mean-ppl objective,
# exact fits (smallest-b solution) and the SLSQP allocation at the base budget within the tested range.
domains = ["web", "code", "books"]
base = np.array([400000.0, 400000.0, 400000.0])
factors = [1 / 3, 3]
M = np.array([[1.0, 0.1, 0.3], [0.2, 1.0, 0.05], [0.4, 0.05, 1.0]])  # validation domain x training domain
E, A, alpha = np.array([2.0, 1.2, 2.4]), np.array([40.0, 25.0, 60.0]), np.array([0.28, 0.33, 0.30])
def val_losses(N):
    return E + A * (M @ N) ** (-alpha)
rows = [("base", base.copy())]
for i, d in enumerate(domains):
    for f in factors:
        N = base.copy(); N[i] = round(base[i] * f)
        rows.append((f"{d}-x{f:.6g}", N))
order = [3, 0, 5, 1, 6, 2, 4]  # shuffled: the base run is not the first row
csv = ["run," + ",".join(f"tokens:{d}" for d in domains) + "," + ",".join(f"val:{d}" for d in domains)]
losses = {}
for k in order:
    name, N = rows[k]
    losses[name] = val_losses(N)
    csv.append(name + "," + ",".join(str(int(v)) for v in N) + "," + ",".join(repr(float(v)) for v in losses[name]))
with open(os.path.join(os.path.dirname(__file__), "..", "ddo", "losses_3domains.csv"), "w") as fh:
    fh.write("\n".join(csv) + "\n")


def ddo(objective, budget):
    """Points, exact fits (smallest b) and the SLSQP allocation for one objective and budget."""
    obj = {name: float(objective(L)) for name, L in losses.items()}
    curves, points = [], {}
    for i, d in enumerate(domains):
        x = np.array([1.0] + [round(base[i] * f) / base[i] for f in factors])
        y = np.array([1.0] + [obj[f"{d}-x{f:.6g}"] / obj["base"] for f in factors])
        sols = exact_solutions(x, y)
        curves.append(sols[0])
        points[d] = dict(x=x.tolist(), y=y.tolist(), solutions=sols)
    a, b, c = (np.array([cv[j] for cv in curves]) for j in range(3))
    lower = min(min(p["x"]) for p in points.values()); upper = max(max(p["x"]) for p in points.values())
    f = lambda v: np.sum((v + a) ** (-b) + c)
    g = lambda v: -b * (v + a) ** (-b - 1)
    r = minimize(f, np.full(3, budget / base.sum()), jac=g, method="SLSQP", bounds=[(lower, upper)] * 3,
                 constraints=[dict(type="eq", fun=lambda v: (v @ base - budget) / budget, jac=lambda v: base / budget)],
                 options=dict(ftol=1e-15, maxiter=5000))
    assert r.success, r.message
    return dict(domains=domains, budget=float(budget), lower=lower, upper=upper, points=points,
                fits={d: curves[i] for i, d in enumerate(domains)},
                tokens={d: float(r.x[i] * base[i]) for i, d in enumerate(domains)}, objective_base=obj["base"])


# The paper's objective at the base budget; and mean-loss over web (weight 2) and books (weight 1) at 1.5M tokens
# (`ddo fit --objective mean-loss --eval-domains web=2,books=1 --budget 1.5M`).
out["pipeline"] = ddo(lambda L: np.mean(np.exp(L)), base.sum())
out["pipeline_meanloss"] = ddo(lambda L: (2 * L[0] + L[2]) / 3, 1.5e6)

os.makedirs(os.path.join(os.path.dirname(__file__), "..", "ddo"), exist_ok=True)
with open(os.path.join(os.path.dirname(__file__), "..", "ddo", "reference.json"), "w") as fh:
    json.dump(out, fh, indent=1)
print("wrote Fixtures/ddo/reference.json")
