//===- step_inputs.h - a step plan as the model's call arguments -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A paged artifact's functions take, row-major:
//   prefill(tokens [B, P], positions [B, P], block_table [B, W], last [B])
//   decode(tokens [B, 1], positions [B, 1], block_table [B, W])
// A scheduled row feeds its tokens at positions start, start + 1, ...; the
// rest of a prefill row is padding whose positions go on (clamped into the
// context) so that its cache writes land past the row's real tokens, where
// the row overwrites them before it reads them. Table entries past a
// sequence's own blocks, and every entry of an unused row, name the
// scratch block, so padding never writes into another sequence's blocks.
//
// A mixed step (scheduler.h) runs the decode function alone with one token
// per row: the decode rows' tokens, then each prompt chunk's tokens in
// order, every row with its sequence's position and block table. A row
// attends the positions up to its own, and the call writes every row's key
// and value before any row attends, so a chunk's tokens see each other
// causally exactly as in a prefill call.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_SERVING_STEP_INPUTS_H
#define STRATA_RUNTIME_SERVING_STEP_INPUTS_H

#include "runtime/serving/scheduler.h"

#include <cstdint>
#include <vector>

namespace strata::runtime::serving {

/// The shapes of one function's call.
struct CallShape {
  int64_t batch = 1;         // B
  int64_t length = 1;        // P (1 for decode)
  int64_t contextLength = 1; // positions per sequence
  int64_t tableWidth = 1;    // W
  int32_t scratchBlock = 0;
};

struct CallInputs {
  std::vector<int32_t> tokens, positions, blockTable, last;
  /// A prompt-learning model's prefill: each position's virtual row, -1 for
  /// a real token (buildCallInputs fills -1; the engine sets the rows).
  std::vector<int32_t> virtualTokens;
};

/// Fills |out| for |rows| (at most shape.batch) of |scheduler|'s sequences.
/// |last| gets each row's last real token (0 for unused rows).
void buildCallInputs(const std::vector<ScheduledRow> &rows,
                     const Scheduler &scheduler, const CallShape &shape,
                     CallInputs &out);

/// Fills |out| for a mixed step: |plan|'s decode rows, then its prefill
/// rows' tokens, one per row of the call (at most shape.batch in all; the
/// rest pad into scratch at position 0). |sampleRows| gets, for each row of
/// plan.decode then plan.prefill, the call row of its last token.
void buildTokenRowInputs(const StepPlan &plan, const Scheduler &scheduler,
                         const CallShape &shape, CallInputs &out,
                         std::vector<int64_t> &sampleRows);

} // namespace strata::runtime::serving

#endif // STRATA_RUNTIME_SERVING_STEP_INPUTS_H
