//===- tune_gemms_command.h - strata-run tune-gemms -------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// GEMM autotuning ahead of time: every distinct GEMM of an artifact
// (listArtifactGemms) is tuned on the device (Backend::tuneGemm: the CUDA
// backend times cuBLASLt's candidates and keeps the fastest in the GEMM
// tuning cache file), so that no run of the artifact tunes on its first
// steps. Prints a table: each GEMM's heuristic and tuned times and the
// speedup, and the totals per function with each GEMM counted as often as
// the function runs it. --list prints the GEMMs alone, without a device.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_TOOLING_TUNE_GEMMS_COMMAND_H
#define STRATA_RUNTIME_TOOLING_TUNE_GEMMS_COMMAND_H

#include "runtime/backends/gemm_tuning/gemm_tuning_cache.h"
#include "runtime/executor/artifact_gemms.h"
#include "runtime/support/status.h"

#include <string>
#include <vector>

namespace strata::runtime {

struct TuneGemmsOptions {
  std::string artifact;
  /// Timed calls per candidate algorithm.
  int reps = 10;
  /// Only list the GEMMs (no device).
  bool list = false;
};

Status runTuneGemmsCommand(const TuneGemmsOptions &options);

/// The table --list prints for |gemms| of the artifact at |path|.
std::string formatGemmList(const std::string &path,
                           const std::vector<ArtifactGemm> &gemms);

/// The table tune-gemms prints: |reports|[i] is the tuning of |gemms|[i].
std::string formatTuningTable(const std::string &path,
                              const std::vector<ArtifactGemm> &gemms,
                              const std::vector<GemmTuningReport> &reports);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_TOOLING_TUNE_GEMMS_COMMAND_H
