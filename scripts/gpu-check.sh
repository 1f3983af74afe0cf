#!/bin/bash
# The GPU checks, in one command, on a GPU machine (NVIDIA driver, CUDA
# toolkit, PyTorch; no -dev packages, no MLIR, no network), from the bundle
# scripts/gpu-bundle.sh prepared on a development machine:
#   1. what the machine is (GPU, driver, glibc, the CUDA libraries found);
#   2. the backend conformance suite on the GPU (every (kernel, type) the
#      CUDA backend runs against the CPU's f64 results);
#   3. the tiny GPT: 50 training steps on Moby-Dick (dropout on) on the GPU
#      against the CPU in f32, step by step (losses within 1e-5 relative);
#   4. GEMM autotuning of GPT-2 124M's training GEMMs (before any benchmark,
#      which then reads the tuned algorithms), autotuned vs heuristic time.
# Prints a summary; exits non-zero when a check failed.
# Usage: scripts/gpu-check.sh   (after carrying gpu-bundle.tar.xz)
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
bundle=$root/gpu-bundle
if [ ! -x "$bundle/bin/strata-run" ]; then
  [ -f "$root/gpu-bundle.tar.xz" ] || {
    echo "gpu-check: no gpu-bundle.tar.xz: run scripts/gpu-bundle.sh on a development machine and carry it" >&2
    exit 2; }
  mkdir -p "$bundle" && tar -C "$bundle" -xJf "$root/gpu-bundle.tar.xz"
fi

# The CUDA libraries come from this machine: the toolkit, and NCCL from
# PyTorch's pip packages.
cuda_lib=""
for d in /usr/local/cuda/lib64 /usr/local/cuda/lib /usr/local/cuda/targets/x86_64-linux/lib; do
  [ -e "$d/libcudart.so.13" ] && cuda_lib="$cuda_lib:$d"
done
nccl_lib=$(python3 -c 'import nvidia.nccl, os; print(os.path.join(list(nvidia.nccl.__path__)[0], "lib"))' 2>/dev/null || true)
libpath="$bundle/lib$cuda_lib${nccl_lib:+:$nccl_lib}"
# Through the bundled loader: the binaries were linked against the
# development machine's glibc.
strata() { "$bundle/lib/ld-linux-x86-64.so.2" --library-path "$libpath" "$@"; }

# Logs go to $OUT (the device tool's folder that comes back), else /tmp.
logs=${OUT:-/tmp}/gpu-check
mkdir -p "$logs"
summary=()
note() { summary+=("$1"); echo "$1"; }
failed=0

echo "== machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
echo "glibc here: $(ldd --version 2>/dev/null | head -1)"
echo "library path: $libpath"
strata "$bundle/bin/strata-run" --version || { echo "gpu-check: the bundled strata-run does not start" >&2; exit 1; }

echo "== conformance suite on the GPU"
log=$logs/conformance.log
STRATA_CONFORMANCE_DEVICE=cuda strata "$bundle/bin/StrataBackendConformanceTests" \
  --gtest_filter='AllKernels/*' > "$log" 2>&1
rc=$?
grep -E "tests? ran|^\[  PASSED  \]|FAILED TESTS?$" "$log" | tail -n 5
# Per-test lines end with the time taken ("(3 ms)"); the summary's lists
# do not.
passed=$(grep -c "^\[       OK \] .*(.* ms)$" "$log" || true)
skipped=$(grep -c "^\[  SKIPPED \] .*(.* ms)$" "$log" || true)
fails=$(grep -c "^\[  FAILED  \] .*(.* ms)$" "$log" || true)
grep -B1 -A6 "Failure$" "$log" | head -n 120
note "conformance: $passed passed, $fails failed, $skipped skipped (kernels the backend lacks, or types a case does not run in)"
[ $rc -eq 0 ] || failed=1

echo "== tiny GPT: 50 steps on the GPU against the CPU (f32, dropout on)"
work=$logs/tiny-gpt
mkdir -p "$work"
for device in cpu cuda; do
  strata "$bundle/bin/strata-run" --device $device train \
    "$bundle/artifacts/tiny-gpt-f32-$device.strata" \
    --data "$root/data/corpora/moby-dick.txt" --tokenizer "$root/data/gpt2-tokenizer" \
    --cache-dir "$work/cache" --steps 50 --lr 3e-3 --warmup-steps 5 --clip-grad 1.0 \
    --metrics "$work/$device.jsonl" > "$work/$device.log" 2>&1 ||
    { echo "strata-run --device $device failed:"; tail -5 "$work/$device.log"; failed=1; }
done
python3 - "$work/cpu.jsonl" "$work/cuda.jsonl" <<'PY' || failed=1
import json, sys
def losses(path):
    try:
        return [r["loss"] for r in map(json.loads, open(path)) if "loss" in r]
    except OSError:
        return []
cpu, gpu = losses(sys.argv[1]), losses(sys.argv[2])
if len(cpu) != 50 or len(gpu) != 50:
    print(f"tiny GPT: {len(cpu)} CPU and {len(gpu)} GPU steps, expected 50 each"); sys.exit(1)
worst = max(abs(a - b) / abs(a) for a, b in zip(cpu, gpu))
print(f"tiny GPT f32, 50 steps, dropout on: worst relative loss difference GPU vs CPU {worst:.2e} (bound 1e-5)")
sys.exit(0 if worst <= 1e-5 else 1)
PY
# GEMM autotuning (issue 12): strata-run tune-gemms times cuBLASLt's
# candidates for every GEMM of the GPT-2 124M training step (bf16 O2,
# 16 x 1024 tokens) into a cache file that every later command of this
# script reads (STRATA_GEMM_CACHE), and reports autotuned vs heuristic time.
gemm_autotuning() {
  echo "== GEMM autotuning: GPT-2 124M training shapes (bf16, 16 x 1024 tokens)"
  export STRATA_GEMM_CACHE=$logs/gemm-tuning.txt
  local log=$logs/tune-gemms.log
  if ! strata "$bundle/bin/strata-run" tune-gemms \
      "$bundle/artifacts/gpt2-124m-bf16-cuda.strata" > "$log" 2>&1; then
    echo "strata-run tune-gemms failed:"; tail -5 "$log"; failed=1; return
  fi
  cat "$log"
  note "GEMM autotuning, GPT-2 124M step: $(sed -n 's/^  forward_backward: //p' "$log")"
  # A second run reads every choice back from the file instead of timing.
  strata "$bundle/bin/strata-run" tune-gemms \
    "$bundle/artifacts/gpt2-124m-bf16-cuda.strata" > "$log.again" 2>&1
  local timed
  timed=$(grep -c '  timed  ' "$log.again" || true)
  if [ "$timed" != 0 ] || ! grep -q '  cached  ' "$log.again"; then
    echo "tune-gemms again: $timed GEMMs timed again instead of read from $STRATA_GEMM_CACHE"
    tail -5 "$log.again"; failed=1
  fi
}
gemm_autotuning

echo "== summary"
printf '%s\n' "${summary[@]}"
[ $failed -eq 0 ] && echo "gpu-check: all checks passed" || echo "gpu-check: FAILED"
exit $failed
