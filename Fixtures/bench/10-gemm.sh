#!/usr/bin/env bash
# sgemm roofline: ours (OpenBLAS through LinearAlgebra) against torch.mm measured in the same run.
# Ours runs to completion first (into a file) so the two never share the cores.
set -euo pipefail
if [ -x "${PY:-}" ]; then
  ours=$(mktemp); trap 'rm -f "$ours"' EXIT
  "$BIN" bench-gemm --json > "$ours"
  "$PY" Fixtures/bench/gemm_reference.py < "$ours"
else
  "$BIN" bench-gemm
  echo "bench: no fixture venv at ${PY:-Fixtures/.venv} (make fixtures); torch reference skipped"
fi
