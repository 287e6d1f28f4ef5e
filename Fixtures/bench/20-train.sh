#!/usr/bin/env bash
# Training throughput: `autoscale bench` (forward, backward, AdamW) against eager PyTorch with the
# same sizes and 2 threads, measured in the same run. Goals (issue 4): >= 3x on tiny, >= 1.25x on small.
# Also prints the step's GEMM roofline (tokens/s if a step were only its own GEMMs, each timed alone)
# as a multiple of the same-run PyTorch figure: how far the ratio could go at all.
set -euo pipefail
export OPENBLAS_NUM_THREADS=2
have_bench=1
"$BIN" bench --help >/dev/null 2>&1 || have_bench=0
have_torch=0
[ -x "${PY:-}" ] && "$PY" -c "import torch, transformers" >/dev/null 2>&1 && have_torch=1
[ $have_bench = 1 ] || echo "bench: this build has no 'autoscale bench' command; our side skipped"
[ $have_torch = 1 ] || echo "bench: no fixture venv with torch at ${PY:-Fixtures/.venv} (make fixtures); PyTorch reference skipped"
#         name  arch layers embd heads vocab ctx batch steps
configs=("tiny  gpt2 2      128  4     4096  128 16    10"
         "small gpt2 4      256  4     8192  256 8     5"
         "tiny  bert 2      128  4     4096  128 16    10")
for c in "${configs[@]}"; do
  read -r name arch layers embd heads vocab ctx batch steps <<<"$c"
  args=(--arch "$arch" --layers "$layers" --embd "$embd" --heads "$heads" --vocab "$vocab" --ctx "$ctx"
        --batch "$batch" --steps "$steps")
  if [ $have_bench = 1 ]; then
    ours=$("$BIN" bench "${args[@]}" --json)
    if [ $have_torch = 1 ]; then
      echo "$ours" | "$PY" Fixtures/bench/train_reference.py --name "$name" "${args[@]}"
    else
      echo "$name: $ours"
      bound=$(echo "$ours" | sed -n 's/.*"gemm_bound_tokens_per_s":\([0-9.e+-]*\).*/\1/p')
      [ -n "$bound" ] && printf '%s: GEMM-only bound %.0f tokens/s (PyTorch not measured)\n' "$name" "$bound"
    fi
  elif [ $have_torch = 1 ]; then
    "$PY" Fixtures/bench/train_reference.py --name "$name" --ours-missing "${args[@]}"
  fi
done
