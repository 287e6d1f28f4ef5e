#!/usr/bin/env bash
# How `autoscale fit` scales with the rows of the table: 1e3, 1e4, 1e5, 1e6 rows -> wall seconds for each law
# (power: loss vs FLOPs; chinchilla: N and D; isoflop: N and FLOPs), beside scipy's time for the same fit at the
# smallest size, measured in the same run. Above 2,000 rows power and chinchilla screen their starts on a
# seeded 256-row subsample and polish the best 4 basins on all rows (Docs/scaling-laws.md, "Many rows").
#
# The tables come from Fixtures/gen/scaling_rows.py (seeded; 8 FLOP budgets x 12 model sizes, Epoch AI's
# Chinchilla law times 1% log-normal noise). The scipy reference at 1,000 rows: power, L-BFGS-B from all 150
# starts of the same grid; chinchilla, L-BFGS-B from every 30th of the 4,500 starts, scaled by 30 (as in
# 20-scaling-fit.sh; printed as an extrapolation); isoflop, numpy.polyfit per budget and for the line.
# Env: BIN (release autoscale), PY (venv python; the reference is skipped when missing),
# BENCH_ROWS (default "1000 10000 100000 1000000").
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
BIN="${BIN:-$here/../../.build/release/autoscale}"
if [ ! -x "$BIN" ]; then echo "scaling-rows: $BIN not built" >&2; exit 1; fi
ROWS="${BENCH_ROWS:-1000 10000 100000 1000000}"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
TIMEFORMAT='%R %U %S'

args() {
  case "$1" in
    power) echo "--law power --x flops" ;;
    chinchilla) echo "--law chinchilla --n n --d d" ;;
    isoflop) echo "--law isoflop --n n --flops flops" ;;
  esac
}

echo "autoscale fit, wall seconds (CPU seconds) by rows ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg) at start)"
printf "%-10s %16s %16s %16s   %s\n" rows power chinchilla isoflop "chinchilla E, alpha, beta"
first=""
declare -A small
for n in $ROWS; do
  csv="$tmp/rows_$n.csv"
  python3 "$here/../gen/scaling_rows.py" "$n" "$csv"
  [ -z "$first" ] && first=$n
  line=$(printf "%-10s" "$n")
  for law in power chinchilla isoflop; do
    # shellcheck disable=SC2046
    read -r t u s < <( { time "$BIN" fit "$csv" $(args $law) --json --quiet >"$tmp/$law.json"; } 2>&1 )
    line+=$(printf " %7.2f (%6.2f)" "$t" "$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')")
    [ "$n" = "$first" ] && small[$law]=$t
  done
  line+="   "$(python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["params"]; print("%.4f %.4f %.4f" % (p["E"], p["alpha"], p["beta"]))' "$tmp/chinchilla.json")
  echo "$line"
done
echo "  (load $(cut -d' ' -f1 /proc/loadavg) at the end; wall time on a shared machine is CPU time / cores at best)"
echo "  (the law behind the tables: E 1.8172, alpha 0.3478, beta 0.3658)"

PY="${PY:-}"
if [ -z "$PY" ] || [ ! -x "$PY" ]; then
  echo "scipy reference: skipped (no venv python at '${PY}'; make fixtures creates it)"
  exit 0
fi
"$PY" - "$tmp/rows_$first.csv" "${small[power]}" "${small[chinchilla]}" "${small[isoflop]}" <<'PYEOF'
import csv, itertools, sys, time
import numpy as np
from scipy.optimize import minimize
from scipy.special import huber, logsumexp

path = sys.argv[1]
ours = dict(zip(["power", "chinchilla", "isoflop"], map(float, sys.argv[2:5])))
rows = list(csv.DictReader(open(path)))
N = np.array([float(r["n"]) for r in rows]); D = np.array([float(r["d"]) for r in rows])
C = np.array([float(r["flops"]) for r in rows]); L = np.array([float(r["loss"]) for r in rows])
logN, logD, logC, logL = np.log(N), np.log(D), np.log(C), np.log(L)

def chin(p):
    a, b, e, alpha, beta = p
    return np.sum(huber(1e-3, logsumexp([a - alpha * logN, b - beta * logD, np.full_like(logN, e)], axis=0) - logL))

def power(p):
    e, a, alpha = p
    return np.sum(huber(1e-3, logsumexp([a - alpha * logC, np.full_like(logC, e)], axis=0) - logL))

def multistart(f, starts):
    best = None
    for s in starts:
        r = minimize(f, s, method="L-BFGS-B")
        if best is None or r.fun < best.fun:
            best = r
    return best

ax = lambda lo, hi, st: np.arange(lo, hi + st / 2, st)
out = []
t0 = time.perf_counter()
grid = [[e, a, al] for al in ax(0, 2, 0.5) for e in ax(-1, 1, 0.5) for a in ax(0, 25, 5)]
bp = multistart(power, grid)
out.append(("power", time.perf_counter() - t0, 1, "%d starts" % len(grid)))
full = list(itertools.product(ax(0, 2, 0.5), ax(0, 2, 0.5), ax(-1, 1, 0.5), ax(0, 25, 5), ax(0, 25, 5)))
starts = [[a, b, e, al, be] for al, be, e, a, b in full[::30]]
t0 = time.perf_counter()
bc = multistart(chin, starts)
out.append(("chinchilla", (time.perf_counter() - t0) * len(full) / len(starts), len(full) // len(starts),
            "%d of %d starts, scaled by %d" % (len(starts), len(full), len(full) // len(starts))))
t0 = time.perf_counter()
budgets = np.unique(C)
vn = []
for c in budgets:
    m = C == c
    u = logN[m]; mu = u.mean()
    p2, p1, _ = np.polyfit(u - mu, L[m], 2)
    vn.append(mu - p1 / (2 * p2))
slope, inter = np.polyfit(np.log(budgets), vn, 1)
out.append(("isoflop", time.perf_counter() - t0, 1, "numpy.polyfit"))
print("scipy reference at %d rows (same fits, timed without reading the CSV; autoscale: the whole command; "
      "ratio = scipy / autoscale):" % len(rows))
for law, t, scale, how in out:
    print("  %-10s %9.2f s%s  (%s)  ratio %.1fx" % (law, t, " (extrapolated)" if scale > 1 else "", how, t / ours[law]))
print("  scipy chinchilla from its starts: E %.4f alpha %.4f beta %.4f; power E %.4f alpha %.4f; isoflop a %.4f"
      % (np.exp(bc.x[2]), bc.x[3], bc.x[4], np.exp(bp.x[0]), bp.x[2], slope))
PYEOF
