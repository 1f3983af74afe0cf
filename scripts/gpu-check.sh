#!/bin/bash
# The GPU checks, in one command, on a GPU machine (NVIDIA driver, CUDA
# toolkit, PyTorch; no -dev packages, no MLIR, no network), from the bundle
# scripts/gpu-bundle.sh prepared on a development machine:
#   1. what the machine is (GPU, driver, glibc, the CUDA libraries found);
#   2. the backend conformance suite on the GPU (every (kernel, type) the
#      CUDA backend runs against the CPU's f64 results), then its attention
#      cases again with STRATA_CUDA_ATTENTION=reference (the warp-per-row
#      kernels instead of the tensor-core ones);
#   3. the GPU communicators: NCCL with one rank (every collective and
#      send/recv to itself), and two ranks on the one GPU under the bundled
#      mpirun (the host-staged path, bit for bit MPI's results);
#   4. the tiny GPT: 50 training steps on Moby-Dick (dropout on) on the GPU
#      against the CPU in f32, step by step (losses within 1e-5 relative);
#      greedy generation of 64 tokens from the CPU's checkpoint, GPU and CPU
#      identical; 300 steps in bf16 O2 on the GPU against 300 in f32 on the
#      CPU (validation loss within 1%);
#   5. tp 2 on one GPU (the MPI fallback): the tiny GPT at tensor parallel 2,
#      2 ranks under the bundle's own mpirun, against 1 rank, 20 steps
#      (scripts/gpu-check-tp2.sh);
#   6. GEMM autotuning of GPT-2 124M's training GEMMs (before the benchmarks,
#      which then read the tuned algorithms), autotuned vs heuristic time;
#   7. the benchmarks: bench/gpu_train.py and bench/gpu_generate.py (GPT-2
#      124M against PyTorch eager, torch.compile and CUDA graphs);
#   8. calibration (issue 13): strata-run calibrate times, in bf16, the
#      kernels of two rows of Narayanan et al. 2021's Table 1 at their sizes
#      (the shapes gpu-bundle.sh wrote) into profiles under $OUT/gpu-check,
#      which bench/calibration_vs_preset.py compares with the presets'
#      efficiency curves and strata-tune --calibration prices layouts with.
# Prints a summary; exits non-zero when a check failed. STRATA_GPU_CHECK_SKIP
# (e.g. "bench") skips sections by name: conformance, communicators,
# tiny-gpt, bf16, tp2, gemm-tuning, bench, calibration.
# Usage: scripts/gpu-check.sh   (after carrying gpu-bundle.tar.xz)
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
bundle=$root/gpu-bundle
# The carried tarball wins over a bundle unpacked earlier (a warm machine).
if [ -f "$root/gpu-bundle.tar.xz" ]; then
  rm -rf "$bundle" && mkdir -p "$bundle" && tar -C "$bundle" -xJf "$root/gpu-bundle.tar.xz"
elif [ ! -x "$bundle/bin/strata-run" ]; then
  echo "gpu-check: no gpu-bundle.tar.xz: run scripts/gpu-bundle.sh on a development machine and carry it" >&2
  exit 2
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

# STRATA_GPU_CHECK_DEVICE=cpu rehearses the checks' plumbing on a machine
# without a GPU (the "GPU" runs then run on the CPU too).
gpu=${STRATA_GPU_CHECK_DEVICE:-cuda}
skip() { case " ${STRATA_GPU_CHECK_SKIP:-} " in *" $1 "*) echo "(skipped: $1)"; return 0;; esac; return 1; }

echo "== conformance suite on the GPU"
if ! skip conformance; then
log=$logs/conformance.log
STRATA_CONFORMANCE_DEVICE=$gpu strata "$bundle/bin/StrataBackendConformanceTests" \
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
# The attention cases again on the warp-per-row kernels (BF16/F16 run on
# tensor cores by default): both kernel families against the CPU.
log=$logs/conformance-attention-reference.log
STRATA_CUDA_ATTENTION=reference STRATA_CONFORMANCE_DEVICE=$gpu \
  strata "$bundle/bin/StrataBackendConformanceTests" \
  --gtest_filter='AllKernels/*attention*' > "$log" 2>&1
rc=$?
passed=$(grep -c "^\[       OK \] .*(.* ms)$" "$log" || true)
fails=$(grep -c "^\[  FAILED  \] .*(.* ms)$" "$log" || true)
grep -B1 -A6 "Failure$" "$log" | head -n 60
note "conformance, attention on the reference kernels: $passed passed, $fails failed"
[ $rc -eq 0 ] || failed=1
fi

echo "== GPU communicators"
if ! skip communicators; then
export STRATA_BUNDLE_LIBPATH=$libpath STRATA_COMM_TIMEOUT_S=60
log=$logs/nccl-communicator.log
strata "$bundle/bin/StrataNcclCommunicatorTest" > "$log" 2>&1
rc=$?
tail -n 3 "$log"
if grep -q "device unavailable: " "$log"; then
  note "nccl one rank: SKIPPED ($(grep -m1 'device unavailable' "$log"))"
