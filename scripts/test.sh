#!/usr/bin/env bash
# Runs Strata's whole test suite: installs missing packages, builds, then
# runs every test through CTest (GoogleTest unit tests, the lit suite, the
# sanitizer corpus run and the generated-docs check).
# Usage: scripts/test.sh [ctest arguments, e.g. -L lit or -R Parser]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${STRATA_BUILD_DIR:-$root/build}
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
# Tests run side by side, each with its own OpenMP threads (and MPI ranks),
# on few cores: threads spinning at barriers take the cores the other test
# needs. Sleeping instead changes no result and took the suite from 976 to
# 745 s on 2 cores (docs/performance.md, "Sharing the machine").
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
ctest --test-dir "$build" --output-on-failure -j "${STRATA_JOBS:-$(nproc)}" "$@"
