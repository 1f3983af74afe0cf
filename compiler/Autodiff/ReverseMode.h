//===- ReverseMode.h - reverse-mode differentiation of tfm IR ---*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Builds the backward pass of a function from the vector-Jacobian products
// its ops state (tfm::VJPOpInterface). Layers stay visible units: each
// forward tfm.layer gets a `backward` twin that receives the values the
// forward layer saves for it (extra results of the forward layer) and the
// gradient of its output. Parameters are re-read in the backward layer
// rather than saved, and a value the forward layer received as an input is
// passed to the backward layer directly rather than returned again.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_AUTODIFF_REVERSEMODE_H
#define STRATA_COMPILER_AUTODIFF_REVERSEMODE_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LogicalResult.h"

namespace mlir::strata {

/// Appends the backward pass of |function| before its return: the gradient
/// |seed| of |loss| (a value of the function's entry block) flows back to
/// every parameter read, where tfm.accumulate_grad adds it to the
/// parameter's gradient slot. Ops whose results cannot reach |loss|, and
/// gradients nothing uses (those of frozen parameters), cost nothing: they
/// are never built or are removed as dead code. Errors are emitted at the
/// op that cannot be differentiated.
LogicalResult differentiateFunction(func::FuncOp function, Value loss,
                                    Value seed);

} // namespace mlir::strata

#endif // STRATA_COMPILER_AUTODIFF_REVERSEMODE_H
