#!/usr/bin/env bash
# sgemm roofline: ours (OpenBLAS through LinearAlgebra) against torch.mm measured in the same run.
set -euo pipefail
if [ -x "${PY:-}" ]; then
  "$BIN" bench-gemm --json | "$PY" Fixtures/bench/gemm_reference.py
else
  "$BIN" bench-gemm
  echo "bench: no fixture venv at ${PY:-Fixtures/.venv} (make fixtures); torch reference skipped"
fi
