//===- FlattenLayers.cpp - inline tfm.layer regions -----------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Transforms/Passes.h"
#include "dialects/tfm/IR/TfmOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::strata {
#define GEN_PASS_DEF_FLATTENLAYERSPASS
#include "compiler/Transforms/Passes.h.inc"
} // namespace mlir::strata

using namespace mlir;
using namespace mlir::strata;

namespace {

/// Replaces |layer| by the ops of its body.
void inlineLayer(tfm::LayerOp layer) {
  Block &body = layer.getBody().front();
  IRMapping mapping;
  mapping.map(body.getArguments(), layer.getInputs());
  OpBuilder builder(layer);
  for (Operation &op : body.without_terminator())
    builder.clone(op, mapping);
  auto yield = cast<tfm::YieldOp>(body.getTerminator());
  for (auto [result, yielded] :
       llvm::zip(layer.getResults(), yield.getValues()))
    result.replaceAllUsesWith(mapping.lookupOrDefault(yielded));
  layer.erase();
}

class FlattenLayersPass
    : public mlir::strata::impl::FlattenLayersPassBase<FlattenLayersPass> {
public:
  void runOnOperation() override {
    SmallVector<tfm::LayerOp> layers;
    getOperation().walk([&](tfm::LayerOp layer) { layers.push_back(layer); });
    for (tfm::LayerOp layer : layers)
      inlineLayer(layer);
  }
};

} // namespace
