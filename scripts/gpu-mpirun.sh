#!/bin/sh
# mpirun from the GPU bundle (scripts/gpu-bundle.sh copies this file into it
# as bin/mpirun): runs N ranks of a bundled binary on this machine with the
# bundle's own Open MPI 4.1 (orterun, its plugins, help files and
# configuration), its PMIx and every library they load, all through the
# bundle's dynamic loader, so that neither an MPI installation nor the
# development machine's glibc is needed here.
#   gpu-bundle/bin/mpirun -np N BINARY [ARGS...]
# BINARY is a name under gpu-bundle/bin (strata-run) or a path. Every rank
# runs as `lib/ld-linux-x86-64.so.2 --library-path $STRATA_BUNDLE_LIBPATH
# BINARY ARGS` (bin/run-bundled). STRATA_BUNDLE_LIBPATH: the library path of
# mpirun and of the ranks (default: the bundle's lib; gpu-check.sh adds the
# CUDA libraries' folders). STRATA_MPIRUN_OPTIONS: more mpirun options.
# Single node only: the network transports (InfiniBand, libfabric, UCX, PSM)
# are not in the bundle; ranks talk through shared memory (btl self,vader).
set -eu
bundle=${STRATA_BUNDLE:-$(cd "$(dirname "$0")/.." && pwd)}
# Run from scripts/ of a checkout: the bundle unpacked beside it.
[ -e "$bundle/lib/ld-linux-x86-64.so.2" ] || bundle=$bundle/gpu-bundle
[ -e "$bundle/openmpi/bin/orterun" ] || {
  echo "gpu-mpirun: no Open MPI in $bundle (made by an older scripts/gpu-bundle.sh?)" >&2; exit 2; }
if [ $# -lt 3 ] || [ "$1" != -np ]; then
  echo "usage: $0 -np N BINARY [ARGS...]" >&2; exit 2
fi
np=$2 binary=$3
shift 3
case $binary in */*) ;; *) binary=$bundle/bin/$binary ;; esac

export STRATA_BUNDLE_LIBPATH="${STRATA_BUNDLE_LIBPATH:-$bundle/lib}"
# Open MPI relocated (opal installdirs: OPAL_PREFIX alone would keep Debian's
# absolute sysconfdir /etc/openmpi and its libdir layout, so every folder is
# named). The ranks inherit these, so their libmpi finds the same plugins.
# orterun prepends OPAL_LIBDIR to the ranks' LD_LIBRARY_PATH: it must never
# hold the bundle's glibc (lib/), or the system's /bin/sh that runs
# run-bundled would load it; openmpi/lib holds only the plugin folder.
mpi=$bundle/openmpi
export OPAL_PREFIX="$mpi" OPAL_EXEC_PREFIX="$mpi" OPAL_BINDIR="$mpi/bin" \
  OPAL_LIBDIR="$mpi/lib" OPAL_PKGLIBDIR="$mpi/lib/openmpi3" \
  OPAL_DATAROOTDIR="$mpi/share" OPAL_DATADIR="$mpi/share" \
  OPAL_PKGDATADIR="$mpi/share/openmpi" OPAL_SYSCONFDIR="$mpi/etc"
# PMIx (Debian's is a separate library; Open MPI's pmix ext3x plugin loads
# it): its installdirs, and its plugin folder, which Debian's
# pmix-mca-params.conf names by absolute path.
pmix=$bundle/pmix
export PMIX_PREFIX="$pmix" PMIX_EXEC_PREFIX="$pmix" PMIX_LIBDIR="$pmix/lib" \
  PMIX_PKGLIBDIR="$pmix/lib/pmix" PMIX_DATAROOTDIR="$pmix/share" \
  PMIX_DATADIR="$pmix/share" PMIX_PKGDATADIR="$pmix/share/pmix" \
  PMIX_SYSCONFDIR="$pmix/share" PMIX_MCA_mca_base_component_path="$pmix/lib/pmix"
# hwloc: none of this machine's plugins (another version's may not load).
export HWLOC_PLUGINS_PATH="$bundle/lib/hwloc"

# shellcheck disable=SC2086 # STRATA_MPIRUN_OPTIONS is a list of words
exec "$bundle/lib/ld-linux-x86-64.so.2" --library-path "$STRATA_BUNDLE_LIBPATH" \
  "$mpi/bin/orterun" --allow-run-as-root --oversubscribe \
  --mca pml ob1 --mca btl self,vader ${STRATA_MPIRUN_OPTIONS:-} \
  -np "$np" "$bundle/bin/run-bundled" "$binary" "$@"
