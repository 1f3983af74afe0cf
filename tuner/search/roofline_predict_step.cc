//===- roofline_predict_step.cc - predictStep = the roofline estimate -----===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The cost interface (tuner/cost/cost_model.h) answered by the roofline
// estimate, until the calibrated model of tuner/cost is merged: link
// StrataTunerRooflineCost or that model's library, not both.
//
//===----------------------------------------------------------------------===//
#include "tuner/cost/cost_model.h"
#include "tuner/search/roofline_estimate.h"

namespace strata::tuner {

StepPrediction predictStep(const mlir::strata::CompileAnalysis &analysis,
                           const mlir::strata::ParallelLayout &layout,
                           const strata::frontend::ClusterDescription &cluster,
                           int64_t nodes) {
  return rooflineEstimate(analysis, layout, cluster, nodes);
}

} // namespace strata::tuner
