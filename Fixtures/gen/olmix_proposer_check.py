"""Checks Fixtures/mixing-methods.json's Olmix cases against Olmix's own exact proposer (allenai/olmix,
olmix/fit/utils.py: LogLinearExactProposer, cvxpy + ECOS), on the same fitted laws.

Usage: python olmix_proposer_check.py PATH/TO/olmix/fit/utils.py   (needs numpy, cvxpy, ecos; it reads Olmix's
file from a checkout, writes nothing and prints the largest weight difference per case). Without the path, or
without cvxpy, it says so and exits 0 (so `make fixtures`, which runs every script here, passes over it; CI never
runs Python). Only the LogLinearExactProposer class is taken from the file (its heavy imports are skipped).
"""
import json, math, os, sys
import numpy as np

try:
    import cvxpy as cp
except ImportError:
    cp = None
if len(sys.argv) < 2 or cp is None:
    print("olmix_proposer_check.py: skipped (give the path to olmix/fit/utils.py and install cvxpy and ecos)",
          file=sys.stderr)
    sys.exit(0)

src = open(sys.argv[1]).read()
start = src.index("class Proposer:")
end = src.index("PROPOSER_TYPES")
ns = {"np": np, "cp": cp, "logger": __import__("logging").getLogger("olmix"), "Regressor": object,
      "SearchRegressor": object}
exec(src[start:end], ns)
Proposer = ns["LogLinearExactProposer"]

HERE = os.path.dirname(os.path.abspath(__file__))
ref = json.load(open(os.path.join(HERE, "..", "mixing-methods.json")))
domains, budget = ref["domains"], ref["budget"]


class Fitted:
    def __init__(self, law):
        # Olmix's log-linear model: [log c, v] with L = exp(log c) + exp(v . r); v = ln k + t.
        self.model = [math.log(law["c"])] + [math.log(law["k"]) + t for t in law["t"]]


for case in ref["olmix"]:
    preds = [Fitted(case["laws"][d]) for d in domains]
    avail = case["available"]
    prior = {d: (avail[d] if avail else 1.0) for d in domains}
    total = sum(prior.values())
    prior = {d: v / total for d, v in prior.items()}
    x = Proposer().propose(predictor=preds, prior_distributions=prior,
                           token_counts={d: avail.get(d, 0) for d in domains}, constrain_objective=bool(avail),
                           kl_reg=case["kl_weight"], target_tokens=budget, repetition_factor=case["repetition"] or 4.0)
    diff = float(np.max(np.abs(np.array(x) - np.array(case["weights"]))))
    print(f"{case['name']}: olmix {[round(float(v), 8) for v in x]} vs reference "
          f"{[round(v, 8) for v in case['weights']]}: "
          f"max |diff| {diff:.2e}")
