//===- ranking.h - rank evaluated candidates and report them ----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// From each candidate's exact memory (memory_evaluator.h) and predicted step
// (tuner/cost/cost_model.h) to strata-tune's outputs: the ranking (feasible
// by step time, then infeasible by overflow, then layouts the compiler
// rejects), the table, the winner's rationale, the JSON and the overrides.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_TUNER_SEARCH_RANKING_H
#define STRATA_TUNER_SEARCH_RANKING_H

#include "tuner/cost/cost_model.h"
#include "tuner/search/candidate_space.h"
#include "tuner/search/memory_evaluator.h"

#include <cstdint>
#include <string>
#include <vector>

namespace strata::tuner {

struct RankedCandidate {
  Candidate candidate;
  /// The compiler's error when the layout does not compile; then nothing
  /// below is set.
  std::string error;
  bool derived = false;
  bool feasible = false;
  /// The fullest rank's arena, its stage and the bytes by which it passes
  /// the device memory (0 when feasible).
  int64_t peakBytes = 0, fullestStage = 0, overflowBytes = 0;
  StepPrediction prediction;
  double tokensPerS = 0;
  /// FLOP/s per device as the step runs them, recomputed forward passes
  /// included (Narayanan et al. 2021's count; prediction.tflopsPerGpu is
  /// the model FLOPs').
  double hardwareTflopsPerGpu = 0;
};

struct RankingInput {
  const strata::frontend::ClusterDescription *cluster = nullptr;
  int64_t nodes = 1;
  int64_t globalBatch = 1;
  int64_t seqLength = 1;
  /// Measured kernel and link costs (strata-tune calibrate), or null.
  const CalibrationProfile *profile = nullptr;
};

/// Ranks |candidates| (with |memory|, one per candidate), best first.
std::vector<RankedCandidate>
rankCandidates(const std::vector<Candidate> &candidates,
               const std::vector<EvaluatedMemory> &memory,
               const RankingInput &in);

/// The first |top| rows: rank, layout, peak GiB per rank, headroom, step
/// time, tokens/s, TFLOP/s per GPU, MFU, limiter.
std::string formatTable(const std::vector<RankedCandidate> &ranked,
                        int64_t deviceMemoryBytes, size_t top);

/// Why the winner wins: for each of the next |top| - 1 runners-up, what
/// limits it (memory, bubble, communication...) against the winner.
std::string formatRationale(const std::vector<RankedCandidate> &ranked,
                            size_t top);

/// Every candidate as a JSON array, best first, each with the overrides
/// that compile it ("overrides").
std::string toJson(const std::vector<RankedCandidate> &ranked,
                   int64_t globalBatch);

/// The Hydra overrides of |c| that strata-compile accepts, one per line.
std::string overridesText(const Candidate &c, int64_t globalBatch);

} // namespace strata::tuner

#endif // STRATA_TUNER_SEARCH_RANKING_H
