//===- QuantizeWeights.cpp - int8 weight-only quantization ----------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A thin wrapper: the rewrite is in compiler/Inference/WeightQuantization.
//
//===----------------------------------------------------------------------===//
#include "compiler/Inference/WeightQuantization.h"
#include "compiler/Transforms/Passes.h"

namespace mlir::strata {
#define GEN_PASS_DEF_QUANTIZEWEIGHTSPASS
#include "compiler/Transforms/Passes.h.inc"
} // namespace mlir::strata

using namespace mlir;
using namespace mlir::strata;

namespace {

class QuantizeWeightsPass
    : public mlir::strata::impl::QuantizeWeightsPassBase<QuantizeWeightsPass> {
public:
  using QuantizeWeightsPassBase::QuantizeWeightsPassBase;

  void runOnOperation() override {
    if (scheme != "int8-weight-only") {
      getOperation().emitError()
          << "unknown quantization scheme '" << scheme
          << "' (supported: int8-weight-only)";
      return signalPassFailure();
    }
    if (failed(quantizeWeightsInt8(getOperation())))
      return signalPassFailure();
  }
};

} // namespace