elif [ $rc -eq 0 ]; then note "nccl one rank: passed"
else note "nccl one rank: FAILED (rc $rc, $log)"; failed=1; fi
log=$logs/cuda-communicators-2-ranks.log
if [ -x "$bundle/bin/mpirun" ]; then
  # The bundle's Open MPI (scripts/gpu-mpirun.sh): the launcher and the
  # ranks run through the bundled loader.
  "$bundle/bin/mpirun" -np 2 StrataCudaCommunicatorsMpiTest \
    > "$log" 2>&1
  rc=$?
  tail -n 5 "$log"
  if grep -q "device unavailable: " "$log"; then note "2 ranks on one GPU: SKIPPED"
  elif [ $rc -eq 0 ]; then note "2 ranks on one GPU (host-staged): passed"
  else note "2 ranks on one GPU (host-staged): FAILED (rc $rc, $log)"; failed=1; fi
else
  note "2 ranks on one GPU: not run (the bundle has no mpirun)"
fi
fi

tokenizer=(--tokenizer "$root/data/gpt2-tokenizer")
corpus=(--data "$root/data/corpora/moby-dick.txt")

echo "== tiny GPT: 50 steps on the GPU against the CPU (f32, dropout on), then generation"
work=$logs/tiny-gpt
mkdir -p "$work"
if ! skip tiny-gpt; then
# Each check runs on the CPU ("cpu") and on the GPU ("gpu") side by side.
for side in cpu gpu; do
  device=$([ $side = cpu ] && echo cpu || echo "$gpu")
  strata "$bundle/bin/strata-run" --device $device train \
    "$bundle/artifacts/tiny-gpt-f32-$device.strata" "${corpus[@]}" "${tokenizer[@]}" \
    --cache-dir "$work/cache-$side" --steps 50 --lr 3e-3 --warmup-steps 5 --clip-grad 1.0 \
    --checkpoint-dir "$work/ck-$side" --metrics "$work/$side.jsonl" > "$work/$side.log" 2>&1 &
done
for side in cpu gpu; do wait -n || failed=1; done
[ $failed -eq 0 ] || { echo "a 50-step run failed:"; tail -5 "$work/cpu.log" "$work/gpu.log"; }
result=$(python3 - "$work/cpu.jsonl" "$work/gpu.jsonl" <<'PY'
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
) || failed=1
note "$result"
# Greedy generation, 64 tokens, from the CPU run's checkpoint: the same ids.
checkpoint=$(ls -d "$work"/ck-cpu/step-* 2>/dev/null | tail -1)/model.safetensors
for side in cpu gpu; do
  device=$([ $side = cpu ] && echo cpu || echo "$gpu")
  strata "$bundle/bin/strata-run" --device $device generate \
    "$bundle/artifacts/tiny-gpt-infer-$device.strata" --checkpoint "$checkpoint" "${tokenizer[@]}" \
    --prompt "Call me Ishmael. Some years ago" --max-new-tokens 64 --temperature 0 --print-ids \
    > "$work/generate-$side.log" 2>&1 || { echo "generate on $device failed:"; tail -3 "$work/generate-$side.log"; failed=1; }
done
cpu_ids=$(grep -a "^ids:" "$work/generate-cpu.log"); gpu_ids=$(grep -a "^ids:" "$work/generate-gpu.log")
if [ -n "$cpu_ids" ] && [ "$cpu_ids" = "$gpu_ids" ]; then
  note "greedy generation, 64 tokens: GPU ids identical to CPU f32"
else
  note "greedy generation, 64 tokens: GPU and CPU DIFFER"; echo "cpu: $cpu_ids"; echo "gpu: $gpu_ids"; failed=1
fi
fi

echo "== tiny GPT: 300 steps bf16 O2 on the GPU against f32 on the CPU (validation loss)"
if ! skip bf16; then
# The schedule of tests/e2e/mixed_precision_convergence.py.
schedule=(--steps 300 --lr 3e-3 --min-lr 3e-4 --warmup-steps 30 --clip-grad 1.0 --eval-every 50
          --eval-steps 15 --seed 1234 --log-every 100)
strata "$bundle/bin/strata-run" --device cpu train "$bundle/artifacts/tiny-gpt-f32-cpu.strata" \
  "${corpus[@]}" "${tokenizer[@]}" "${schedule[@]}" --cache-dir "$work/cache-cpu" \
  --checkpoint-dir "$work/ck300-cpu" --metrics "$work/f32-300.jsonl" > "$work/f32-300.log" 2>&1 &
strata "$bundle/bin/strata-run" --device "$gpu" train "$bundle/artifacts/tiny-gpt-bf16-$gpu.strata" \
  "${corpus[@]}" "${tokenizer[@]}" "${schedule[@]}" --cache-dir "$work/cache-gpu" \
  --checkpoint-dir "$work/ck300-gpu" --metrics "$work/bf16-300.jsonl" > "$work/bf16-300.log" 2>&1 &
