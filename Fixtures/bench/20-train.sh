#!/usr/bin/env bash
# Training throughput: `autoscale bench` (forward, backward, AdamW) against PyTorch eager and
# torch.compile with the same sizes and thread count, measured in the same run (issue 19's goals:
# >= 2x the best of the two on the demo proxy and tiny, >= 1.5x on small, >= 85% of our own GEMM bound).
# Also prints the step's GEMM roofline (tokens/s if a step were only its own GEMMs, each timed alone)
# as a multiple of the best same-run PyTorch figure, and the demo proxy's DDO runs per hour on 2 cores
# (one rank per core, as `make demo` runs them: 2 x 3600 x tokens/s / 480k tokens, the demo's largest budget),
# and the peak memory of our step against eager PyTorch's, both above their process baselines (goal: <= 1.5x).
set -euo pipefail
have_bench=1
"$BIN" bench --help >/dev/null 2>&1 || have_bench=0
have_torch=0
[ -x "${PY:-}" ] && "$PY" -c "import torch, transformers" >/dev/null 2>&1 && have_torch=1
[ $have_bench = 1 ] || echo "bench: this build has no 'autoscale bench' command; our side skipped"
[ $have_torch = 1 ] || echo "bench: no fixture venv with torch at ${PY:-Fixtures/.venv} (make fixtures); PyTorch reference skipped"
#         name  arch layers embd heads vocab ctx batch steps threads
configs=("demo  gpt2 2      64   2     4096  64  8     40    1"
         "tiny  gpt2 2      128  4     4096  128 16    10    2"
         "small gpt2 4      256  4     8192  256 8     5     2"
         "tiny  bert 2      128  4     4096  128 16    10    2")
for c in "${configs[@]}"; do
  read -r name arch layers embd heads vocab ctx batch steps threads <<<"$c"
  export OPENBLAS_NUM_THREADS=$threads
  args=(--arch "$arch" --layers "$layers" --embd "$embd" --heads "$heads" --vocab "$vocab" --ctx "$ctx"
        --batch "$batch" --steps "$steps")
  if [ $have_bench = 1 ]; then
    ours=$("$BIN" bench "${args[@]}" --json)
    if [ "$name" = demo ]; then
      tps=$(echo "$ours" | sed -n 's/.*"tokens_per_s":\([0-9.e+-]*\).*/\1/p')
      [ -n "$tps" ] && awk -v t="$tps" 'BEGIN { printf "  demo proxy: %.0f DDO runs of 480k tokens per hour on 2 cores (2 ranks x %.0f tokens/s)\n", 2 * 3600 * t / 480000, t }'
    fi
    if [ $have_torch = 1 ]; then
      echo "$ours" | "$PY" Fixtures/bench/train_reference.py --name "$name" --threads "$threads" "${args[@]}"
    else
      echo "$name: $ours"
      bound=$(echo "$ours" | sed -n 's/.*"gemm_bound_tokens_per_s":\([0-9.e+-]*\).*/\1/p')
      [ -n "$bound" ] && printf '%s: GEMM-only bound %.0f tokens/s (PyTorch not measured)\n' "$name" "$bound"
    fi
  elif [ $have_torch = 1 ]; then
    "$PY" Fixtures/bench/train_reference.py --name "$name" --threads "$threads" --ours-missing "${args[@]}"
  fi
done
