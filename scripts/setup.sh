#!/usr/bin/env bash
# The README's first command: installs every package Strata needs, builds it,
# and runs the main job on the bundled example model.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${STRATA_BUILD_DIR:-$root/build}
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"

model=$root/examples/tiny-gpt.yaml
out=$build/tiny-gpt.training.mlir
echo "== strata-compile $model --compile-to=training"
"$build/bin/strata-compile" "$model" --compile-to=training -o "$out"
echo "== wrote $out: $(grep -c 'tfm.parameter' "$out") parameters," \
     "$(grep -c 'tfm.layer [0-9]* backward' "$out") layers, each with its backward twin"
"$build/bin/strata-opt" "$out" > /dev/null
echo "== strata-opt parsed and verified it"
artifact=$build/tiny-gpt.strata
echo "== strata-compile $model -o $artifact --report=memory"
"$build/bin/strata-compile" "$model" -o "$artifact" --report=memory
echo "== strata-run inspect $artifact"
"$build/bin/strata-run" inspect "$artifact"
# Training the tiny GPT and generating text from it arrive with the executor.
