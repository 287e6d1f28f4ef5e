"""Reference values for RegMix's gradient-boosted trees regressor (Sources/DataMixing/GradientBoostedTrees.swift,
`mix fit --method regmix --regressor gbt`), from scikit-learn and an independent numpy port.

1. A world: 3 domains, 48 mixtures from numpy's Dirichlet(1, 1, 1), rounded to float32-representable doubles
   (scikit-learn's trees compare features in float32; with representable inputs its float32 and our float64
   comparisons see the same numbers), an objective from the Data Mixing Law of mixing_methods.py (mean loss over
   the three validation domains) plus N(0, 0.002^2) noise.
2. scikit-learn's GradientBoostingRegressor (squared error, 100 trees, learning rate 0.1, depth 3, one sample per
   leaf at least: its defaults) -> its predictions at the 48 training mixtures. These do not depend on which of
   several features giving the same partition of a node a tree splits on (scikit-learn visits the features in a
   seeded random order and keeps the first best); predictions elsewhere do.
3. A numpy port of the same algorithm (exact greedy splits on sorted values, thresholds halfway a/2 + b/2, values
   within 1e-7 treated as equal, the proxy sum_L^2/n_L + sum_R^2/n_R, a node with impurity <= DBL_EPSILON a leaf)
   that breaks ties between features by the LOWEST feature index, as the Swift code does. Checked here against
   scikit-learn's training predictions (asserted to 1e-12), then: its predictions at 200 held-out mixtures and
   RegMix's search with it (the Swift sampler, ported in mixing_methods.py: 20,000 Dirichlet(1/3) candidates, seed
   5, the mean of the 64 lowest; ties in the score to the earlier candidate).
Output: Fixtures/mixing/regmix-gbt.json.
"""
import json, math, os, sys
import numpy as np
from sklearn.ensemble import GradientBoostingRegressor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mixing_methods as mm  # noqa: E402  (its definitions: the true law and the ported sampler)

ROOT = os.path.dirname(HERE)
TREES, RATE, DEPTH, MIN_LEAF = 100, 0.1, 3, 1
EPS = np.finfo(float).eps
FEATURE_THRESHOLD = np.float32(1e-7)


def world():
    rng = np.random.default_rng(2407)
    r = rng.dirichlet(np.ones(3), size=48).astype(np.float32).astype(np.float64)
    loss = mm.TRUE_C[None, :] + mm.TRUE_K[None, :] * np.exp(r @ mm.TRUE_T.T)
    y = loss.mean(axis=1) + rng.normal(0, mm.NOISE, size=48)
    test = rng.dirichlet(np.ones(3), size=200).astype(np.float32).astype(np.float64)
    return r, y, test


def build(x, g, idx, depth, nodes):
    n = len(idx)
    s = float(np.sum(g[idx]))
    sq = float(np.sum(g[idx] ** 2))
    impurity = sq / n - (s / n) ** 2
    me = len(nodes)
    nodes.append({"feature": -1, "threshold": 0.0, "left": -1, "right": -1, "value": s / n})
    if depth >= DEPTH or n < 2 or n < 2 * MIN_LEAF or impurity <= EPS:
        return me
    best = (-math.inf, None, None, None)
    for f in range(x.shape[1]):
        order = sorted(idx, key=lambda i: (x[i, f], i))
        v = [x[i, f] for i in order]
        # scikit-learn compares in float32: the gap of "equal" values is float32(1e-7) added in float32.
        if np.float32(v[-1]) <= np.float32(v[0]) + FEATURE_THRESHOLD:
            continue
        left = 0.0
        for k in range(1, n):
            left += g[order[k - 1]]
            if np.float32(v[k]) <= np.float32(v[k - 1]) + FEATURE_THRESHOLD:
                continue
            if k < MIN_LEAF or n - k < MIN_LEAF:
                continue
            right = s - left
            proxy = left * left / k + right * right / (n - k)
            if proxy > best[0]:
                best = (proxy, f, v[k - 1] / 2.0 + v[k] / 2.0, order)
    if best[1] is None:
        return me
    _, f, thr, order = best
    li = [i for i in order if x[i, f] <= thr]
    ri = [i for i in order if x[i, f] > thr]
    nodes[me]["feature"], nodes[me]["threshold"] = f, thr
    nodes[me]["left"] = build(x, g, li, depth + 1, nodes)
    nodes[me]["right"] = build(x, g, ri, depth + 1, nodes)
    return me


def tree_predict(nodes, p):
    k = 0
    while nodes[k]["feature"] >= 0:
        k = nodes[k]["left"] if p[nodes[k]["feature"]] <= nodes[k]["threshold"] else nodes[k]["right"]
    return nodes[k]["value"]


def boost(x, y):
    init = float(np.mean(y))
    f = np.full(len(y), init)
    trees = []
    for _ in range(TREES):
        g = y - f
        nodes = []
        build(x, g, list(range(len(y))), 0, nodes)
        trees.append(nodes)
        f = f + RATE * np.array([tree_predict(nodes, p) for p in x])
    return init, trees


def predict(init, trees, p):
    v = init
    for t in trees:
        v += RATE * tree_predict(t, p)
    return v


def main():
    r, y, test = world()
    sk = GradientBoostingRegressor(n_estimators=TREES, learning_rate=RATE, max_depth=DEPTH,
                                   min_samples_leaf=MIN_LEAF, random_state=0).fit(r, y)
    sk_train = sk.predict(r)
    init, trees = boost(r, y)
    ours_train = np.array([predict(init, trees, p) for p in r])
    gap = float(np.max(np.abs(sk_train - ours_train)))
    assert gap <= 1e-12, f"the numpy port differs from scikit-learn at the training points by {gap}"
    ours_test = [predict(init, trees, p) for p in test]
    sk_test = sk.predict(test)
    # RegMix's search with the port, on the Swift sampler's candidates.
    g = mm.Xoshiro(mm.SplitMix(5).next())
    cand = [mm.dirichlet(g, [1.0 / 3] * 3) for _ in range(20_000)]
    scores = [predict(init, trees, np.array(c)) for c in cand]
    order = sorted(range(len(cand)), key=lambda i: (scores[i], i))[:64]
    answer = np.mean([cand[i] for i in order], axis=0)
    out = {"settings": {"trees": TREES, "learning_rate": RATE, "max_depth": DEPTH, "min_samples_leaf": MIN_LEAF},
           "domains": mm.DOMAINS, "mixtures": r.tolist(), "objectives": y.tolist(), "initial": init,
           "sklearn_train_predictions": sk_train.tolist(), "port_vs_sklearn_train": gap,
           "test_mixtures": test.tolist(), "test_predictions": ours_test,
           "sklearn_test_disagreements": int(np.sum(np.abs(sk_test - np.array(ours_test)) > 1e-12)),
           "first_tree": trees[0],
           "search": {"seed": 5, "samples": 20_000, "top_k": 64, "prior": [1.0 / 3] * 3,
                      "top_indices": order[:5], "weights": answer.tolist(),
                      "predicted": predict(init, trees, answer)},
           "sklearn": __import__("sklearn").__version__, "numpy": np.__version__}
    os.makedirs(os.path.join(ROOT, "mixing"), exist_ok=True)
    with open(os.path.join(ROOT, "mixing", "regmix-gbt.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"port vs scikit-learn at the training points: {gap:.2e}; held-out disagreements "
          f"{out['sklearn_test_disagreements']} of 200")


if __name__ == "__main__":
    main()
