#!/bin/sh
# The whole parallel-equivalence matrix (CI runs a subset as ctest
# e2e.parallel-equivalence): every layout of tests/e2e/parallel_equivalence.py
# for the tiny GPT and Llama models, in f32, f64 and bf16 (mixed precision O2;
# CI runs a bf16 subset as ctest e2e.parallel-equivalence-bf16), under mpirun on
# the CPU. Later options override: --precisions bf16 runs bf16 alone.
# Usage: scripts/parallel-matrix.sh [build-dir] [-v] [--precisions f32,f64,bf16]
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
[ $# -gt 0 ] && shift
exec /usr/bin/python3 "$here/tests/e2e/parallel_equivalence.py" \
  --strata-compile "$build/bin/strata-compile" \
  --strata-run "$build/bin/strata-run" --precisions f32,f64,bf16 "$@"
