//===- memory_evaluator.h - exact memory of many candidates -----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The compiler's exact per-stage memory plan (CompileSession::analyze) of
// every candidate, compiling as few as possible: candidates that differ only
// in dp share one compile when the result is provably the same bytes
// (docs/tuning.md, "What is reused"):
//
//   * without the distributed optimizer, a rank's program does not depend
//     on dp (> 1) except through the micro-batches per rank, and those only
//     change the pipeline stash slots, which the runtime's schedule gives
//     (common/pipeline_schedule.h) without compiling. Two candidates with
//     the same dp-independent key, both dp > 1 and the same stash slots on
//     every stage have the same plans, byte for byte; the derived analysis
//     takes the target's dp, micro-batches and the call counts and group
//     sizes that follow from them;
//   * dp = 1 (no gradient collective, no gradient bucket) and the
//     distributed optimizer (shards of 1/dp) are always compiled.
//
// MemoryEvaluatorTest checks derived against compiled analyses of several
// dp values: every stage's arena and category bytes equal.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_TUNER_SEARCH_MEMORY_EVALUATOR_H
#define STRATA_TUNER_SEARCH_MEMORY_EVALUATOR_H

#include "compiler/Api/CompileApi.h"
#include "tuner/search/candidate_space.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace strata::tuner {

/// The compile request's layout for |c| with |globalBatch|: every field set
/// (vp 1 as "null"; full recompute one layer per block, method uniform).
mlir::strata::ParallelLayout toLayout(const Candidate &c, int64_t globalBatch);

/// Everything of |c| but dp and the micro-batches: the compile key.
std::string dpIndependentKey(const Candidate &c);

/// Per stage, per chunk: the stash slots |c|'s schedule keeps in flight.
std::vector<std::vector<int64_t>> stashSlotsOf(const Candidate &c);

/// True when |target|'s analysis can be derived exactly from |compiled|'s:
/// the same dp-independent key, no distributed optimizer, both dp > 1 and
/// the same stash slots.
bool derivableAcrossDp(const Candidate &compiled, const Candidate &target);

/// |base| (the analysis of a candidate derivableAcrossDp to |target|) for
/// |target|: the same plans; dp, micro-batches, calls per step and the
/// group size of dp collectives of |target|. Sent bytes of dp collectives
/// follow the ring formulas from the payload (within one byte per
/// collective of the compiler's per-collective rounding).
mlir::strata::CompileAnalysis
deriveForDp(const mlir::strata::CompileAnalysis &base, const Candidate &target);

struct EvaluatedMemory {
  /// Set when the candidate compiled (or was derived from one that did).
  std::shared_ptr<const mlir::strata::CompileAnalysis> analysis;
  /// The compiler's diagnostics when it did not.
  std::string error;
  bool derived = false;
};

class MemoryEvaluator {
public:
  /// |threads| sessions (one MLIR context each) compile in parallel, for
  /// |target| (strata-compile --target: "cpu", or "cuda" for a GPU cluster,
  /// whose plans align buffers to 256 bytes).
  MemoryEvaluator(std::string descriptionPath,
                  std::vector<std::string> overrides, int threads,
                  std::string target = "cpu");

  /// One result per candidate, in order. |progress|(done, total) is called
  /// (serialized) as candidates complete.
  std::vector<EvaluatedMemory>
  evaluate(const std::vector<Candidate> &candidates, int64_t globalBatch,
           const std::function<void(size_t, size_t)> &progress = {});

  int64_t compiles() const { return compiles_; }
  int64_t derivations() const { return derivations_; }

private:
  std::string descriptionPath_;
  std::vector<std::string> overrides_;
  int threads_;
  std::string target_;
  int64_t compiles_ = 0, derivations_ = 0;
};

} // namespace strata::tuner

#endif // STRATA_TUNER_SEARCH_MEMORY_EVALUATOR_H
