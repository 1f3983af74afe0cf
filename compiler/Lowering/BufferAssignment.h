//===- BufferAssignment.h - one arena buffer per tensor value ---*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Turns a flattened module (no tfm.layer left; see
// strata-tfm-flatten-layers) into the planner's view: every parameter and
// (when the module trains) its gradient and AdamW moment slots and its main
// parameter (mixed precision O2) are persistent buffers, and so is every KV
// cache (tfm.kv_cache, category KVCache, named by its symbol); every function
// argument an input and every returned value an output, and every other tensor
// value a transient activation live from the instruction that writes it to the
// last one that reads it. Functions run one at a time, so their instructions
// are numbered in one sequence and their transient buffers can share memory. A
// result may overwrite an operand in place (the planner's aliasOf: the same
// offset) where the kernel allows it and the operand dies at that op; today
// tfm.cross_entropy_grad's logits gradient takes the logits' place.
//
// The gradient collectives that bucket (tfm.reduce_grads,
// tfm.reduce_scatter_grads, tfm.gather_params) each get one more buffer, no
// tensor value's: their gradient bucket (category GradientBucket), sized by
// the runtime's rule (common/gradient_buckets.h: the largest
// bucket the slots pack into, at least one element, of the slots' element
// type), transient and live at that instruction only, so it reuses memory
// that the activations of other instructions and functions use.
//
// A pipeline stage's saved values live in its stash (category
// PipelineStash, persistent): forward_step.c's saved results are slot 0 of
// chunk c, and backward_step.c's saved arguments are those same buffers.
// Slots 1 .. k-1 (k from the stage's dist.pipeline_stash_slots) are buffers
// of the same sizes that no function names; the artifact emitter gives each
// slot its own variant of the two functions.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_LOWERING_BUFFERASSIGNMENT_H
#define STRATA_COMPILER_LOWERING_BUFFERASSIGNMENT_H

#include "compiler/Planning/MemoryPlanner.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

#include <vector>

namespace mlir::strata {

struct ParameterSlots {
  int64_t value = -1;
  int64_t grad = -1;   // -1 for a frozen parameter
  int64_t adamM = -1;
  int64_t adamV = -1;
  int64_t main = -1;   // the f32 main parameter (mixed precision O2), or -1
};

/// The gradient bucket of one bucketed collective: its buffer and type (a
/// vector of the slots' element type).
struct BucketBuffer {
  int64_t buffer = -1;
  RankedTensorType type;
};

/// One chunk's stash: slots[s][i] is the buffer of saved value i in slot s
/// (slots[0]: the buffers forward_step.c's saved results have).
struct StashChunk {
  std::vector<std::vector<int64_t>> slots;
};

struct BufferAssignment {
  /// Index i holds the buffer with id i.
  std::vector<::strata::planning::Buffer> buffers;
  /// The buffer holding each tensor value of every function.
  llvm::DenseMap<Value, int64_t> bufferOf;
  llvm::StringMap<ParameterSlots> parameters;
  /// The buffer of each tfm.kv_cache, by symbol name.
  llvm::StringMap<int64_t> kvCaches;
  /// Per local chunk of a training pipeline stage, its stash (empty
  /// otherwise).
  std::vector<StashChunk> stash;
  /// The gradient bucket of each tfm.reduce_grads, tfm.reduce_scatter_grads
  /// and tfm.gather_params.
  llvm::DenseMap<Operation *, BucketBuffer> buckets;
};

/// Every buffer is aligned to this many bytes (the artifact's rule).
inline constexpr size_t kBufferAlignment = 64;

/// Assigns buffers for |module|. Fails, with a diagnostic at the op, on a
/// tfm.layer (flatten first), a value that is not a ranked tensor, a
/// pipeline stage's step functions without stash slots, or a bucketed
/// collective whose slots differ in element type.
FailureOr<BufferAssignment> assignBuffers(ModuleOp module,
                                         size_t alignment = kBufferAlignment);

} // namespace mlir::strata

#endif // STRATA_COMPILER_LOWERING_BUFFERASSIGNMENT_H
