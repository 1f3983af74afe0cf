//===- StepFlops.h - the arithmetic of each function -------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The floating-point operations of a program's dense math, per function
// call on one rank (local shapes): every contraction (tfm.matmul and its two
// gradients: 2 m n k each) and attention (tfm.attention: 2 b s h t (d + e)
// for the two products, dense, as Megatron-LM counts it even when causal;
// tfm.attention_grad twice that), each contraction's FLOPs on its own (the
// tuner prices a GEMM by its size), and the bytes the bandwidth-bound tfm ops
// (elementwise, norms, softmax-free losses, casts, head splits) read and
// write, each op reading its tensor operands and writing its results once
// (no fusion across ops: an upper bound on their traffic). Recomputed forward
// ops inside a backward function are counted where they run.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_DRIVER_STEPFLOPS_H
#define STRATA_COMPILER_DRIVER_STEPFLOPS_H

#include "compiler/Driver/KernelCalls.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <cstdint>
#include <vector>

namespace mlir::strata {

struct FunctionFlops {
  /// tfm.matmul, tfm.matmul_grad_input, tfm.matmul_grad_weight.
  double matmul = 0;
  /// tfm.attention and tfm.attention_grad.
  double attention = 0;
  /// Each contraction's FLOPs, in program order (they sum to |matmul|).
  std::vector<double> matmulCalls;
  /// The same contractions with their sizes, in program order.
  std::vector<GemmCall> gemms;
  std::vector<AttentionCall> attentionCalls;
  /// Bytes the bandwidth-bound tfm ops read and write (cross-entropies
  /// included).
  double memoryBoundBytes = 0;
  /// The same bytes by the size of the op that moves them: entry b holds
  /// the ops moving [2^b, 2^(b+1)) bytes each (a kernel over a large buffer
  /// streams from memory, one over a small one from cache).
  std::vector<double> memoryBoundBytesBySize;
  std::vector<CrossEntropyCall> crossEntropyCalls;

  double total() const { return matmul + attention; }
};

/// The dense-math FLOPs of one call of |function| on one rank.
FunctionFlops functionFlops(func::FuncOp function);

} // namespace mlir::strata

#endif // STRATA_COMPILER_DRIVER_STEPFLOPS_H
