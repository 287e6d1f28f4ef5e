#!/usr/bin/env bash
# Many budgets from one run (issue 14): `autoscale train --tokens` lists (one WSD trunk with a cooldown branched at
# each budget) against separate `train --tokens B` runs of every budget, for K = 2, 3, 4 budgets ending at 120k,
# on the tiny GPT-2 proxy (2x64, context 64, batch 8; 20% 1-sqrt cooldown) over a synthetic corpus. Prints, for
# K = 2, 3, 4: optimizer steps and tokens trained, wall time, evaluation time (summed from the progress lines), the
# cost as a multiple of the largest budget's run alone in steps, in wall time, and in wall time without evaluation
# on either side (goal: at most 1.3x at K = 3), how far each branch's validation losses are from its separate run's,
# and where the list's wall time went (trunk and branch phase lines). Then Hägele et al.'s comparison at 120k over 3
# seeds: WSD (20% 1-sqrt) against cosine to 10% of the peak at the same length, and against SWA/EMA of the
# constant-rate trunk (no cooldown): mean validation loss over the domains, mean and spread over the seeds. The
# reference is our own separate runs, measured in the same invocation; no Python model code.
# Env: BIN (release autoscale), COST_ONLY=1 (skip the Hägele comparison).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
BIN="${BIN:-$here/../../.build/release/autoscale}"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
"$BIN" corpus build --out "$work/corpus" --synthetic --synthetic-bytes 400000 --val-bytes 40000 --quiet >/dev/null
"$BIN" tokenizer train --corpus "$work/corpus" --vocab-size 1024 --out "$work/tok.json" --quiet >/dev/null
"$BIN" corpus tokenize --corpus "$work/corpus" --tokenizer "$work/tok.json" --min-val-tokens 4000 --quiet >/dev/null
common='model: {arch: gpt2, n_layer: 2, n_embd: 64, n_head: 2}
context: 64
batch_size: 8
eval_tokens: 4096
seed: 1
optimizer: {weight_decay: 0.1, max_grad_norm: 1.0}'
printf '%s\nschedule: {kind: wsd, peak_lr: 3.0e-3, warmup_steps: 10, cooldown_fraction: 0.2, shape: 1-sqrt}\n' "$common" >"$work/wsd.yaml"
printf '%s\nschedule: {kind: wsd, peak_lr: 3.0e-3, warmup_steps: 10, cooldown_fraction: 0.2, shape: 1-sqrt}\naveraging: {swa_window: 40, swa_interval: 4, ema_decay: 0.99}\n' "$common" >"$work/avg.yaml"
printf '%s\nschedule: {kind: cosine, peak_lr: 3.0e-3, warmup_steps: 10, final_fraction: 0.1}\n' "$common" >"$work/cos.yaml"
args=(train --corpus "$work/corpus" --threads "$(nproc)" --quiet --json)
# The cost runs keep their progress lines (stderr): the evaluations' and the trunk's/branches' phase timings.
loud=(train --corpus "$work/corpus" --threads "$(nproc)" --json)
now() { date +%s.%N; }

for b in 15k 30k 60k 120k; do
  t0=$(now)
  "$BIN" "${loud[@]}" --config "$work/wsd.yaml" --tokens $b --out "$work/sep-$b" >"$work/sep-$b.json" \
    2>"$work/sep-$b.err"
  t1=$(now); python3 -c "print($t1 - $t0)" >"$work/sep-$b.wall"
done
load="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "branches vs separate runs (tiny proxy, 20% 1-sqrt cooldown, $(nproc) cores, load $load):"
for list in 60k,120k 30k,60k,120k 15k,30k,60k,120k; do
  t0=$(now)
  "$BIN" "${loud[@]}" --config "$work/wsd.yaml" --tokens $list --out "$work/list-$list" >"$work/list-$list.json" \
    2>"$work/list-$list.err"
  t1=$(now); python3 -c "print($t1 - $t0)" >"$work/list-$list.wall"
done
python3 - "$work" <<'PYEOF'
import json, re, sys
w = sys.argv[1]
def wall(n): return float(open(f"{w}/{n}.wall").read())
def evals(n):  # wall seconds of every evaluation of the invocation (the "(X s)" ending each eval progress line)
    return sum(float(m) for m in re.findall(r"^eval.* \(([0-9.]+) s\)$", open(f"{w}/{n}.err").read(), re.M))
