//===- StageMemory.h - the memory of one pipeline stage's ranks -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A pipeline stage's static plan covers one call at a time; under 1F1B the
// stage also keeps the saved values (forward_step's extra results) of every
// micro-batch whose forward ran and backward did not yet: pp - s
// micro-batches on stage s, more under the interleaved schedule. The
// runtime holds those in a stash beside the arena; the reports add them
// here, counted from the runtime's own schedule
// (runtime/executor/pipeline_schedule.h).
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
  /// Per local chunk: bytes of one micro-batch's saved values, and the most
  /// micro-batches in flight.
  std::vector<int64_t> savedBytes, inFlight;

  int64_t inFlightBytes() const {
    int64_t total = 0;
    for (size_t c = 0; c < savedBytes.size(); ++c)
      total += savedBytes[c] * inFlight[c];
    return total;
  }
  /// "3-5" or "0-1,4-5" (chunks of the interleaved schedule).
  std::string layerRanges() const;
};

/// Bytes of a ranked tensor type (0 for anything else).
int64_t tensorBytes(Type type);

/// Plans |stage| (a module of strata-pipeline) and counts its in-flight
/// saved values under the schedule of |stages| stages.
FailureOr<StageMemory> planStage(ModuleOp stage, int64_t stages);

} // namespace mlir::strata

#endif // STRATA_COMPILER_DRIVER_STAGEMEMORY_H
