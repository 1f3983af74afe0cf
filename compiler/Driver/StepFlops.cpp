//===- StepFlops.cpp - the arithmetic of each function --------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Driver/StepFlops.h"

#include "dialects/tfm/IR/TfmOps.h"

#include <cmath>
#include <optional>

using namespace mlir;
using namespace mlir::strata;

namespace {

double tensorBytes(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return 0.0;
  const unsigned bits = tensor.getElementType().getIntOrFloatBitWidth();
  return double(tensor.getNumElements()) * double((bits + 7) / 8);
}

/// A tfm op whose cost is the bytes it moves: not dense math, not a
/// parameter, region or cache declaration, not a gradient collective, not
/// the optimizer (priced from the memory plan).
bool isMemoryBound(Operation *op) {
  if (!op->getDialect() || op->getDialect()->getNamespace() != "tfm")
    return false;
  return !isa<tfm::MatmulOp, tfm::QuantizedMatmulOp, tfm::MatmulGradInputOp,
              tfm::MatmulGradWeightOp,
              tfm::AttentionOp, tfm::AttentionGradOp, tfm::ParameterOp,
              tfm::ParamRefOp, tfm::LayerOp, tfm::YieldOp, tfm::KVCacheOp,
              tfm::ReduceGradsOp, tfm::ReduceScatterGradsOp,
              tfm::GatherParamsOp, tfm::AdamWOp, tfm::ParamFromMainOp,
              tfm::ZeroGradsOp>(op);
}

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

/// The m, n, k of a contraction whose operands and result hold |mk|,
/// |nk| and |mn| elements (whichever roles they play): m = sqrt(mk mn / nk),
/// and likewise.
GemmCall gemmOf(GemmCall::Kind kind, double mk, double nk, double mn) {
  auto side = [](double a, double b, double c) {
    return c > 0 ? int64_t(std::llround(std::sqrt(a * b / c))) : int64_t(0);
  };
  return {kind, side(mk, mn, nk), side(nk, mn, mk), side(mk, nk, mn)};
}

AttentionCall attentionCallOf(Value query, Value key, Value value,
                              bool causal, bool backward) {
  AttentionCall call;
  auto q = dyn_cast<RankedTensorType>(query.getType());
  auto k = dyn_cast<RankedTensorType>(key.getType());
  auto v = dyn_cast<RankedTensorType>(value.getType());
  if (!q || !k || !v || q.getRank() != 4 || k.getRank() != 4 ||
      v.getRank() != 4)
    return call;
  call.batch = q.getDimSize(0);
  call.querySeq = q.getDimSize(1);
  call.heads = q.getDimSize(2);
  call.headDim = q.getDimSize(3);
  call.keySeq = k.getDimSize(1);
  call.kvHeads = k.getDimSize(2);
  call.valueDim = v.getDimSize(3);
  call.causal = causal;
  call.backward = backward;
  return call;
}

/// The cross-entropies: the logits are the first operand.
std::optional<CrossEntropyCall> crossEntropyOf(Operation *op) {
  const bool forward =
      isa<tfm::CrossEntropyOp, tfm::VocabParallelStatsOp>(op);
  const bool backward =
      isa<tfm::CrossEntropyGradOp, tfm::VocabParallelCrossEntropyGradOp>(op);
  if ((!forward && !backward) || op->getNumOperands() == 0)
    return std::nullopt;
  auto logits = dyn_cast<RankedTensorType>(op->getOperand(0).getType());
  if (!logits || !logits.hasStaticShape() || logits.getRank() < 1)
    return std::nullopt;
  CrossEntropyCall call;
  call.vocab = logits.getShape().back();
  call.rows = call.vocab > 0 ? logits.getNumElements() / call.vocab : 0;
  call.backward = backward;
  return call;
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
  auto addMatmul = [&](double f) {
    flops.matmul += f;
    flops.matmulCalls.push_back(f);
  };
  function.walk([&](Operation *op) {
    if (auto o = dyn_cast<tfm::QuantizedMatmulOp>(op)) {
      // The same contraction as a matmul (dequantized on the fly); not a
      // cuBLAS GEMM, so no GemmCall.
      addMatmul(contractionFlops(o.getInput().getType(),
                                 o.getWeight().getType(), o.getType()));
    } else if (auto o = dyn_cast<tfm::MatmulOp>(op)) {
      // x[m,k] w[n,k] -> y[m,n]
      addMatmul(contractionFlops(o.getInput().getType(),
                                 o.getWeight().getType(), o.getType()));
      flops.gemms.push_back(gemmOf(GemmCall::Matmul,
                                   elements(o.getInput().getType()),
                                   elements(o.getWeight().getType()),
                                   elements(o.getType())));
    } else if (auto o = dyn_cast<tfm::MatmulGradInputOp>(op)) {
      // dy[m,n] w[n,k] -> dx[m,k]
      addMatmul(contractionFlops(o.getResultGrad().getType(),
                                 o.getWeight().getType(), o.getType()));
      flops.gemms.push_back(gemmOf(GemmCall::GradInput, elements(o.getType()),
                                   elements(o.getWeight().getType()),
                                   elements(o.getResultGrad().getType())));
    } else if (auto o = dyn_cast<tfm::MatmulGradWeightOp>(op)) {
      // dy[m,n] x[m,k] -> dw[n,k]
      addMatmul(contractionFlops(o->getOperand(0).getType(),
                                 o->getOperand(1).getType(),
                                 o->getResult(0).getType()));
      flops.gemms.push_back(gemmOf(GemmCall::GradWeight,
                                   elements(o->getOperand(1).getType()),
                                   elements(o->getResult(0).getType()),
                                   elements(o->getOperand(0).getType())));
    } else if (auto o = dyn_cast<tfm::AttentionOp>(op)) {
      flops.attention +=
          attentionFlops(o.getQuery(), o.getKey(), o.getValue());
      flops.attentionCalls.push_back(attentionCallOf(
          o.getQuery(), o.getKey(), o.getValue(), o.getCausal(), false));
    } else if (auto o = dyn_cast<tfm::AttentionGradOp>(op)) {
      flops.attention +=
          2.0 * attentionFlops(o.getQuery(), o.getKey(), o.getValue());
      flops.attentionCalls.push_back(attentionCallOf(
          o.getQuery(), o.getKey(), o.getValue(), o.getCausal(), true));
    } else if (isMemoryBound(op)) {
      double bytes = 0;
      for (Value operand : op->getOperands())
        bytes += tensorBytes(operand.getType());
      for (Value result : op->getResults())
        bytes += tensorBytes(result.getType());
      flops.memoryBoundBytes += bytes;
      if (bytes >= 1) {
        const size_t bucket = size_t(std::log2(bytes));
        if (flops.memoryBoundBytesBySize.size() <= bucket)
          flops.memoryBoundBytesBySize.resize(bucket + 1, 0.0);
        flops.memoryBoundBytesBySize[bucket] += bytes;
      }
      if (std::optional<CrossEntropyCall> call = crossEntropyOf(op)) {
        call->bytes = bytes;
        flops.crossEntropyCalls.push_back(*call);
      }
    }
  });
  return flops;
}
