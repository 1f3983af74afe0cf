#!/bin/sh
# Prepares, on a development machine, what scripts/gpu-check.sh needs on a
# GPU machine that has the NVIDIA driver, the CUDA toolkit, CMake, Ninja and
# PyTorch but no Debian -dev packages, no MLIR and no network:
#   gpu-bundle.tar.xz (git-ignored, under 60 MB): the runtime's binaries
#   built here with CUDA (strata-run, the conformance suite), every shared
#   library they load except the CUDA ones the GPU machine has (cudart,
#   cuBLAS(Lt), NCCL, the driver), this machine's dynamic loader (so the
#   binaries run whatever the GPU machine's glibc), and the artifacts the
#   checks run, compiled here for --target cuda and cpu (the tiny GPT; GPT-2
#   124M's training step for GEMM autotuning).
# Usage: scripts/gpu-bundle.sh [build-dir]   (then carry gpu-bundle.tar.xz)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-${STRATA_BUILD_DIR:-$root/build}}
out=$root/gpu-bundle
binaries="strata-run strata-compile StrataBackendConformanceTests"

grep -q 'STRATA_HAVE_CUDA:INTERNAL=ON\|Strata: CUDA targets ON' "$build/CMakeCache.txt" 2>/dev/null ||
  cmake -S "$root" -B "$build" >/dev/null
ninja -C "$build" $binaries
"$build/bin/strata-run" --help | grep -q cuda || {
  echo "gpu-bundle: $build was built without CUDA (no nvcc?)" >&2; exit 1; }

rm -rf "$out" && mkdir -p "$out/bin" "$out/lib" "$out/artifacts"
for b in strata-run StrataBackendConformanceTests; do
  cp "$build/bin/$b" "$out/bin/"
  ldd "$build/bin/$b" | awk '/=>/ { print $3 }' | while read -r lib; do
    case $(basename "$lib") in
      libcuda.so*|libcudart.so*|libcublas*|libnccl*) ;;  # the GPU machine's
      *) cp -Lu "$lib" "$out/lib/" ;;
    esac
  done
done
cp -L /lib64/ld-linux-x86-64.so.2 "$out/lib/"

# The artifacts of the checks: the tiny GPT for both targets.
compile() { "$build/bin/strata-compile" "$@"; }
for target in cpu cuda; do
  compile "$root/examples/tiny-gpt.yaml" --target $target \
    -o "$out/artifacts/tiny-gpt-f32-$target.strata"
  compile "$root/examples/tiny-gpt.yaml" --target $target \
    trainer.precision=bf16-mixed model.precision=bf16-mixed \
    model.megatron_amp_O2=true -o "$out/artifacts/tiny-gpt-bf16-$target.strata"
  compile "$root/examples/tiny-gpt.yaml" --target $target --mode infer \
    model.micro_batch_size=1 -o "$out/artifacts/tiny-gpt-infer-$target.strata"
done

# GPT-2 124M's training step as the GPU benchmark runs it (bf16 O2, 16 x
# 1024 tokens): gpu-check.sh tunes its GEMMs (strata-run tune-gemms).
compile "$root/examples/gpt2-124m.yaml" --target cuda \
  trainer.precision=bf16-mixed model.precision=bf16-mixed \
  model.megatron_amp_O2=true model.micro_batch_size=16 \
  model.global_batch_size=16 -o "$out/artifacts/gpt2-124m-bf16-cuda.strata"

tar -C "$out" -cJf "$root/gpu-bundle.tar.xz" .
size=$(du -k "$root/gpu-bundle.tar.xz" | cut -f1)
echo "gpu-bundle.tar.xz: $((size / 1024)) MiB ($out unpacked: $(du -sh "$out" | cut -f1))"
[ "$size" -lt $((60 * 1024)) ] || { echo "gpu-bundle: over 60 MB" >&2; exit 1; }
