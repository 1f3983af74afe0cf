//===- FunctionSplitter.h - one function into pipeline pieces ---*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Pipeline parallelism runs each model chunk (a run of layers; the first
// chunk also runs the embedding, the last the head and the loss) on its own
// pipeline stage, one micro-batch at a time, forward and backward passes of
// different micro-batches interleaved by the 1F1B schedule. This splitter
// cuts one function of the partitioned program into those pieces:
//   * every top-level op goes to a chunk: a tfm.layer to its layer's chunk,
//     any other op to the latest chunk among its operands' (the embedding
//     to the first, the head to the last, a collective to its producer's);
//     operand-free pure ops (parameter reads, constants) are cloned into
//     every piece that uses them;
//   * with a backward seed (forward_backward's loss_scale), an op that
//     depends on the seed belongs to the chunk's backward part;
//   * a value crossing to the next chunk in the forward part, or to the
//     previous chunk in the backward part, becomes a dist.send / dist.recv
//     pair over the pp axis (one tag per value); a forward value that the
//     same chunk's backward part uses is a *saved value*: a result of the
//     forward piece and an argument of the backward piece, which the
//     runtime keeps per micro-batch in flight.
// Any other crossing (a value skipping a chunk, a backward value feeding a
// forward op) is an error at the op.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_PIPELINE_FUNCTIONSPLITTER_H
#define STRATA_COMPILER_PIPELINE_FUNCTIONSPLITTER_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LLVM.h"

#include <cstdint>
#include <optional>
#include <string>

namespace mlir::strata::pipeline {

struct SplitOptions {
  /// The global model chunk of each layer index.
  SmallVector<int64_t> chunkOfLayer;
  int64_t chunks = 1;
  /// The argument whose dependents form the backward part; none: the whole
  /// function is one forward part per chunk.
  std::optional<unsigned> backwardSeed;
  /// Tags of this function's transfers start here (distinct per function,
  /// so that transfers of different functions never match).
  int64_t tagBase = 0;
  /// Pieces are named <forwardName>.<chunk> and <backwardName>.<chunk>.
  std::string forwardName, backwardName;
  /// The dist.mesh symbol the sends and receives use.
  std::string meshName = "mesh";
};

/// Per global chunk, its forward piece and (with a seed) its backward piece.
/// Forward pieces take the function's arguments but the seed and return the
/// original results they compute, then their saved values; backward pieces
/// take all the function's arguments, then the saved values, and return the
/// original results they compute.
struct SplitPieces {
  SmallVector<func::FuncOp> forward, backward;
};

/// Creates the pieces next to |function| in its module (|function| itself
/// is left alone), or fails with an error at the op at fault.
FailureOr<SplitPieces> splitFunction(func::FuncOp function,
                                     const SplitOptions &options);

} // namespace mlir::strata::pipeline

#endif // STRATA_COMPILER_PIPELINE_FUNCTIONSPLITTER_H
