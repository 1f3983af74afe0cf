//===- StagePrograms.h - the partitioned module per pipeline stage -*- C++
//-*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// With pipeline_model_parallel_size = pp > 1 the partitioned module (one
// rank's program for the tp and dp axes) becomes pp stage modules nested in
// it, `module @stage<s> attributes {dist.pipeline_stage = s}`, each a
// complete program of its own (mesh, parameters, functions) that the ranks
// with pp coordinate s run:
//   1. the stage balancer cuts the layers into pp x v chunks (v =
//      virtual_pipeline_model_parallel_size, the interleaved schedule's
//      model chunks per stage) by the layers' forward costs; chunk g runs on
//      stage g mod pp as the stage's local chunk g / pp;
//   2. forward is split into forward.<c>, forward_backward into
//      forward_step.<c> and backward_step.<c> (FunctionSplitter.h);
//   3. a stage keeps the parameters its pieces use; one used by two stages
//      (tied word embeddings) is marked dist.shared_with_stage on both, so
//      the runtime sums the copies' gradients;
//   4. zero_grads, reduce_gradients and optimizer_step keep the stage's
//      parameters; the gradient norm adds every stage's sum of squares with
//      an all-reduce over pp (a shared parameter counts on its lower stage);
//   5. a training stage records its stash slots per chunk
//      (dist.pipeline_stash_slots, from the runtime's schedule).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_PIPELINE_STAGEPROGRAMS_H
#define STRATA_COMPILER_PIPELINE_STAGEPROGRAMS_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <cstdint>

namespace mlir::strata::pipeline {

inline constexpr llvm::StringLiteral kStageAttr = "dist.pipeline_stage";
inline constexpr llvm::StringLiteral kChunksAttr = "dist.pipeline_chunks";
inline constexpr llvm::StringLiteral kSharedWithStageAttr =
    "dist.shared_with_stage";
/// Per stage, the layers of each of its chunks ([first, count] pairs).
inline constexpr llvm::StringLiteral kStageLayersAttr = "dist.stage_layers";
/// Per training stage, the stash slots of each of its chunks: the most
/// micro-batches the schedule keeps between their forward and backward
/// steps (buffer assignment gives each slot its own saved-value buffers).
inline constexpr llvm::StringLiteral kStashSlotsAttr =
    "dist.pipeline_stash_slots";

/// Replaces |module|'s body by its pipeline stage modules (nothing to do
/// with pp = 1 or a module split already).
LogicalResult buildPipelineStages(ModuleOp module);

/// The stage modules of |module|, in stage order (empty: not pipelined).
SmallVector<ModuleOp> pipelineStages(ModuleOp module);

} // namespace mlir::strata::pipeline

#endif // STRATA_COMPILER_PIPELINE_STAGEPROGRAMS_H
