"""Reference values for the paper's own DDO figures, per-domain caps, and the fit rule.

1. The official DDO notebook (Kang et al., AutoScale, arXiv 2407.20177; public repository
   github.com/feiyang-k/AutoScale, file algorithms/DDO_example.ipynb). Its perplexity table (cell 3:
   row 0 the uniform base run, rows 1-7 one domain reduced to x = 1/5, rows 8-14 one domain tripled,
   x = 3; columns 0-6 the domains' validation perplexities, column 7 their mean, the objective it fits),
   the parameters it prints (cell 14) and the weights it prints (cell 19, the projected gradient descent
   with github fixed at 0.2 by hand; cell 21, the numbers it plots) are copied here as published data.
   Reproduced independently: scipy.optimize.curve_fit from its default start (p0 = ones, method 'lm'),
   then the allocation by SLSQP (min sum_i y_i(x_i), sum_i x_i = 7, 1/5 <= x_i <= 3) and by our own
   re-implementation of the notebook's projected gradient descent.
   Writes Fixtures/ddo/notebook_losses.csv (the table as a LOSSES.csv with an objective column; base run
   1e8 tokens per domain, so x = 0.2 and 3 exactly; the weights do not depend on that scale).
2. Where curve_fit from ones lands on random exact triples (all exact solutions by scipy.optimize.root).
3. Capped allocations (SLSQP with per-domain upper bounds min(upper, cap_i / N_i), cross-checked by a
   brentq on the budget multiplier) and capped predictions (brentq on u of
   sum_i min(exp(c_i + k_i u), cap_i) = S).

Writes Fixtures/ddo/notebook.json. Run: Fixtures/.venv/bin/python Fixtures/gen/ddo_notebook.py
"""
import json, os, warnings
import numpy as np
from scipy.optimize import curve_fit, root, minimize, brentq

