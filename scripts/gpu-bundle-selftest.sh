#!/bin/bash
# Proof, on the development machine, that the GPU bundle's mpirun works
# without the system's Open MPI: unpacks gpu-bundle.tar.xz into a fresh
# folder (another path than the one it was made in), then, in a private
# mount namespace where every file of Debian's Open MPI, PMIx, hwloc,
# libevent and munge packages is hidden (their folders under tmpfs, each
# library and binary under an empty file; the host's mounts are untouched):
#   1. shows that the system's mpirun and libraries are gone;
#   2. runs a 1-step 2-rank training job of the bundled strata-run (tp 2, CPU)
#      under the dynamic loader's trace (LD_DEBUG=libs) and checks that
#      orterun and both ranks loaded every library and plugin from the bundle;
#   3. runs scripts/gpu-check-tp2.sh with the CPU device: tp 2 under the
#      bundle's mpirun against 1 rank, step by step (the GPU check's plumbing).
# Needs root (or unprivileged user namespaces: unshare -r). Not part of CI.
# Usage: scripts/gpu-bundle-selftest.sh [gpu-bundle.tar.xz]
#   STRATA_TP2_STEPS (default 20): training steps of part 3.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

hidden_packages="openmpi-bin openmpi-common libopenmpi3 libpmix2 libhwloc15 libhwloc-plugins
  libevent-core-2.1-7 libevent-pthreads-2.1-7 libevent-2.1-7 libmunge2"
hidden_folders="/usr/lib/x86_64-linux-gnu/openmpi /usr/lib/x86_64-linux-gnu/pmix2
  /usr/lib/x86_64-linux-gnu/hwloc /usr/share/openmpi /etc/openmpi"

