//===- candidate_choice.h - the fastest timed GEMM algorithm ----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// GEMM autotuning's decision once the candidates are timed (the timing
// itself is the CUDA backend's, kernels/gemm_autotune.cc): plain C++ so
// that it is tested without a GPU.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_GEMM_TUNING_CANDIDATE_CHOICE_H
#define STRATA_RUNTIME_BACKENDS_GEMM_TUNING_CANDIDATE_CHOICE_H

#include "runtime/backends/gemm_tuning/gemm_tuning_cache.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace strata::runtime {

/// One candidate algorithm (opaque words) and its milliseconds per call,
/// or nullopt when it failed to launch.
struct TimedCandidate {
  std::array<uint64_t, 8> algorithm{};
  std::optional<double> ms;
};

/// The entry (gemm, algorithm, times, chosen/candidates; gpu and library
/// version left to the caller) for |candidates| in the heuristic's order:
/// the fastest that ran, the earlier one on a tie (the heuristic's
/// preference); heuristicMs is the first candidate's time, -1 when it
/// failed. kInternal naming |gemm| when none ran.
StatusOr<GemmTuningEntry>
chooseFastestCandidate(const std::string &gemm,
                       const std::vector<TimedCandidate> &candidates);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_BACKENDS_GEMM_TUNING_CANDIDATE_CHOICE_H
