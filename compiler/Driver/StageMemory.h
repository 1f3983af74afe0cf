//===- StageMemory.h - the memory of one pipeline stage's ranks -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A pipeline stage's static plan covers its calls and, under 1F1B, the
// saved values (forward_step's extra results) of every micro-batch whose
// forward ran and backward did not yet: pp - s micro-batches on stage s,
// more under the interleaved schedule. Those live in the arena's stash
// (category pipeline_stash, one slot per micro-batch in flight, counted by
// strata-pipeline from the runtime's schedule); the reports show it per
// chunk.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_DRIVER_STAGEMEMORY_H
#define STRATA_COMPILER_DRIVER_STAGEMEMORY_H

#include "compiler/Lowering/PlannedProgram.h"

#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <vector>

namespace mlir::strata {

struct StageMemory {
  int64_t stage = 0;
  PlannedProgram program;
  /// Per local chunk: its first layer and layer count.
  std::vector<std::pair<int64_t, int64_t>> layers;
  /// Per local chunk of a training stage: bytes of one micro-batch's saved
  /// values, and its stash slots (the most micro-batches in flight).
  std::vector<int64_t> savedBytes, stashSlots;

  /// Bytes of the stash (all chunks' slots), part of the arena.
  int64_t stashBytes() const {
    return int64_t(
        program.plan.peak(::strata::planning::BufferCategory::PipelineStash));
  }
  /// "3-5" or "0-1,4-5" (chunks of the interleaved schedule).
  std::string layerRanges() const;
};

/// Bytes of a ranked tensor type (0 for anything else).
int64_t tensorBytes(Type type);

/// Plans |stage| (a module of strata-pipeline, or a whole program).
FailureOr<StageMemory> planStage(ModuleOp stage, bool verifyPasses = true,
                                 bool inPlace = false);

} // namespace mlir::strata

#endif // STRATA_COMPILER_DRIVER_STAGEMEMORY_H
