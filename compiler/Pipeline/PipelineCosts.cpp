//===- PipelineCosts.cpp - what each layer costs, from the IR -------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Pipeline/PipelineCosts.h"

#include "dialects/tfm/IR/TfmOps.h"

#include <cmath>

using namespace mlir;
using namespace mlir::strata;

namespace {

double elements(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !type.hasStaticShape())
    return 0.0;
  return static_cast<double>(type.getNumElements());
}

double opCost(Operation *op) {
  if (isa<tfm::MatmulOp, tfm::QuantizedMatmulOp>(op))
    return 2.0 *
           std::sqrt(elements(op->getOperand(0)) * elements(op->getOperand(1)) *
                     elements(op->getResult(0)));
  if (isa<tfm::AttentionOp>(op)) {
    auto keys = cast<RankedTensorType>(op->getOperand(1).getType());
    return 4.0 * elements(op->getOperand(0)) *
           static_cast<double>(keys.getDimSize(1));
  }
  double cost = 0.0;
  for (Value result : op->getResults())
    cost += elements(result);
  return cost;
}

double nestedCost(Operation *root) {
  double cost = 0.0;
  root->walk([&](Operation *op) {
    if (op != root && op->getNumRegions() == 0)
      cost += opCost(op);
  });
  return cost;
}

} // namespace

::strata::partitioning::PipelineCosts
mlir::strata::pipeline::layerCosts(func::FuncOp forward) {
  ::strata::partitioning::PipelineCosts costs;
  bool afterLayers = false;
  for (Operation &op : forward.front().without_terminator()) {
    if (isa<tfm::LayerOp>(op)) {
      costs.layers.push_back(nestedCost(&op));
      afterLayers = true;
      continue;
    }
    const double cost = op.getNumRegions() ? nestedCost(&op) : opCost(&op);
    (afterLayers ? costs.last : costs.first) += cost;
  }
  return costs;
}
