#!/usr/bin/env bash
# The README's first command: install every package (Debian 12, as root),
# build, compile the tiny GPT, train it on the bundled corpus for a few
# minutes on the CPU, and generate text from it.
#
#   scripts/setup.sh                    # the whole job (~4 minutes of training on 2 cores)
#   STRATA_STEPS=200 scripts/setup.sh   # a shorter run
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${STRATA_BUILD_DIR:-$root/build}
steps=${STRATA_STEPS:-1200}
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"

model=$root/examples/tiny-gpt.yaml
corpus=$root/data/corpora/moby-dick.txt
run=$build/tiny-gpt-run
artifact=$build/tiny-gpt.strata
inference=$build/tiny-gpt.infer.strata

echo "== strata-compile $model -o $artifact --report=memory"
"$build/bin/strata-compile" "$model" -o "$artifact" --report=memory
echo "== strata-compile $model --mode infer -o $inference"
"$build/bin/strata-compile" "$model" --mode infer model.micro_batch_size=1 -o "$inference"

echo "== strata-run train: $steps steps on $corpus"
rm -rf "$run"
"$build/bin/strata-run" train "$artifact" --data "$corpus" --steps "$steps" \
  --lr 6e-3 --min-lr 6e-4 --warmup-steps $((steps / 20)) --clip-grad 1.0 \
  --eval-every 300 --eval-steps 8 --checkpoint-dir "$run" --keep-last 1 \
  --seed 1234 --log-every 100 --sample-every 600
checkpoint=$(ls -d "$run"/step-* | tail -1)/model.safetensors

echo "== strata-run generate from $checkpoint"
"$build/bin/strata-run" generate "$inference" --checkpoint "$checkpoint" \
  --prompt "Call me Ishmael." --prompt "The whale" --batch 1 \
  --max-new-tokens 60 --temperature 0.8 --top-k 40 --seed 1
