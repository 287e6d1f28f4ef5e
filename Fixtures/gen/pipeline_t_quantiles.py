"""Student's t quantiles t_{0.975}(df) from scipy (the pipeline's 95% paired intervals, Tests/PipelinesTests).

Writes Fixtures/pipeline/t-quantiles.json: {"p": 0.975, "quantiles": [[df, t], ...]}.
"""
import json, os
import scipy
from scipy.stats import t

dfs = list(range(1, 41)) + [50, 60, 80, 100, 200, 1000]
out = {"p": 0.975, "scipy": scipy.__version__, "quantiles": [[d, float(t.ppf(0.975, d))] for d in dfs]}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pipeline", "t-quantiles.json")
with open(path, "w") as f:
    json.dump(out, f)
    f.write("\n")