inside() {
  local work=$1 bundle=$1/bundle
  # Hide: the folders under empty tmpfs, every other file of the packages
  # under an empty file (so that a library or binary found there fails).
  local d f n=0
  for d in $hidden_folders; do
    [ -d "$d" ] && mount -t tmpfs -o ro,size=4k none "$d"
  done
  : > "$work/empty"
  for p in $hidden_packages; do
    dpkg -L "$p" 2>/dev/null || true
  done | while read -r f; do
    [ -f "$f" ] && [ ! -L "$f" ] && [ -s "$f" ] || continue
    mount --bind -o ro "$work/empty" "$f"
  done
  n=$(grep -c " $work/empty\| tmpfs" /proc/self/mountinfo || true)

  echo "== 1. the system's Open MPI is hidden ($n mounts in this namespace)"
  for f in /usr/bin/orterun /usr/lib/x86_64-linux-gnu/libmpi.so.40 \
           /usr/lib/x86_64-linux-gnu/libopen-pal.so.40 /usr/lib/x86_64-linux-gnu/libpmix.so.2 \
           /usr/lib/x86_64-linux-gnu/libhwloc.so.15 /usr/lib/x86_64-linux-gnu/libevent_core-2.1.so.7; do
    echo "  $f: $(stat -L -c '%s bytes' "$f" 2>/dev/null || echo 'not found')"
  done
  for d in $hidden_folders; do
    [ -d "$d" ] && echo "  $d: $(find "$d" -mindepth 1 | wc -l) entries"
  done
  if mpirun --version > /dev/null 2>&1; then
    echo "gpu-bundle-selftest: the system's mpirun still runs" >&2; exit 1
  fi
  echo "  mpirun --version: fails ($(mpirun --version 2>&1 | head -n 1))"

  echo "== 2. 2 ranks of the bundled strata-run (tp 2, CPU, 1 step) under the loader's trace"
  mkdir -p "$work/trace" "$work/cache"
  LD_DEBUG=libs LD_DEBUG_OUTPUT=$work/trace/ld STRATA_COMM_TIMEOUT_S=60 \
    timeout -k 10 300 "$bundle/bin/mpirun" -np 2 strata-run --device cpu train \
    "$bundle/artifacts/tiny-gpt-f32-tp2-cpu.strata" --data "$root/data/corpora/moby-dick.txt" \
    --tokenizer "$root/data/gpt2-tokenizer" --cache-dir "$work/cache" --steps 1 --threads 1 \
    --metrics "$work/trace-run.jsonl" > "$work/trace-run.log" 2>&1 ||
    { tail -20 "$work/trace-run.log"; echo "gpu-bundle-selftest: the 2-rank job failed" >&2; exit 1; }
  grep -a '^done:' "$work/trace-run.log" | sed 's/^/  /'
  # Each trace file is one process id: the shell that runs bin/mpirun or
  # bin/run-bundled (the system's loader and libc, as on the GPU machine),
  # then, after its exec, the bundled loader with orterun or strata-run. A
  # program's lines end at its "transferring control"; what follows is its
  # dlopen (the MPI and PMIx plugins). Lines: PROGRAM LIBRARY-IT-INITIALIZED.
  local t inits
  inits=$(for t in "$work"/trace/ld.*; do
    awk -v file="${t##*.}" '
      { lines[n++] = $0 }
      /transferring control: / { program = $NF; flush() }
      END { flush() }
      function flush(  i) {
        for (i = 0; i < n; i++)
          if (lines[i] ~ /calling init: /) { split(lines[i], w, "calling init: "); print file, program, w[2] }
        n = 0
      }' "$t"
  done | awk -v b="$bundle/" 'index($2, b) == 1')
  local procs ranks outside libs plugins
  procs=$(awk '{ print $1 }' <<< "$inits" | sort -u | wc -l)
  ranks=$(awk '$2 ~ /bin\/strata-run$/ { print $1 }' <<< "$inits" | sort -u | wc -l)
  libs=$(awk -v b="$bundle/" 'index($3, b) == 1 { print substr($3, length(b) + 1) }' <<< "$inits" | sort -u)
  outside=$(awk -v b="$bundle/" 'index($3, b) != 1 { print $3 }' <<< "$inits" | sort -u)
  plugins=$(grep -c 'lib/openmpi3/\|pmix/lib/pmix/' <<< "$libs" || true)
  echo "  $procs processes through the bundled loader: orterun and $ranks ranks of strata-run"
  echo "  they initialized $(wc -l <<< "$libs") libraries and plugins from the bundle ($plugins Open MPI and PMIx plugins), e.g.:"
  grep -E 'libmpi|libopen-pal|libpmix|libhwloc|libevent_core|libc\.so|mca_pml_ob1|mca_btl_vader|mca_pmix_ext3x|mca_ess_pmi|mca_plm' \
    <<< "$libs" | sed 's/^/    /'
  echo "  and from outside the bundle (the CUDA libraries the GPU machine provides):"
  sed 's/^/    /' <<< "$outside"
  [ "$ranks" -eq 2 ] && [ "$procs" -eq 3 ] ||
    { echo "gpu-bundle-selftest: expected orterun and 2 ranks in the trace" >&2; exit 1; }
  if grep -vE '/lib(cudart|cublas|cublasLt|nccl|cuda)\.so' <<< "$outside" | grep .; then
    echo "gpu-bundle-selftest: the libraries above came from outside the bundle" >&2; exit 1
  fi

  echo "== 3. scripts/gpu-check-tp2.sh cpu: tp 2 against 1 rank, step by step"
  STRATA_BUNDLE=$bundle "$root/scripts/gpu-check-tp2.sh" cpu "$work/tp2"
}

if [ "${1:-}" = --inside ]; then
  inside "$2"
  exit
fi

tarball=$(realpath "${1:-$root/gpu-bundle.tar.xz}")
[ -f "$tarball" ] || { echo "gpu-bundle-selftest: no $tarball: run scripts/gpu-bundle.sh" >&2; exit 2; }
work=$(mktemp -d /tmp/gpu-bundle-selftest.XXXXXX)
mkdir "$work/bundle"
tar -C "$work/bundle" -xJf "$tarball"
echo "gpu-bundle-selftest: $tarball ($(du -h "$tarball" | cut -f1)) unpacked in $work/bundle"
unshare_options=(--mount --propagation private --fork)
[ "$(id -u)" = 0 ] || unshare_options+=(--user --map-root-user)
if unshare "${unshare_options[@]}" -- "$0" --inside "$work"; then
  echo "gpu-bundle-selftest: passed (logs in $work)"
else
  echo "gpu-bundle-selftest: FAILED (logs in $work)"; exit 1
fi