warnings.simplefilter("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "ddo")
rng = np.random.default_rng(20261202)
out = {}

# ---------------------------------------------------------------- 1. The notebook (published data).
DOMAINS = ["common_crawl", "github", "books", "wiki", "c4", "stackexchange", "arxiv"]
RESMAT = np.array([
    [38.43918768, 6.810644431, 39.42194489, 26.29195806, 52.70910489, 17.20930668, 15.91400852, 28.11373645],
    [47.00076314, 6.701936791, 40.35301934, 27.46806525, 55.96132476, 17.38722599, 15.90832213, 30.11152249],
    [38.47780852, 8.733341311, 39.32540073, 26.33351201, 52.60689674, 17.44232836, 15.71886359, 28.37687875],
    [39.40428505, 6.776319454, 49.33124143, 26.52060831, 54.00225121, 17.18970718, 15.79250617, 29.85955983],
    [40.54155441, 6.839139826, 39.94417608, 34.18524889, 54.4167876, 17.46952505, 15.91726493, 29.90195668],
    [41.14448824, 6.859714282, 40.67308865, 27.20368327, 63.08622503, 17.60106561, 16.07101523, 30.37704005],
    [39.0137341, 6.926247482, 39.88225296, 26.52126904, 53.86754481, 22.27269354, 16.17991942, 29.23766591],
    [38.70249171, 6.918485731, 39.86103863, 26.26226702, 53.17299166, 17.6842962, 19.8770841, 28.92552215],
    [30.19684821, 6.939812039, 37.90792361, 24.23158181, 48.17830869, 17.36539446, 15.68351383, 25.78619752],
    [37.94802952, 5.613374945, 39.16422994, 25.89138817, 52.30460075, 17.11699951, 15.72370227, 27.68033216],
    [36.59637765, 6.914859328, 31.6888879, 25.64599554, 50.05357382, 17.07781462, 15.8308627, 26.25833879],
    [35.85588461, 6.783658997, 38.64062824, 20.39439632, 50.55149186, 17.34583219, 15.74445236, 26.47376351],
    [34.54990076, 6.8295301, 37.3943686, 24.64569948, 42.5830809, 16.86745534, 15.61577385, 25.49797272],
    [37.55289603, 6.608311497, 38.75894959, 25.64544282, 51.21980577, 14.05161784, 15.26695558, 27.01485416],
    [37.54411654, 6.694165841, 39.11963037, 25.60502117, 51.65007665, 16.98920334, 13.09181378, 27.24200395]])
# cell 14's printout (a, b, c) per domain
PUBLISHED_FITS = [
    [2.6658731959247985, 1.2492023890295736, 0.8026540600177617],
    [6.616175591939301, 1.4360012483967404, 0.9458217913242287],
    [2.673602759483928, 1.5362602612056064, 0.8645212064449814],
    [2.4631072679557477, 1.8287307258995613, 0.8968517051583392],
    [2.518384099486731, 1.1858721474138574, 0.775039246658818],
    [2.889957893044303, 1.9536275987550742, 0.9296170669705276],
    [3.31917392337233, 1.926671000555819, 0.9403250708425615]]
# cell 19 (the converged gradient descent over the six other domains) with github's 0.2 inserted
PUBLISHED_X = [1.62475352, 0.2, 1.27415166, 1.17979573, 1.8518998, 0.63716376, 0.23223551]
# cell 21 (typed in by hand and plotted as "Optimized Domain Weights")
PLOTTED_X = [1.62400123, 0.2, 1.27295996, 1.17864697, 1.85235172, 0.63745544, 0.23458466]
XS = np.array([1 / 5, 1, 3])
M = 7
BASE_TOKENS = 100_000_000


def model(x, a, b, c):
    return np.power(x + a, -b) + c


def points(dom):
    obj = RESMAT[:, 7]
    return XS, np.array([obj[1 + dom], obj[0], obj[8 + dom]]) / obj[0]


def exact_solutions(x, y):
    """Every exact (a, b, c) with a > -min x, b > 0 that scipy's root finder finds from a wide grid, by b."""
    sols = []
    for s in [1e-3, 0.01, 0.05, 0.2, 1, 3, 5, 10, 20, 50]:
        for b0 in [0.01, 0.05, 0.2, 0.7, 2, 5, 10]:
            a0 = -x.min() + s * x.max()
            def eq(p):
                if np.any(x + p[0] <= 0) or p[1] <= 0:
                    return np.full(3, 1e3)
                return model(x, *p) - y
            c0 = y.mean() - np.mean((x + a0) ** (-b0))
            r = root(eq, [a0, b0, c0], method="hybr", options=dict(xtol=1e-15))
            a, b, c = r.x
            if b > 1e-9 and np.all(x + a > 0) and np.max(np.abs(eq(r.x))) < 1e-12:
                if not any(abs(a - t[0]) < 1e-6 * (1 + abs(a)) and abs(b - t[1]) < 1e-6 * (1 + b) for t in sols):
                    sols.append([float(a), float(b), float(c)])
    return sorted(sols, key=lambda t: t[1])


def slsqp(a, b, c, base, budget, lower, uppers):
    """min sum_i y_i(x_i) s.t. sum_i base_i x_i = budget, lower <= x_i <= uppers_i (SLSQP, tight tolerances)."""
    a, b, c, base = map(np.asarray, (a, b, c, base))
    f = lambda x: float(np.sum((x + a) ** (-b) + c))
    g = lambda x: -b * (x + a) ** (-b - 1)
    cons = [dict(type="eq", fun=lambda x: float(base @ x - budget), jac=lambda x: base)]
    x0 = np.clip(np.full(len(a), budget / base.sum()), lower, uppers)
    best = None
    for ftol in (1e-15, 1e-13, 1e-11):
        r = minimize(f, x0, jac=g, method="SLSQP", bounds=list(zip([lower] * len(a), uppers)), constraints=cons,
                     options=dict(ftol=ftol, maxiter=2000))
        if abs(base @ r.x - budget) <= 1e-9 * budget and (best is None or r.fun < best.fun):
            best = r
    return best.x


def kkt_brentq(a, b, base, budget, lower, uppers):
    """The KKT solution by brentq on ln(lambda): x_i = clip((b_i/(lam base_i))^(1/(b_i+1)) - a_i, lower, upper_i)."""
    a, b, base, uppers = map(np.asarray, (a, b, base, uppers))
    def xs(t):
        v = np.exp((np.log(b) - t - np.log(base)) / (b + 1)) - a
        return np.minimum(np.maximum(v, lower), uppers)
    t = brentq(lambda t: base @ xs(t) - budget, -200, 200, xtol=1e-14, rtol=1e-15, maxiter=1000)
    return xs(t)


fits = []
for dom in range(M):
    x, y = points(dom)
    p, _ = curve_fit(model, x, y)  # the notebook's call: default p0 = ones, method 'lm'
    assert np.allclose(p, PUBLISHED_FITS[dom], rtol=1e-7, atol=0), (dom, p)
    sols = exact_solutions(x, y)
    assert len(sols) == 2 and abs(sols[1][1] - p[1]) < 1e-6 * p[1], (dom, sols, p)
    fits.append(dict(domain=DOMAINS[dom], x=x.tolist(), y=y.tolist(), curve_fit=[float(v) for v in p],
                     smallest_b=sols[0], solutions=sols))

A = [f["curve_fit"][0] for f in fits]; B = [f["curve_fit"][1] for f in fits]; C = [f["curve_fit"][2] for f in fits]
base = np.full(M, float(BASE_TOKENS))
x_slsqp = slsqp(A, B, C, base, M * BASE_TOKENS, 0.2, [3.0] * M)
x_kkt = kkt_brentq(A, B, base, M * BASE_TOKENS, 0.2, [3.0] * M)
assert np.max(np.abs(x_slsqp - x_kkt)) < 1e-6, (x_slsqp, x_kkt)


def notebook_gd(a, b, steps=20000):
    """The notebook's projected gradient descent (cells 16-18), re-implemented: every domain starts at the
    same multiplier, the gradient is projected on sum = const (scaled by cn/(cn-1)), step 0.1; a domain that
    goes below 0.2 is fixed there (the notebook does it by hand for github) and the rest re-run."""
    fixed = []
    while True:
        ind = [i for i in range(M) if i not in fixed]
        cn = len(ind)
        n = np.ones(cn) + 0.8 * (M - cn) / cn
        for _ in range(steps):
            g = np.array([-b[i] * (n[j] + a[i]) ** (-b[i] - 1) for j, i in enumerate(ind)])
            g = (cn / (cn - 1)) * g - np.sum(g) / (cn - 1)
            n = n - 0.1 * g
            if np.any(n + np.array(a)[ind] <= 0):
                break
        low = [i for j, i in enumerate(ind) if n[j] < 0.2]
        if not low:
            xs = np.full(M, 0.2)
            xs[ind] = n
            return xs
        fixed.append(low[int(np.argmin([n[ind.index(i)] for i in low]))])


x_gd = notebook_gd(A, B)
assert np.max(np.abs(x_gd - x_slsqp)) < 1e-6, (x_gd, x_slsqp)
assert np.max(np.abs(x_slsqp - np.array(PUBLISHED_X))) < 1e-6, (x_slsqp, PUBLISHED_X)

As = [f["smallest_b"][0] for f in fits]; Bs = [f["smallest_b"][1] for f in fits]; Cs = [f["smallest_b"][2] for f in fits]
x_alt = slsqp(As, Bs, Cs, base, M * BASE_TOKENS, 0.2, [3.0] * M)
x_alt_kkt = kkt_brentq(As, Bs, base, M * BASE_TOKENS, 0.2, [3.0] * M)
assert np.max(np.abs(x_alt - x_alt_kkt)) < 1e-6

out["notebook"] = dict(
    source="github.com/feiyang-k/AutoScale algorithms/DDO_example.ipynb (cells 3, 14, 19, 21)",
    domains=DOMAINS, fits=fits, lower=0.2, upper=3.0, base_tokens=BASE_TOKENS,
    published_fits=PUBLISHED_FITS,
    published_weights=(np.array(PUBLISHED_X) / M).tolist(),
    plotted_weights=(np.array(PLOTTED_X) / M).tolist(),
    weights=(x_kkt / M).tolist(), weights_slsqp=(x_slsqp / M).tolist(), weights_gd=(x_gd / M).tolist(),
    smallest_b_weights=(x_alt_kkt / M).tolist())
print("notebook weights (scipy):", np.round(x_kkt / M, 6))
print("  published (cell 19):   ", np.round(np.array(PUBLISHED_X) / M, 6),
      "max |diff|", np.max(np.abs(x_kkt - PUBLISHED_X)) / M)
print("  plotted (cell 21):     ", np.round(np.array(PLOTTED_X) / M, 6),
      "max |diff|", np.max(np.abs(x_kkt - PLOTTED_X)) / M)
print("smallest-b weights:      ", np.round(x_alt_kkt / M, 6))

rows = ["run," + ",".join(f"tokens:{d}" for d in DOMAINS) + ",objective"]
names = ["base"] + [f"{d}-x0.2" for d in DOMAINS] + [f"{d}-x3" for d in DOMAINS]
for r in range(15):
    t = [BASE_TOKENS] * M
    if 1 <= r <= 7:
        t[r - 1] = BASE_TOKENS // 5
    elif r >= 8:
        t[r - 8] = 3 * BASE_TOKENS
    rows.append(",".join([names[r]] + [str(v) for v in t] + [repr(float(RESMAT[r, 7]))]))
with open(os.path.join(OUT, "notebook_losses.csv"), "w") as fh:
    fh.write("\n".join(rows) + "\n")

# ---------------------------------------------------------------- 2. Where curve_fit from ones lands.
basins = []
tries = 0
while len(basins) < 40 and tries < 400:
    tries += 1
    factors = [[1 / 3, 1, 3], [0.2, 1, 3], [0.5, 1, 2], [0.25, 1, 4]][tries % 4]
    x = np.array(factors)
    a, b = rng.uniform(-0.8 * x.min(), 6), rng.uniform(0.02, 3)
    y = model(x, a, b, 0.0)
    y = y / y[1]  # y(1) = 1 as DDO produces
    try:
        p, _ = curve_fit(model, x, y)
    except RuntimeError:
        continue
    if not (np.all(np.isfinite(p)) and p[1] > 0 and np.all(x + p[0] > 0) and np.max(np.abs(model(x, *p) - y)) < 1e-10):
        continue
    sols = exact_solutions(x, y)
    if len(sols) != 2:
        continue
    which = int(np.argmin([abs(s[1] - p[1]) for s in sols]))
    if abs(sols[which][1] - p[1]) > 1e-6 * p[1]:
        continue
    # keep only clear cases: the two solutions well apart, the landing not near the middle
    basins.append(dict(x=x.tolist(), y=y.tolist(), curve_fit=[float(v) for v in p], solutions=sols, which=which))
out["basins"] = basins
print("basins:", len(basins), "cases,", sum(c["which"] for c in basins), "land on the larger b")

# ---------------------------------------------------------------- 3. Caps.
capped = []
for case in range(12):
    m = int(rng.integers(3, 8))
    a = rng.uniform(-0.25, 3, m); b = rng.uniform(0.05, 2.5, m); c = rng.uniform(0.3, 0.9, m)
    base = rng.uniform(0.5e6, 2e6, m)
    lower, upper = 1 / 3, 3.0
    budget = base.sum() * rng.uniform(0.8, 1.8)
    free = kkt_brentq(a, b, base, budget, lower, [upper] * m)
    caps = {}
    # cap one to three domains below their uncapped optimum (so they bind), one possibly above (slack)
    order = np.argsort(-free * base)
    for i in order[: int(rng.integers(1, 4))]:
        caps[int(i)] = float(free[i] * base[i] * rng.uniform(0.4, 0.9))
    if case % 3 == 0:
        j = int(order[-1]); caps[j] = float(free[j] * base[j] * 1.5)
    uppers = [min(upper, caps[i] / base[i]) if i in caps else upper for i in range(m)]
    if lower * base.sum() > budget or np.dot(uppers, base) < budget:
        continue
    uppers = [max(u, lower) for u in uppers]
    x1 = slsqp(a, b, c, base, budget, lower, uppers)
    x2 = kkt_brentq(a, b, base, budget, lower, uppers)
    assert np.max(np.abs(x1 - x2) / x2) < 1e-5, (x1, x2)
    capped.append(dict(a=a.tolist(), b=b.tolist(), c=c.tolist(), base=base.tolist(), lower=lower, upper=upper,
                       budget=float(budget), caps={str(k): v for k, v in caps.items()},
                       x=x2.tolist(), x_slsqp=x1.tolist(),
                       capped=[i for i in range(m) if i in caps and abs(x2[i] * base[i] - caps[i]) <= 1e-9 * caps[i]]))
out["capped_allocations"] = capped

pred = []
for case in range(10):
    m = int(rng.integers(3, 7))
    c = rng.uniform(10, 14, m); k = rng.uniform(0.2, 1.5, m)
    if case % 4 == 3:
        k[0] = -0.3
    h = lambda u: float(np.sum(np.exp(c + k * u)))
    target = h(rng.uniform(1.5, 4))
    free_u = brentq(lambda u: np.log(h(u)) - np.log(target), 0, 60, xtol=1e-14)
    free_n = np.exp(c + k * free_u)
    caps = {}
    for i in np.argsort(-k)[: int(rng.integers(1, 3))]:
        caps[int(i)] = float(free_n[i] * rng.uniform(0.3, 0.9))
    capv = np.array([caps.get(i, np.inf) for i in range(m)])
    hc = lambda u: float(np.sum(np.minimum(np.exp(c + k * u), capv)))
    u = brentq(lambda u: np.log(hc(u)) - np.log(target), free_u, free_u + 200, xtol=1e-14)
    n = np.minimum(np.exp(c + k * u), capv)
    pred.append(dict(c=c.tolist(), k=k.tolist(), target=target, caps={str(i): v for i, v in caps.items()},
                     u=u, tokens=n.tolist(), capped=[i for i in caps if n[i] == capv[i]]))
out["capped_predictions"] = pred

with open(os.path.join(OUT, "notebook.json"), "w") as fh:
    json.dump(out, fh, indent=1)
print("wrote", os.path.join(OUT, "notebook.json"))
