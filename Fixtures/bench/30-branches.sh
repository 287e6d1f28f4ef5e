#!/usr/bin/env bash
# Many budgets from one run (issue 14): `autoscale train --tokens` lists (one WSD trunk with a cooldown branched at
# each budget) against separate `train --tokens B` runs of every budget, for K = 2, 3, 4 budgets ending at 120k,
# on the tiny GPT-2 proxy (2x64, context 64, batch 8; 20% 1-sqrt cooldown) over a synthetic corpus. Prints the
# optimizer steps and wall time of each and the cost as a multiple of the largest budget's run alone (goal: at
# most 1.3x at K = 3). Then Hägele et al.'s comparison at 120k over 3 seeds: WSD (20% 1-sqrt) against cosine to 10%
# of the peak at the same length, and against SWA/EMA of the constant-rate trunk (no cooldown): mean validation
# loss over the domains, mean and spread over the seeds. The reference is our own separate runs, measured in the
# same invocation; no Python model code. Env: BIN (release autoscale).
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
now() { date +%s.%N; }

declare -A sep_s sep_steps
for b in 15k 30k 60k 120k; do
  t0=$(now); "$BIN" "${args[@]}" --config "$work/wsd.yaml" --tokens $b --out "$work/sep-$b" >"$work/sep-$b.json"; t1=$(now)
  sep_s[$b]=$(python3 -c "print($t1 - $t0)")
  sep_steps[$b]=$(python3 -c "import json; print(json.load(open('$work/sep-$b.json'))['steps'])")
done
echo "branches vs separate runs (tiny proxy, 20% 1-sqrt cooldown, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)):"
echo "  K  budgets              steps: list / separate / largest alone   seconds: list / separate / largest alone   cost vs largest: steps, time"
for list in 60k,120k 30k,60k,120k 15k,30k,60k,120k; do
  t0=$(now); "$BIN" "${args[@]}" --config "$work/wsd.yaml" --tokens $list --out "$work/list-$list" >"$work/list.json"; t1=$(now)
  python3 - "$work/list.json" "$(python3 -c "print($t1 - $t0)")" "$list" \
      "$(for b in ${list//,/ }; do printf '%s:%s:%s ' $b ${sep_steps[$b]} ${sep_s[$b]}; done)" <<'PYEOF'
import json, sys
j = json.load(open(sys.argv[1])); wall = float(sys.argv[2]); budgets = sys.argv[3].split(",")
sep = {b: (int(s), float(t)) for b, s, t in (x.split(":") for x in sys.argv[4].split())}
steps_sep = sum(s for s, _ in sep.values()); t_sep = sum(t for _, t in sep.values())
big_steps, big_t = sep[budgets[-1]]
for b in j["budgets"]:
    assert b["steps"] == sep[b["label"]][0], "branch and separate run disagree on steps"
print("  %d  %-19s  %5d / %5d / %5d                       %6.1f / %6.1f / %6.1f                      %.2fx, %.2fx"
      % (len(budgets), sys.argv[3], j["trained_steps"], steps_sep, big_steps, wall, t_sep, big_t,
         j["trained_steps"] / big_steps, wall / big_t))
PYEOF
done

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
