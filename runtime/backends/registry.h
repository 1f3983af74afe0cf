//===- registry.h - the backends this build has -----------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The one place that creates a backend from its --device name. Adding a
// backend is a folder under runtime/backends and one line in registry.cc.
//
// Usage:
//   STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Backend> backend,
//                           createBackend("cpu", {.numThreads = 2}));
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_REGISTRY_H
#define STRATA_RUNTIME_BACKENDS_REGISTRY_H

#include "runtime/backends/backend.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace strata::runtime {

struct BackendOptions {
  /// Kernel threads of the CPU backend; 0 keeps OpenMP's default
  /// (OMP_NUM_THREADS or all cores).
  int numThreads = 0;
  /// Which device of its kind ("cuda:1" -> 1); -1 (plain "cuda"): the
  /// rank's local index (localRank) modulo the devices visible, so that the
  /// ranks of a node spread over its GPUs.
  int deviceIndex = -1;
  /// This process's index among the job's ranks on its node.
  int localRank = 0;
  /// This process's rank in the job: notes meant once per job (the CUDA
  /// backend's "communicating through host memory") come from rank 0.
  int worldRank = 0;
  /// The limit of every communicator operation (STRATA_COMM_TIMEOUT_S):
  /// a GPU communicator gives up after it, like the host's.
  double commTimeoutSeconds = 300;
  /// The GEMM tuning cache file of backends that tune GEMMs (strata-run
  /// --gemm-cache; empty: defaultGemmTuningCachePath()).
  std::string gemmCache;
};

struct BackendEntry {
  /// What --device names ("cpu").
  std::string_view name;
  /// One line for --help.
  std::string_view summary;
  StatusOr<std::unique_ptr<Backend>> (*create)(const BackendOptions &options);
};

/// Every backend of this build, in the order --help lists them.
const std::vector<BackendEntry> &registeredBackends();

/// The backend |device| names: "cpu", "null", or "<name>:<index>". An error
/// naming the backends this build has when none matches.
StatusOr<std::unique_ptr<Backend>> createBackend(std::string_view device,
                                                 BackendOptions options = {});

/// "cpu, null": for messages and --help.
std::string registeredBackendNames();

} // namespace strata::runtime

#endif // STRATA_RUNTIME_BACKENDS_REGISTRY_H