for side in cpu gpu; do wait -n || { echo "a 300-step run failed"; failed=1; }; done
result=$(python3 - "$work/f32-300.jsonl" "$work/bf16-300.jsonl" <<'PY'
import json, sys
def last_val(path):
    try:
        vals = [r["val_loss"] for r in map(json.loads, open(path)) if "val_loss" in r]
    except OSError:
        vals = []
    return vals[-1] if vals else None
f32, bf16 = last_val(sys.argv[1]), last_val(sys.argv[2])
if f32 is None or bf16 is None:
    print(f"no validation loss (CPU f32 {f32}, GPU bf16 {bf16})"); sys.exit(1)
rel = (bf16 - f32) / f32
print(f"validation loss after 300 steps: CPU f32 {f32:.4f}, GPU bf16 O2 {bf16:.4f} ({rel:+.2%}, bound 1%)")
sys.exit(0 if abs(rel) <= 0.01 else 1)
PY
) || failed=1
note "tiny GPT 300 steps: $result"
fi

# -- tp 2 on one GPU (the MPI fallback) equals one rank within the f32 bounds.
# Self-contained: scripts/gpu-check-tp2.sh (runnable alone, also with cpu).
echo "== tp 2 on one GPU (the MPI fallback): 2 ranks under the bundle's mpirun against 1 rank"
if ! skip tp2; then
tp2_out=$(STRATA_BUNDLE="$bundle" STRATA_BUNDLE_LIBPATH="$libpath" \
  "$root/scripts/gpu-check-tp2.sh" "$gpu" "$logs/tp2" 2>&1)
tp2_rc=$?
echo "$tp2_out"
note "$(tail -n 1 <<<"$tp2_out")"
[ $tp2_rc -eq 0 ] || failed=1
fi
# -- end of tp 2

# GEMM autotuning (issue 12): strata-run tune-gemms times cuBLASLt's
# candidates for every GEMM of the GPT-2 124M training step (bf16 O2,
# 16 x 1024 tokens) into a cache file that every later command of this
# script reads (STRATA_GEMM_CACHE), and reports autotuned vs heuristic time.
gemm_autotuning() {
  echo "== GEMM autotuning: GPT-2 124M training shapes (bf16, 16 x 1024 tokens)"
  export STRATA_GEMM_CACHE=$logs/gemm-tuning.txt
  local log=$logs/tune-gemms.log
  if ! strata "$bundle/bin/strata-run" tune-gemms \
      "$bundle/artifacts/gpt2-124m-train-bf16.strata" > "$log" 2>&1; then
    echo "strata-run tune-gemms failed:"; tail -5 "$log"; failed=1; return
  fi
  cat "$log"
  note "GEMM autotuning, GPT-2 124M step: $(sed -n 's/^  forward_backward: //p' "$log")"
  # A second run reads every choice back from the file instead of timing.
  strata "$bundle/bin/strata-run" tune-gemms \
    "$bundle/artifacts/gpt2-124m-train-bf16.strata" > "$log.again" 2>&1
  local timed
  timed=$(grep -c '  timed  ' "$log.again" || true)
  if [ "$timed" != 0 ] || ! grep -q '  cached  ' "$log.again"; then
    echo "tune-gemms again: $timed GEMMs timed again instead of read from $STRATA_GEMM_CACHE"
    tail -5 "$log.again"; failed=1
  fi
}
skip gemm-tuning || gemm_autotuning

echo "== benchmarks"
if ! skip bench; then
runner="$bundle/lib/ld-linux-x86-64.so.2 --library-path $libpath $bundle/bin/strata-run"
python3 "$root/bench/gpu_train.py" --artifact "$bundle/artifacts/gpt2-124m-train-bf16.strata" \
  --strata-run "$runner" 2>&1 | tee "$logs/gpu_train.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || failed=1
python3 "$root/bench/gpu_generate.py" --artifact-dir "$bundle/artifacts" --strata-run "$runner" \
  "${tokenizer[@]}" 2>&1 | tee "$logs/gpu_generate.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || failed=1
note "benchmarks: tables in $logs/gpu_train.txt and $logs/gpu_generate.txt"
fi
echo "== calibration: the kernels of Narayanan et al. 2021's 1.7B and 18.4B rows, bf16"
if ! skip calibration; then
for shapes in "$bundle"/calibration/*.shapes.txt; do
  name=$(basename "$shapes" .shapes.txt)
  profile=$logs/calibration-$name.json
  log=$logs/calibration-$name.log
  if strata "$bundle/bin/strata-run" --device "$gpu" calibrate --shapes "$shapes" \
      --dtype bf16 --out "$profile" > "$log" 2>&1; then
    tail -n 1 "$log"
    python3 "$root/bench/calibration_vs_preset.py" "$profile" --peak-tflops \
      "${STRATA_GPU_CHECK_PEAK_TFLOPS:-989}" | tee "$logs/calibration-$name.txt"
    note "calibration $name: $profile ($(grep -c '^calibrate: ' "$log") shapes timed)"
  else
    tail -n 5 "$log"
    note "calibration $name: FAILED ($log)"; failed=1
  fi
done
fi

echo "== summary"
printf '%s\n' "${summary[@]}"
[ $failed -eq 0 ] && echo "gpu-check: all checks passed" || echo "gpu-check: FAILED"
exit $failed
