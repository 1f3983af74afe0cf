//===- TfmPromptOps.cpp - verifiers of the prompt-learning ops ------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "dialects/tfm/IR/TfmOps.h"
#include "dialects/tfm/IR/TfmShapeUtils.h"

using namespace mlir;
using namespace mlir::strata::tfm;
using namespace mlir::strata::tfm::detail;

namespace {

/// |embeddings| is the virtual-token shape followed by |columns|.
LogicalResult verifyPositions(Operation *op, Value embeddings,
                              Value virtualTokens, int64_t columns,
                              StringRef role) {
  SmallVector<int64_t> expected(shapeOf(virtualTokens));
  expected.push_back(columns);
  if (!shapesAgree(expected, shapeOf(embeddings)))
    return op->emitOpError()
           << "expected " << role << " of shape " << formatShape(expected)
           << " (the virtual tokens' shape followed by " << formatDim(columns)
           << " columns), got " << formatShape(embeddings.getType());
  return success();
}

LogicalResult verifyOffset(Operation *op, int64_t offset) {
  if (offset < 0)
    return op->emitOpError() << "expected a non-negative offset, got "
                             << offset;
  return success();
}

} // namespace

LogicalResult InsertVirtualTokensOp::verify() {
  ArrayRef<int64_t> table = shapeOf(getTable());
  if (table.size() != 2)
    return emitOpError() << "expected a table of rank 2, got "
                         << formatShape(table);
  if (failed(verifyPositions(*this, getInput(), getVirtualTokens(), table[1],
                             "an input")))
    return failure();
  return verifyOffset(*this, getOffset());
}

LogicalResult MaskVirtualTokensOp::verify() {
  ArrayRef<int64_t> dy = shapeOf(getResultGrad());
  if (dy.empty())
    return emitOpError() << "expected a gradient of rank at least 1";
  if (failed(verifyPositions(*this, getResultGrad(), getVirtualTokens(),
                             dy.back(), "a gradient")))
    return failure();
  if (getRows() < 1)
    return emitOpError() << "expected at least one row, got " << getRows();
  return verifyOffset(*this, getOffset());
}

LogicalResult VirtualTokenTableGradOp::verify() {
  ArrayRef<int64_t> table = shapeOf(getTableGrad());
  if (table.size() != 2)
    return emitOpError() << "expected a table gradient of rank 2, got "
                         << formatShape(table);
  if (failed(verifyPositions(*this, getResultGrad(), getVirtualTokens(),
                             table[1], "a gradient")))
    return failure();
  return verifyOffset(*this, getOffset());
}
