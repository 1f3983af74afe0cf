//===- TfmTraits.cpp - traits shared by tfm ops ---------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "dialects/tfm/IR/TfmTraits.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

LogicalResult
mlir::strata::tfm::detail::verifySameFloatElementType(Operation *op) {
  Type first;
  StringRef firstRole;
  auto check = [&](Type type, StringRef role, unsigned index) -> LogicalResult {
    auto shaped = dyn_cast<ShapedType>(type);
    if (!shaped || !isa<FloatType>(shaped.getElementType()))
      return success();
    Type element = shaped.getElementType();
    if (!first) {
      first = element;
      firstRole = role;
      return success();
    }
    if (element == first)
      return success();
    return op->emitOpError() << "expected every floating-point operand and "
                                "result to have element type "
                             << first << " (as the first " << firstRole
                             << "), got " << element << " for " << role
                             << " #" << index;
  };
  for (auto [i, type] : llvm::enumerate(op->getOperandTypes()))
    if (failed(check(type, "operand", i)))
      return failure();
  for (auto [i, type] : llvm::enumerate(op->getResultTypes()))
    if (failed(check(type, "result", i)))
      return failure();
  return success();
}
