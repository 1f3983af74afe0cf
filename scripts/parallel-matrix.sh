#!/bin/sh
# The whole parallel-equivalence matrix (CI runs a subset as ctest
# e2e.parallel-equivalence): every layout of tests/e2e/parallel_equivalence.py
# for the tiny GPT and Llama models, f32 and f64, under mpirun on the CPU.
# Usage: scripts/parallel-matrix.sh [build-dir] [-v]
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
[ $# -gt 0 ] && shift
exec /usr/bin/python3 "$here/tests/e2e/parallel_equivalence.py" \
  --strata-compile "$build/bin/strata-compile" \
  --strata-run "$build/bin/strata-run" "$@"
