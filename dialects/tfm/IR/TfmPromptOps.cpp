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

namespace {

/// The LSTM shapes: input [T, I], weight_ih [2, 4E, I], weight_hh [2, 4E,
/// E], bias [2, 4E], output [T, 2E].
LogicalResult verifyLstm(Operation *op, Value input, Value weightIh,
                         Value weightHh, Value bias, Value output) {
  ArrayRef<int64_t> x = shapeOf(input), wi = shapeOf(weightIh),
                    wh = shapeOf(weightHh), b = shapeOf(bias),
                    y = shapeOf(output);
  if (x.size() != 2)
    return op->emitOpError() << "expected an input [steps, features], got "
                             << formatShape(x);
  if (wh.size() != 3 || wh[0] != 2 || wh[1] != 4 * wh[2])
    return op->emitOpError()
           << "expected weight_hh [2, 4 E, E] (two directions, gates i, f, "
              "g, o), got "
           << formatShape(wh);
  const int64_t units = wh[2];
  const SmallVector<int64_t> wiWant = {2, 4 * units, x[1]},
                             bWant = {2, 4 * units},
                             yWant = {x[0], 2 * units};
  if (!shapesAgree(wiWant, wi))
    return op->emitOpError() << "expected weight_ih of shape "
                             << formatShape(wiWant) << ", got "
                             << formatShape(wi);
  if (!shapesAgree(bWant, b))
    return op->emitOpError() << "expected a bias of shape "
                             << formatShape(bWant) << ", got "
                             << formatShape(b);
  if (!shapesAgree(yWant, y))
    return op->emitOpError()
           << "expected an output of shape " << formatShape(yWant)
           << " (both directions' units), got " << formatShape(y);
  return success();
}

} // namespace

LogicalResult LstmOp::verify() {
  return verifyLstm(*this, getInput(), getWeightIh(), getWeightHh(), getBias(),
                    getResult());
}

LogicalResult LstmGradOp::verify() {
  return verifyLstm(*this, getInput(), getWeightIh(), getWeightHh(), getBias(),
                    getResultGrad());
}
