#!/usr/bin/env bash
# Installs every Debian 12 package Strata needs to build, test and benchmark.
# Idempotent; run as root (or with sudo) on a fresh machine.
set -euo pipefail

packages=(
  # Build
  cmake ninja-build ccache lld-22 pkg-config
  # Compiler: LLVM/MLIR 22 (conflict with the 19 packages)
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools clang-22 libclang-rt-22-dev
  # Libraries
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libfmt-dev libcpp-httplib-dev
  libflatbuffers-dev flatbuffers-compiler flatbuffers-compiler-dev
  libdnnl-dev libopenblas-dev
  libprotobuf-dev protobuf-compiler   # TensorBoard event files
  libopenmpi-dev openmpi-bin
  # Launchers: a private one-node Slurm for srun --mpi=pmix (tests/launchers);
  # the pmix plugin is in slurm-wlm-basic-plugins, a dependency of slurmd
  slurmd slurmctld slurm-client munge
  # Tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  python3-torch python3-numpy python3-regex libjemalloc2 python3-protobuf
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
