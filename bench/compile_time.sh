#!/usr/bin/env bash
# Benchmark (not a test): how long strata-compile takes to turn each example
# model description into input-phase IR, beside its peer in the same run:
# strata-opt reading the same IR back (parse + verify), the floor for any
# tool that materializes this module.
# Usage: bench/compile_time.sh [runs per measurement, default 5]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${STRATA_BUILD_DIR:-$root/build}/bin
runs=${1:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Median wall time in seconds of "$@" over $runs runs.
median() {
  local times=()
  for ((i = 0; i < runs; i++)); do
    local start end
    start=$(date +%s.%N)
    "$@" > /dev/null
    end=$(date +%s.%N)
    times+=("$(awk -v s="$start" -v e="$end" 'BEGIN {print e - s}')")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

printf '%-16s %10s %10s %14s %8s\n' model params compile_s parse_verify_s ratio
for yaml in "$root"/examples/*.yaml; do
  name=$(basename "$yaml" .yaml)
  "$bin/strata-compile" "$yaml" --compile-to=input -o "$tmp/$name.mlir"
  params=$(grep -c 'tfm.parameter' "$tmp/$name.mlir")
  compile=$(median "$bin/strata-compile" "$yaml" --compile-to=input -o "$tmp/out.mlir")
  parse=$(median "$bin/strata-opt" "$tmp/$name.mlir" -o "$tmp/out2.mlir")
  printf '%-16s %10s %10.3f %14.3f %8.2f\n' "$name" "$params" "$compile" "$parse" \
    "$(awk -v a="$compile" -v b="$parse" 'BEGIN {print a / b}')"
done

# The whole compile, to an artifact, of GPT-3 175B for its 128 ranks
# (tensor parallel 8, sequence parallel, data parallel 16: one program for
# every rank), beside reading its training-phase IR back.
"$bin/strata-compile" "$root/examples/gpt3-175b.yaml" --pp 1 --compile-to=training \
  -o "$tmp/gpt3-training.mlir"
full=$(median "$bin/strata-compile" "$root/examples/gpt3-175b.yaml" --pp 1 -o "$tmp/gpt3.strata")
parse=$(median "$bin/strata-opt" "$tmp/gpt3-training.mlir" -o "$tmp/out3.mlir")
printf '\ngpt3-175b, 128 ranks (tp 8 x dp 16), to an artifact: %.3f s (reading its training IR back: %.3f s)\n' \
  "$full" "$parse"
