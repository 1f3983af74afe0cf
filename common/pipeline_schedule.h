//===- pipeline_schedule.h - 1F1B and interleaved 1F1B orders ---*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The order in which one pipeline stage runs the forward and backward passes
// of a training step's micro-batches. Plain C++ (StrataCommon), so the
// compiler, which sizes the saved-activation slots, the runtime, which runs
// the steps, and the tuner, which simulates the bubble, share one definition.
//
// Stage s of S holds model chunks c in [0, C) (virtual stages): chunk c is
// global chunk c * S + s. A micro-batch's forward runs the global chunks in
// increasing order, its backward in decreasing order; between stages the
// activations and their gradients travel by Send (which never blocks) and
// Recv (which waits). pipeline_schedule_test.cc simulates every stage
// together under exactly those rules and checks that no order deadlocks.
//
// Usage:
//   Checked<std::vector<PipelineAction>> actions =
//       pipelineSchedule(stages, stage, chunks, m);
//   if (!actions.isOk()) return error(actions.error());
//   for (const PipelineAction &action : *actions)
//     run(action.kind == PipelineAction::Kind::Forward ? "forward_step."
//                                                      : "backward_step.",
//         action.chunk, action.microBatch);
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMMON_PIPELINE_SCHEDULE_H
#define STRATA_COMMON_PIPELINE_SCHEDULE_H

#include "common/checked.h"

#include <cstdint>
#include <vector>

namespace strata {

struct PipelineAction {
  enum class Kind { Forward, Backward };
  Kind kind;
  int chunk;          // model chunk on this stage, in [0, chunks)
  int64_t microBatch; // in [0, microBatches)

  bool operator==(const PipelineAction &other) const {
    return kind == other.kind && chunk == other.chunk &&
           microBatch == other.microBatch;
  }
};

/// The order in which pipeline stage |stage| of |stages| runs the forward
/// and backward passes of |microBatches| micro-batches over its |chunks|
/// model chunks: 1F1B (PipeDream-Flush, Megatron-LM's
/// forward_backward_pipelining_without_interleaving) when chunks == 1,
/// Megatron-LM's interleaved 1F1B (forward_backward_pipelining_with_
/// interleaving) when chunks > 1, which needs |microBatches| to be a
/// multiple of |stages|. An error naming the values otherwise, or
/// when a count is not positive or |stage| is outside [0, stages).
Checked<std::vector<PipelineAction>>
pipelineSchedule(int stages, int stage, int chunks, int64_t microBatches);

/// Per chunk, the most micro-batches whose forward ran and backward did not
/// yet, at any point of |schedule|: the saved-activation slots the stage
/// needs. Actions of chunks outside [0, chunks) are ignored.
std::vector<int64_t>
inFlightMicroBatches(const std::vector<PipelineAction> &schedule, int chunks);

/// Per action of |schedule|, the stash slot of its chunk that holds the
/// micro-batch's saved values: a forward takes the lowest slot of its chunk
/// that no micro-batch holds, the backward of the same chunk and micro-batch
/// the slot its forward took, which it frees. Chunk c uses slots
/// [0, inFlightMicroBatches(schedule, chunks)[c]). An error naming
/// the action when a chunk is outside [0, chunks), a forward repeats or a
/// backward has no forward before it.
Checked<std::vector<int64_t>>
stashSlots(const std::vector<PipelineAction> &schedule, int chunks);

} // namespace strata

#endif // STRATA_COMMON_PIPELINE_SCHEDULE_H
