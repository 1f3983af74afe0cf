#!/bin/sh
# Prepares, on a development machine, what scripts/gpu-check.sh needs on a
# GPU machine that has the NVIDIA driver, the CUDA toolkit, CMake, Ninja and
# PyTorch but no Debian -dev packages, no MLIR and no network:
#   gpu-bundle.tar.xz (git-ignored, under 60 MB): the runtime's binaries
#   built here with CUDA (strata-run, the conformance suite, the GPU
#   communicator tests), every shared library they load except the CUDA ones
#   the GPU machine has (cudart, cuBLAS(Lt), NCCL, the driver), this
#   machine's dynamic loader (so the binaries run whatever the GPU machine's
#   glibc), Open MPI's launcher with its plugins and help files under mpi/
#   (relocated with OPAL_PREFIX: whether the GPU machine has an MPI is not
#   known), and the artifacts the checks run, compiled here for --target
#   cuda and cpu.
# Usage: scripts/gpu-bundle.sh [build-dir]   (then carry gpu-bundle.tar.xz)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-${STRATA_BUILD_DIR:-$root/build}}
out=$root/gpu-bundle
binaries="strata-run strata-compile StrataBackendConformanceTests"
# The GPU communicator tests (built where NCCL and MPI are).
tests="StrataNcclCommunicatorTest StrataCudaCommunicatorsMpiTest"

grep -q 'STRATA_HAVE_CUDA:INTERNAL=ON\|Strata: CUDA targets ON' "$build/CMakeCache.txt" 2>/dev/null ||
  cmake -S "$root" -B "$build" >/dev/null
ninja -C "$build" $binaries $tests
"$build/bin/strata-run" --help | grep -q cuda || {
  echo "gpu-bundle: $build was built without CUDA (no nvcc?)" >&2; exit 1; }

rm -rf "$out" && mkdir -p "$out/bin" "$out/lib" "$out/artifacts"
# The libraries |$1| loads, except the GPU machine's own CUDA libraries.
bundle_libs() {
  ldd "$1" | awk '/=>/ { print $3 }' | while read -r lib; do
    case $(basename "$lib") in
      libcuda.so*|libcudart.so*|libcublas*|libnccl*) ;;  # the GPU machine's
      *) cp -Lu "$lib" "$out/lib/" ;;
    esac
  done
}
for b in strata-run StrataBackendConformanceTests $tests; do
  cp "$build/bin/$b" "$out/bin/"
  bundle_libs "$build/bin/$b"
done
cp -L /lib64/ld-linux-x86-64.so.2 "$out/lib/"

# Open MPI's launcher (Debian's layout under a prefix of our own: mpirun
# finds its plugins and help files through OPAL_PREFIX) for the 2-rank test.
ompi=/usr/lib/x86_64-linux-gnu/openmpi/lib/openmpi3
pmix=/usr/lib/x86_64-linux-gnu/pmix2
if [ -x /usr/bin/orterun ] && [ -d $ompi ]; then
  mkdir -p "$out/mpi/lib/x86_64-linux-gnu/openmpi/lib" "$out/mpi/share" \
           "$out/mpi/lib/x86_64-linux-gnu/pmix2"
  cp /usr/bin/orterun "$out/bin/mpirun"
  cp -r $ompi "$out/mpi/lib/x86_64-linux-gnu/openmpi/lib/"
  cp -r /usr/share/openmpi "$out/mpi/share/"
  [ -d $pmix/lib ] && cp -r $pmix/lib $pmix/share "$out/mpi/lib/x86_64-linux-gnu/pmix2/"
  for f in /usr/bin/orterun $ompi/*.so $pmix/lib/pmix/*.so; do
    [ -e "$f" ] && bundle_libs "$f"
  done
fi
# Runs a bundled binary through the bundled loader: mpirun starts the ranks
# through it. STRATA_BUNDLE_LIBPATH: the library path (gpu-check.sh sets it).
cat > "$out/bin/with-bundle" <<'SH'
#!/bin/sh
here=$(cd "$(dirname "$0")/.." && pwd)
exec "$here/lib/ld-linux-x86-64.so.2" --library-path "${STRATA_BUNDLE_LIBPATH:-$here/lib}" "$@"
SH
chmod +x "$out/bin/with-bundle"

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

# The benchmarks' artifacts (bench/gpu_train.py, bench/gpu_generate.py):
# GPT-2 124M, bf16, the training step at batch 16 x 1024 and inference at
# batch 1 and 32 with a prefill of 128 positions.
bf16_o2="trainer.precision=bf16-mixed model.precision=bf16-mixed model.megatron_amp_O2=true"
compile "$root/examples/gpt2-124m.yaml" --target cuda $bf16_o2 \
  model.hidden_dropout=0 model.attention_dropout=0 model.ffn_dropout=0 \
  model.micro_batch_size=16 model.global_batch_size=16 model.encoder_seq_length=1024 \
  model.max_position_embeddings=1024 -o "$out/artifacts/gpt2-124m-train-bf16.strata"
for batch in 1 32; do
  compile "$root/examples/gpt2-124m.yaml" --target cuda --mode infer $bf16_o2 \
    --prefill-length 128 model.micro_batch_size=$batch \
    -o "$out/artifacts/gpt2-124m-infer-b$batch.strata"
done

tar -C "$out" -cJf "$root/gpu-bundle.tar.xz" .
size=$(du -k "$root/gpu-bundle.tar.xz" | cut -f1)
echo "gpu-bundle.tar.xz: $((size / 1024)) MiB ($out unpacked: $(du -sh "$out" | cut -f1))"
[ "$size" -lt $((60 * 1024)) ] || { echo "gpu-bundle: over 60 MB" >&2; exit 1; }
