//===- StepFlops.h - the arithmetic of each function -------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The floating-point operations of a program's dense math, per function
// call on one rank (local shapes): every contraction (tfm.matmul and its two
// gradients: 2 m n k each) and attention (tfm.attention: 2 b s h t (d + e)
// for the two products, dense, as Megatron-LM counts it even when causal;
// tfm.attention_grad twice that). Elementwise work, norms and softmax are
// left out: they are bandwidth-bound, and the tuner's cost model prices them
// by bytes. Recomputed forward ops inside a backward function are counted
// where they run.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_DRIVER_STEPFLOPS_H
#define STRATA_COMPILER_DRIVER_STEPFLOPS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <cstdint>

namespace mlir::strata {

struct FunctionFlops {
  /// tfm.matmul, tfm.matmul_grad_input, tfm.matmul_grad_weight.
  double matmul = 0;
  /// tfm.attention and tfm.attention_grad.
  double attention = 0;

  double total() const { return matmul + attention; }
};

/// The dense-math FLOPs of one call of |function| on one rank.
FunctionFlops functionFlops(func::FuncOp function);

} // namespace mlir::strata

#endif // STRATA_COMPILER_DRIVER_STEPFLOPS_H
