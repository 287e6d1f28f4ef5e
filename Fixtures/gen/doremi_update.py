"""Reference values for DataMixing's DoReMi update (Sources/DataMixing/DoReMi.swift), a numpy port of the public
code's `doremiv1` update (sangmichaelxie/doremi, doremi/trainer.py update_domain_weights) line by line:

    for each domain: mask = domain_ids == d; if any: score = clip(excess[mask], min=0).mean() else keep previous
    log_w = log(w) + eta * scores; log_w -= logsumexp(log_w)
    w = (1 - eps) * exp(log_w) + eps / k
    avg = mean of w over steps

Inputs: numpy-seeded per-token proxy and reference losses with domain ids (one step drops a domain from the
batch). Output: Fixtures/mixing/doremi.json.
"""
import json, os
import numpy as np
from scipy.special import logsumexp

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(16)
cases = []
for name, k, steps, tokens, eta, eps in [("k3_default", 3, 12, 40, 1.0, 1e-3),
                                         ("k4_eta2", 4, 20, 64, 2.0, 1e-2),
                                         ("k2_eps0", 2, 8, 16, 0.5, 0.0)]:
    w = np.full(k, 1.0 / k)
    scores = np.zeros(k)
    batches, traj = [], []
    for s in range(steps):
        dom = rng.integers(0, k, size=tokens)
        if s == 3:
            dom[dom == k - 1] = 0  # domain k-1 absent: keeps its previous score
        ref = rng.uniform(1.0, 5.0, size=tokens)
        proxy = ref + rng.normal(0.2 * (1 + dom), 0.5, size=tokens)
        excess = proxy - ref
        per = []
        for d in range(k):
            mask = dom == d
            per.append(np.clip(excess[mask], 0, None).mean() if mask.sum() > 0 else scores[d])
        scores = np.array(per)
        log_w = np.log(w) + eta * scores
        log_w = log_w - logsumexp(log_w)
        w = (1 - eps) * np.exp(log_w) + eps / k
        batches.append({"proxy": proxy.tolist(), "reference": ref.tolist(), "domain": dom.tolist()})
        traj.append(w.tolist())
    cases.append({"name": name, "domains": k, "eta": eta, "smoothing": eps, "batches": batches,
                  "weights": traj, "average": np.mean(np.array(traj), axis=0).tolist()})
out = os.path.join(HERE, "..", "mixing", "doremi.json")
with open(out, "w") as f:
    json.dump({"cases": cases}, f, indent=1)
print("wrote", out)
