//===- TfmTraits.h - traits shared by tfm ops -------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_DIALECTS_TFM_IR_TFMTRAITS_H
#define STRATA_DIALECTS_TFM_IR_TFMTRAITS_H

#include "mlir/IR/OpDefinition.h"

namespace mlir::strata::tfm {

namespace detail {
LogicalResult verifySameFloatElementType(Operation *op);
} // namespace detail

/// Every floating-point tensor operand and result of the op has the same
/// element type: a model computes in one precision, and casts are explicit.
template <typename ConcreteType>
class SameFloatElementType
    : public OpTrait::TraitBase<ConcreteType, SameFloatElementType> {
public:
  static LogicalResult verifyTrait(Operation *op) {
    return detail::verifySameFloatElementType(op);
  }
};

} // namespace mlir::strata::tfm

#endif // STRATA_DIALECTS_TFM_IR_TFMTRAITS_H
