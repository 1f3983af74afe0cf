//===- TfmFusedOps.cpp - verifiers of the ops elementwise fusion forms ----===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "dialects/tfm/IR/TfmOps.h"
#include "dialects/tfm/IR/TfmShapeUtils.h"

using namespace mlir;
using namespace mlir::strata::tfm;
using namespace mlir::strata::tfm::detail;

LogicalResult BiasGeluOp::verify() {
  return verifyTrailingBias(*this, getInput(), getBias());
}

LogicalResult BiasGeluGradOp::verify() {
  return verifyTrailingBias(*this, getInput(), getBias());
}

LogicalResult BiasDropoutAddOp::verify() {
  if (failed(verifyTrailingBias(*this, getInput(), getBias())))
    return failure();
  return verifyProbability(*this, "rate", getRate().convertToDouble());
}

LogicalResult BiasDropoutAddGradOp::verify() {
  ArrayRef<int64_t> dy = shapeOf(getResultGrad());
  ArrayRef<int64_t> db = shapeOf(getBiasGrad());
  if (db.empty() || db.size() > dy.size() ||
      !shapesAgree(dy.take_back(db.size()), db))
    return emitOpError() << "expected a bias gradient shaped like trailing "
                            "dimensions of the gradient "
                         << formatShape(dy) << ", got " << formatShape(db);
  return verifyProbability(*this, "rate", getRate().convertToDouble());
}