def phases(n):  # seconds per phase over the trunk and branch lines ("trunk: 191 steps, training 1.386 s, ...")
    out = {}
    for line in open(f"{w}/{n}.err"):
        if re.match(r"^(trunk|branch \d+): \d+ steps, ", line):
            for k, v in re.findall(r", ([a-z]+) ([0-9.]+) s", line): out[k] = out.get(k, 0.0) + float(v)
    return out
sep = {b: json.load(open(f"{w}/sep-{b}/result.json")) for b in ("15k", "30k", "60k", "120k")}
print("  K  budgets             steps: list/sep/largest  Mtokens: list/largest  wall s: list/sep/largest"
      "  eval s: list/largest  cost vs largest: steps, wall, wall w/o eval   max |branch - separate| val loss")
rows = []
for lst in ("60k,120k", "30k,60k,120k", "15k,30k,60k,120k"):
    j = json.load(open(f"{w}/list-{lst}.json")); budgets = lst.split(",")
    big = sep[budgets[-1]]; per_step = big["trained_tokens"] / big["steps"]
    diff = 0.0
    for b in j["budgets"]:
        assert b["steps"] == sep[b["label"]]["steps"], "branch and separate run disagree on steps"
        diff = max(diff, max(abs(v - sep[b["label"]]["val_loss"][d]) for d, v in b["val_loss"].items()))
    lw, le, bw, be = wall(f"list-{lst}"), evals(f"list-{lst}"), wall("sep-" + budgets[-1]), evals("sep-" + budgets[-1])
    sw = sum(wall("sep-" + b) for b in budgets)
    print("  %d  %-18s  %4d / %4d / %4d           %5.3f / %5.3f          %5.2f / %5.2f / %5.2f        %4.2f / %4.2f"
          "            %.2fx, %.2fx, %.2fx                     %.1e"
          % (len(budgets), lst, j["trained_steps"], sum(sep[b]["steps"] for b in budgets), big["steps"],
             j["trained_steps"] * per_step / 1e6, big["trained_tokens"] / 1e6, lw, sw, bw, le, be,
             j["trained_steps"] / big["steps"], lw / bw, (lw - le) / (bw - be), diff))
    rows.append((lst, phases(f"list-{lst}")))
print("  where the list's wall time went (s, summed over trunk and branches; the rest of the wall is process start,")
print("  corpus and evaluation-set loading, model folder and JSON writes outside the branches):")
for lst, p in rows:
    print("    %-18s " % lst + ", ".join("%s %.3f" % kv for kv in p.items()))
PYEOF

[ "${COST_ONLY:-0}" = 1 ] && exit 0
echo "Hägele et al. at 120k (mean validation loss over the domains; mean +- sample std over seeds 1, 2, 3):"
for seed in 1 2 3; do
  "$BIN" "${args[@]}" --config "$work/cos.yaml" --tokens 120k --seed $seed --out "$work/cos-$seed" >"$work/cos-$seed.json"
  "$BIN" "${args[@]}" --config "$work/avg.yaml" --tokens 60k,120k --seed $seed --out "$work/avg-$seed" >"$work/avg-$seed.json"
done
python3 - "$work" <<'PYEOF'
import json, statistics, sys
w = sys.argv[1]; rows = {"wsd 20% 1-sqrt": [], "cosine to 10%": [], "trunk, no cooldown": [], "trunk SWA (window 40)": [], "trunk EMA 0.99": []}
mean = lambda m: sum(m.values()) / len(m)
for s in (1, 2, 3):
    rows["cosine to 10%"].append(mean(json.load(open(f"{w}/cos-{s}.json"))["val_loss"]))
    b = [x for x in json.load(open(f"{w}/avg-{s}.json"))["budgets"] if x["label"] == "120k"][0]
    rows["wsd 20% 1-sqrt"].append(mean(b["val_loss"])); rows["trunk, no cooldown"].append(mean(b["trunk_val_loss"]))
    rows["trunk SWA (window 40)"].append(mean(b["swa_val_loss"])); rows["trunk EMA 0.99"].append(mean(b["ema_val_loss"]))
for k, v in rows.items():
    print("  %-22s %.4f +- %.4f   (%s)" % (k, statistics.mean(v), statistics.stdev(v), ", ".join("%.4f" % x for x in v)))
PYEOF
