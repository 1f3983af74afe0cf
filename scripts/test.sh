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
ctest --test-dir "$build" --output-on-failure -j "${STRATA_JOBS:-$(nproc)}" "$@"
