//===- candidate_choice.cc - the fastest of timed GEMM algorithms ---------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/gemm_tuning/candidate_choice.h"

#include <algorithm>

namespace strata::runtime {

StatusOr<GemmTuningEntry>
chooseFastestCandidate(const std::string &gemm,
                       const std::vector<TimedCandidate> &candidates) {
  GemmTuningEntry best;
  best.gemm = gemm;
  best.candidates = int(candidates.size());
  best.heuristicMs = -1.0;
  bool found = false;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const std::optional<double> &ms = candidates[i].ms;
    if (!ms) // failed to launch: not a candidate
      continue;
    if (i == 0)
      best.heuristicMs = std::max(*ms, 1e-6);
    if (!found || *ms < best.tunedMs) {
      found = true;
      best.tunedMs = *ms;
      best.chosen = int(i);
      best.algorithm = candidates[i].algorithm;
    }
  }
  if (!found)
    return Status::internal(
        "none of cuBLASLt's " + std::to_string(candidates.size()) +
        " candidate algorithms for the GEMM " + gemm + " ran");
  // Event timing can round a very short GEMM to 0 ms; the file wants > 0.
  best.tunedMs = std::max(best.tunedMs, 1e-6);
  return best;
}

} // namespace strata::runtime
