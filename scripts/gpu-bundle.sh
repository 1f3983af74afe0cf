#!/bin/sh
# Prepares, on a development machine, what scripts/gpu-check.sh needs on a
# GPU machine that has the NVIDIA driver, the CUDA toolkit, CMake, Ninja and
# PyTorch but no Debian -dev packages, no MLIR and no network:
#   gpu-bundle.tar.xz (git-ignored, under 60 MB): the runtime's binaries
#   built here with CUDA (strata-run, the conformance suite, the GPU
#   communicator tests), every shared library they load except the CUDA ones
#   the GPU machine has (cudart, cuBLAS(Lt), NCCL, the driver), this
#   machine's dynamic loader (so the binaries run whatever the GPU machine's
#   glibc), and the artifacts the checks run, compiled here for --target
#   cuda and cpu (the tiny GPT; GPT-2 124M for GEMM autotuning and the
#   benchmarks);
#   a relocated Open MPI for 2 ranks on that machine, which may have no MPI:
#   openmpi/ (orterun, its plugins, help files, configuration), pmix/ (the
#   external PMIx Open MPI loads, with its plugins and help files), their
#   libraries in lib/, and bin/mpirun (scripts/gpu-mpirun.sh), which runs
#   orterun and the ranks through the bundled loader (bin/run-bundled).
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
# The shared libraries FILE loads, into lib/ (by soname).
copy_libraries() {
  ldd "$1" | awk '/=>/ { print $3 }' | while read -r lib; do
    case $(basename "$lib") in
      libcuda.so*|libcudart.so*|libcublas*|libnccl*) ;;  # the GPU machine's
      not) echo "gpu-bundle: $1 needs a library not found here" >&2; exit 1 ;;
      *) cp -Lu "$lib" "$out/lib/" ;;
    esac
  done
}
for b in strata-run StrataBackendConformanceTests $tests; do
  cp "$build/bin/$b" "$out/bin/"
  copy_libraries "$build/bin/$b"
done
cp -L /lib64/ld-linux-x86-64.so.2 "$out/lib/"

# Open MPI (Debian's openmpi-bin 4.1, prefix /usr) for mpirun on the GPU
# machine, relocated under openmpi/ (scripts/gpu-mpirun.sh sets OPAL_* to
# it): orterun, the plugins (all but the network transports and OpenSHMEM's:
# one node, shared memory), help files, configuration.
ompi_pkglib=$(ompi_info --path pkglibdir --parsable 2>/dev/null | sed -n 's/^path:pkglibdir://p')
ompi_pkglib=${ompi_pkglib:-/usr/lib/x86_64-linux-gnu/openmpi/lib/openmpi3}
ompi_data=/usr/share/openmpi ompi_etc=/etc/openmpi
pmix_root=/usr/lib/x86_64-linux-gnu/pmix2
for f in /usr/bin/orterun "$ompi_pkglib/mca_pml_ob1.so" "$ompi_pkglib/mca_pmix_ext3x.so" \
         "$ompi_data/help-orterun.txt" "$ompi_etc/openmpi-mca-params.conf" "$pmix_root/lib"; do
  [ -e "$f" ] || { echo "gpu-bundle: no $f (apt-get install openmpi-bin libpmix2)" >&2; exit 1; }
done
mkdir -p "$out/openmpi/bin" "$out/openmpi/lib/openmpi3" "$out/openmpi/share/openmpi" \
  "$out/openmpi/etc" "$out/pmix/lib/pmix" "$out/pmix/share/pmix"
