#!/usr/bin/env bash
# Data-parallel training step (issue 7): `autoscale train` of one GPT-2 proxy in the issue-4 "small" shape
# (4 layers, 256 wide, 4 heads, context 256, global batch 8; vocabulary of the bench corpus's tokenizer) on a
# tiny synthetic corpus, as 1 rank x 2 OpenBLAS threads and as `mpirun -np 2` x 1 thread, the same global
# batch and steps. Prints the mean step time of each, their ratio, and the allreduce share of the 2-rank step
# (time inside the step's collectives, including waiting for the slower rank). The "reference" here is our own
# one-process run, measured in the same invocation; no Python is involved.
# Env: BIN (release autoscale built with the MPI trait).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
BIN="${BIN:-$here/../../.build/release/autoscale}"
if ! command -v mpirun >/dev/null 2>&1; then echo "dataparallel: mpirun not installed (make setup); skipped"; exit 0; fi
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
mpi_built=$("$BIN" cluster check --json --tickets 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["mpi_built"])')
if [ "$mpi_built" != True ]; then echo "dataparallel: $BIN was built without MPI (make build enables it); skipped"; exit 0; fi

"$BIN" corpus build --out "$work/corpus" --synthetic --synthetic-bytes 400000 --val-bytes 40000 --quiet >/dev/null
"$BIN" tokenizer train --corpus "$work/corpus" --vocab-size 1024 --out "$work/tok.json" --quiet >/dev/null
"$BIN" corpus tokenize --corpus "$work/corpus" --tokenizer "$work/tok.json" --min-val-tokens 2000 --quiet >/dev/null
cat >"$work/small.yaml" <<'YAML'
model: {arch: gpt2, n_layer: 4, n_embd: 256, n_head: 4}
context: 256
batch_size: 8
eval_tokens: 1000
seed: 1
schedule: {kind: cosine, peak_lr: 1.0e-3, warmup_steps: 2, final_fraction: 0.1}
optimizer: {weight_decay: 0.1, max_grad_norm: 1.0}
YAML
args=(train --corpus "$work/corpus" --config "$work/small.yaml" --tokens 40800 --json --quiet)
root=(); [ "$(id -u)" = 0 ] && root=(--allow-run-as-root)
"$BIN" "${args[@]}" --threads 2 --out "$work/one" >"$work/one.json"
mpirun "${root[@]}" --oversubscribe -np 2 "$BIN" "${args[@]}" --threads 1 --out "$work/two" >"$work/two.json"
python3 - "$work/one.json" "$work/two.json" "$(nproc)" "$(cut -d' ' -f1 /proc/loadavg)" <<'PYEOF'
import json, sys
one, two = (json.load(open(p)) for p in sys.argv[1:3])
cores, load = sys.argv[3], sys.argv[4]
print("data-parallel step, gpt2 4x256 ctx 256, global batch 8, %d steps (%s cores, load %s):" % (one["steps"], cores, load))
print("  1 rank  x %d threads: %.4f s/step  (%.0f tok/s)" % (one["threads_per_rank"], one["step_seconds"], one["tokens_per_second"]))
print("  2 ranks x %d thread : %.4f s/step  (%.0f tok/s), allreduce %.4f s/step = %.1f%% of the step"
      % (two["threads_per_rank"], two["step_seconds"], two["tokens_per_second"], two["allreduce_seconds"],
         100 * two["allreduce_seconds"] / two["step_seconds"]))
print("  ratio 2 ranks / 1 rank step time: %.2fx  (val loss %s vs %s)"
      % (two["step_seconds"] / one["step_seconds"],
         ", ".join("%s %.4f" % kv for kv in sorted(one["val_loss"].items())[:2]),
         ", ".join("%s %.4f" % kv for kv in sorted(two["val_loss"].items())[:2])))
PYEOF
