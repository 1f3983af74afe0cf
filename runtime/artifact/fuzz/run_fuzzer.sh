#!/usr/bin/env bash
# Builds the artifact loader's libFuzzer target with clang (ASan + UBSan)
# and runs it for a bounded time from a valid seed. Used by CTest.
# Usage: run_fuzzer.sh CLANGXX SOURCE_DIR BINARY_DIR WORK_DIR SECONDS SEED_TOOL
set -euo pipefail
clangxx=$1 src=$2 bin=$3 work=$4 seconds=$5 seed_tool=$6
mkdir -p "$work/corpus"
"$seed_tool" "$work/corpus/seed.strata"
"$clangxx" -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined \
  -fno-sanitize-recover=all -I"$src" -I"$bin" \
  "$src/runtime/artifact/fuzz/artifact_loader_fuzz.cc" \
  "$src/runtime/artifact/artifact_loader.cc" \
  "$src/runtime/artifact/kernel_signatures.cc" \
  "$src/runtime/support/status.cc" \
  -o "$work/artifact_loader_fuzz"
"$work/artifact_loader_fuzz" "$work/corpus" -max_total_time="$seconds" \
  -artifact_prefix="$work/" \
  -rss_limit_mb=2048 -print_final_stats=1 2>&1 | tail -n 15
