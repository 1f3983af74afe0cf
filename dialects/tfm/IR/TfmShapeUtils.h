//===- TfmShapeUtils.h - shape checks shared by tfm verifiers ---*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Internal to the tfm dialect's verifiers: messages print shapes as
// 4x1024x768 (`?` for a dynamic dimension) and compare dimensions that
// agree unless both are static and differ.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_DIALECTS_TFM_IR_TFMSHAPEUTILS_H
#define STRATA_DIALECTS_TFM_IR_TFMSHAPEUTILS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <optional>
#include <string>

namespace mlir::strata::tfm::detail {

/// "768", or "?" for a dynamic dimension.
inline std::string formatDim(int64_t dim) {
  return ShapedType::isDynamic(dim) ? std::string("?") : std::to_string(dim);
}

/// "4x1024x768", "?x128", or "scalar" for rank 0.
inline std::string formatShape(ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "scalar";
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::interleave(
      shape, os,
      [&](int64_t dim) {
        if (ShapedType::isDynamic(dim))
          os << "?";
        else
          os << dim;
      },
      "x");
  return text;
}

inline std::string formatShape(Type type) {
  return formatShape(cast<ShapedType>(type).getShape());
}

/// Two dimensions agree unless both are static and differ.
inline bool dimsAgree(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

inline bool shapesAgree(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  return a.size() == b.size() &&
         llvm::all_of(llvm::zip_equal(a, b), [](auto pair) {
           return dimsAgree(std::get<0>(pair), std::get<1>(pair));
         });
}

inline ArrayRef<int64_t> shapeOf(Value value) {
  return cast<ShapedType>(value.getType()).getShape();
}

/// Size of dimension |dim| counted from the end (0 = last).
inline int64_t fromEnd(ArrayRef<int64_t> shape, int64_t dim) {
  return shape[shape.size() - 1 - dim];
}

/// Checks that |vector| (a norm scale or bias) is [size of input's last dim].
inline LogicalResult verifyFeatureVector(Operation *op, Value input, Value vector,
                                  StringRef role) {
  ArrayRef<int64_t> inputShape = shapeOf(input);
  ArrayRef<int64_t> shape = shapeOf(vector);
  if (inputShape.empty())
    return op->emitOpError() << "expected an input of rank at least 1, got "
                             << input.getType();
  if (shape.size() != 1 || !dimsAgree(shape[0], inputShape.back()))
    return op->emitOpError()
           << "expected " << role << " of shape " << formatShape(
                                                         inputShape.back())
           << " (the input's last dimension), got " << formatShape(shape);
  return success();
}

/// Checks that |bias| is shaped like the trailing dimensions of |input| (of
/// rank at least 1), as tfm.bias_add and the fused bias ops require.
inline LogicalResult verifyTrailingBias(Operation *op, Value input,
                                        Value bias) {
  ArrayRef<int64_t> inputShape = shapeOf(input);
  ArrayRef<int64_t> biasShape = shapeOf(bias);
  if (inputShape.empty())
    return op->emitOpError() << "expected an input of rank at least 1, got "
                             << input.getType();
  if (biasShape.empty() || biasShape.size() > inputShape.size())
    return op->emitOpError()
           << "expected a bias of rank 1 to " << inputShape.size()
           << " (the input's rank), got rank " << biasShape.size();
  if (!shapesAgree(inputShape.take_back(biasShape.size()), biasShape))
    return op->emitOpError()
           << "expected bias shape "
           << formatShape(inputShape.take_back(biasShape.size()))
           << " (the input's trailing dimensions), got "
           << formatShape(biasShape);
  return success();
}

inline LogicalResult verifyEpsilon(Operation *op, double epsilon) {
  if (!(epsilon > 0.0) || !std::isfinite(epsilon))
    return op->emitOpError() << "expected a positive, finite epsilon, got "
                             << epsilon;
  return success();
}

inline LogicalResult verifyProbability(Operation *op, StringRef name, double p) {
  if (!(p >= 0.0 && p < 1.0))
    return op->emitOpError() << "expected " << name
                             << " in [0, 1), got " << p;
  return success();
}


/// Checks that |values| (named by |names|) share one element type: for ops
/// whose f32 side results (lse, losses) exempt them from the dialect-wide
/// SameFloatElementType rule.
inline LogicalResult verifySameElementType(Operation *op, ValueRange values,
                                           ArrayRef<StringRef> names) {
  Type first = cast<ShapedType>(values[0].getType()).getElementType();
  for (auto [value, name] : llvm::zip(values, names)) {
    Type element = cast<ShapedType>(value.getType()).getElementType();
    if (element != first)
      return op->emitOpError()
             << "expected " << name << " to have element type " << first
             << " (as " << names[0] << "), got " << element;
  }
  return success();
}

/// The checks tfm.attention and tfm.attention_grad share: ranks, batch,
/// key/value agreement, head_dim, groups dividing heads, causal lengths,
/// the result shape [b, s, h, e] and, when |lse| is given, its shape
/// [b, h, s] and element type (f64 for f64 inputs, else f32).
LogicalResult verifyAttentionOperands(Operation *op, Value query, Value key,
                                      Value value, Value result, Value lse,
                                      bool causal);

/// A cross-entropy loss gradient has the labels' shape for reduction
/// `none` (|perPosition|) and is a scalar otherwise.
inline LogicalResult verifyLossGradShape(Operation *op, bool perPosition,
                                         StringRef reduction, Value labels,
                                         Value lossGrad) {
  ArrayRef<int64_t> expected =
      perPosition ? shapeOf(labels) : ArrayRef<int64_t>{};
  if (!shapesAgree(expected, shapeOf(lossGrad)))
    return op->emitOpError()
           << "expected a loss gradient of shape " << formatShape(expected)
           << " for reduction " << reduction << ", got "
           << formatShape(lossGrad.getType());
  return success();
}

/// A cross-entropy op's optional real vocabulary |validVocab| is positive
/// and, where the logits hold the whole vocabulary (|logits| not split; a
/// vocabulary-parallel op passes null), at most their last dimension.
inline LogicalResult verifyValidVocab(Operation *op,
                                      std::optional<int64_t> validVocab,
                                      Value logits) {
  if (!validVocab)
    return success();
  if (*validVocab < 1)
    return op->emitOpError() << "expected a positive valid_vocab, got "
                             << *validVocab;
  if (!logits)
    return success();
  ArrayRef<int64_t> shape = shapeOf(logits);
  if (!shape.empty() && !ShapedType::isDynamic(shape.back()) &&
      *validVocab > shape.back())
    return op->emitOpError()
           << "expected valid_vocab at most the vocabulary of " << shape.back()
           << " logits, got " << *validVocab;
  return success();
}

} // namespace mlir::strata::tfm::detail

#endif // STRATA_DIALECTS_TFM_IR_TFMSHAPEUTILS_H
