//===- StepFlops.cpp - the arithmetic of each function --------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Driver/StepFlops.h"

#include "dialects/tfm/IR/TfmOps.h"

#include <cmath>

using namespace mlir;
using namespace mlir::strata;

namespace {

double elements(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.hasStaticShape() ? double(tensor.getNumElements())
                                           : 0.0;
}

/// A contraction of a[m, k] and b[n, k] into c[m, n] (any of the three
/// roles): |a| |b| |c| = (m n k)^2 whichever operand is which, so the
/// matmul and both its gradients take 2 sqrt(|a| |b| |c|).
double contractionFlops(Type a, Type b, Type c) {
  return 2.0 * std::sqrt(elements(a) * elements(b) * elements(c));
}

/// query[b, s, h, d], key[b, t, g, d], value[b, t, g, e]: q k^T is
/// b s h t d multiply-adds and p v b s h t e.
double attentionFlops(Value query, Value key, Value value) {
  auto q = dyn_cast<RankedTensorType>(query.getType());
  auto k = dyn_cast<RankedTensorType>(key.getType());
  auto v = dyn_cast<RankedTensorType>(value.getType());
  if (!q || !k || !v || q.getRank() != 4 || k.getRank() != 4 ||
      v.getRank() != 4)
    return 0.0;
  const double bsh = double(q.getDimSize(0)) * q.getDimSize(1) *
                     q.getDimSize(2);
  const double t = double(k.getDimSize(1));
  return 2.0 * bsh * t * double(q.getDimSize(3) + v.getDimSize(3));
}

} // namespace

FunctionFlops mlir::strata::functionFlops(func::FuncOp function) {
  FunctionFlops flops;
  function.walk([&](Operation *op) {
    if (auto o = dyn_cast<tfm::MatmulOp>(op))
      flops.matmul += contractionFlops(o.getInput().getType(),
                                       o.getWeight().getType(), o.getType());
    else if (auto o = dyn_cast<tfm::MatmulGradInputOp>(op))
      flops.matmul += contractionFlops(o.getResultGrad().getType(),
                                       o.getWeight().getType(), o.getType());
    else if (auto o = dyn_cast<tfm::MatmulGradWeightOp>(op))
      flops.matmul += contractionFlops(o->getOperand(0).getType(),
                                       o->getOperand(1).getType(),
                                       o->getResult(0).getType());
    else if (auto o = dyn_cast<tfm::AttentionOp>(op))
      flops.attention +=
          attentionFlops(o.getQuery(), o.getKey(), o.getValue());
    else if (auto o = dyn_cast<tfm::AttentionGradOp>(op))
      flops.attention +=
          2.0 * attentionFlops(o.getQuery(), o.getKey(), o.getValue());
  });
  return flops;
}