cp /usr/bin/orterun "$out/openmpi/bin/"
copy_libraries /usr/bin/orterun
for plugin in "$ompi_pkglib"/*.so; do
  case $(basename "$plugin") in
    *ofi*|*openib*|*ucx*|*psm*) continue ;;        # InfiniBand, libfabric, UCX, PSM
    mca_atomic_*|mca_memheap_*|mca_scoll_*|mca_spml_*|mca_sshmem_*) continue ;;  # OpenSHMEM
  esac
  cp "$plugin" "$out/openmpi/lib/openmpi3/"
  copy_libraries "$plugin"
done
cp -r "$ompi_data"/help-*.txt "$ompi_data/amca-param-sets" "$out/openmpi/share/openmpi/"
cp "$ompi_etc/openmpi-mca-params.conf" "$ompi_etc/openmpi-default-hostfile" "$out/openmpi/etc/"
# PMIx: Debian's Open MPI uses the external libpmix (loaded by the pmix
# ext3x plugin, so ldd of orterun does not list it).
for plugin in "$pmix_root"/lib/pmix/*.so; do
  cp "$plugin" "$out/pmix/lib/pmix/"
  copy_libraries "$plugin"
done
cp "$pmix_root"/share/pmix/help-*.txt "$out/pmix/share/pmix/"
# Debian's names the plugin folder by absolute path: gpu-mpirun.sh sets it.
grep -v '^mca_base_component_path' "$pmix_root/share/pmix-mca-params.conf" \
  > "$out/pmix/share/pmix-mca-params.conf"
cp "$root/scripts/gpu-mpirun.sh" "$out/bin/mpirun"
cat > "$out/bin/run-bundled" <<'EOF'
#!/bin/sh
# BINARY ARGS... through the bundle's dynamic loader and libraries (the
# command every rank of bin/mpirun runs).
bundle=$(cd "$(dirname "$0")/.." && pwd)
exec "$bundle/lib/ld-linux-x86-64.so.2" --library-path "${STRATA_BUNDLE_LIBPATH:-$bundle/lib}" "$@"
EOF
chmod +x "$out/bin/mpirun" "$out/bin/run-bundled"

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
  # Tensor parallel 2 (2 ranks on one GPU), the vocabulary padded as at tp 1
  # (50304 rows, not 50432): the same model as tiny-gpt-f32-$target.
  compile "$root/examples/tiny-gpt.yaml" --target $target --tp 2 trainer.devices=2 \
    model.padded_vocab_size=50304 -o "$out/artifacts/tiny-gpt-f32-tp2-$target.strata"
done

# The benchmarks' artifacts (bench/gpu_train.py, bench/gpu_generate.py; the
# training step's GEMMs are the ones gpu-check.sh autotunes first):
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

# The shapes strata-tune's cost model prices (issue 13): every GEMM,
# attention, cross-entropy and elementwise size class of two rows of
# Narayanan et al. 2021's Table 1 (1.7B: h 2304; 18.4B: h 6144; sequence
# 2048, micro-batch 1, tp 1-8 with and without sequence parallelism), for
# strata-run calibrate on the GPU (gpu-check.sh, section calibration).
mkdir -p "$out/calibration"
narayanan_shapes() {  # NAME HEADS HIDDEN LAYERS GPUS BATCH
  "$build/bin/strata-tune" calibrate "$root/tests/tuner/narayanan2021-gpt.yaml" \
    model.num_attention_heads=$2 model.hidden_size=$3 model.ffn_hidden_size=$(($3 * 4)) \
    model.num_layers=$4 model.pipeline_model_parallel_size=1 model.tensor_model_parallel_size=1 \
    --cluster dgx-h100 --nodes $(($5 / 8)) --global-batch $6 --max-micro-batch-size 1 \
    --shapes-only "$out/calibration/narayanan-$1.shapes.txt"
}
ninja -C "$build" strata-tune
narayanan_shapes 1.7b 24 2304 24 32 512
narayanan_shapes 18.4b 48 6144 40 256 1024

tar -C "$out" -cJf "$root/gpu-bundle.tar.xz" .
size=$(du -k "$root/gpu-bundle.tar.xz" | cut -f1)
echo "gpu-bundle.tar.xz: $((size / 1024)) MiB ($out unpacked: $(du -sh "$out" | cut -f1))"
[ "$size" -lt $((60 * 1024)) ] || { echo "gpu-bundle: over 60 MB" >&2; exit 1; }
