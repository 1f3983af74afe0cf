//===- RecomputeActivations.cpp - activation recomputation ----------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A thin wrapper: the policy is in compiler/Recompute/RecomputePolicy, the
// rewrite in compiler/Recompute/LayerRecompute.
//
//===----------------------------------------------------------------------===//
#include "compiler/Recompute/LayerRecompute.h"
#include "compiler/Recompute/RecomputePolicy.h"
#include "compiler/Transforms/Passes.h"

namespace mlir::strata {
#define GEN_PASS_DEF_RECOMPUTEACTIVATIONSPASS
#include "compiler/Transforms/Passes.h.inc"
} // namespace mlir::strata

using namespace mlir;
using namespace mlir::strata;

namespace {

class RecomputeActivationsPass
    : public mlir::strata::impl::RecomputeActivationsPassBase<
          RecomputeActivationsPass> {
public:
  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<RecomputePolicy> policy =
        readRecomputePolicy(module->getAttrOfType<DictionaryAttr>("tfm.config"),
                            [&] { return module.emitError(); });
    if (failed(policy))
      return signalPassFailure();
    int64_t recomputed = 0;
    for (auto function : module.getOps<func::FuncOp>()) {
      FailureOr<int64_t> layers = recomputeActivations(function, *policy);
      if (failed(layers))
        return signalPassFailure();
      recomputed += *layers;
    }
    if (recomputed == 0)
      markAllAnalysesPreserved();
  }
};

} // namespace
