//===- FuseElementwise.cpp - fuse elementwise chains after biases ---------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A thin wrapper: the rewrites are in compiler/Fusion/ElementwiseFusion.
//
//===----------------------------------------------------------------------===//
#include "compiler/Fusion/ElementwiseFusion.h"
#include "compiler/Transforms/Passes.h"

namespace mlir::strata {
#define GEN_PASS_DEF_FUSEELEMENTWISEPASS
#include "compiler/Transforms/Passes.h.inc"
} // namespace mlir::strata

using namespace mlir;
using namespace mlir::strata;

namespace {

class FuseElementwisePass
    : public mlir::strata::impl::FuseElementwisePassBase<FuseElementwisePass> {
public:
  void runOnOperation() override {
    if (fuseElementwise(getOperation()).total() == 0)
      markAllAnalysesPreserved();
  }
};

} // namespace
