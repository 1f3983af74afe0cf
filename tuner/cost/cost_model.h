//===- cost_model.h - predicted time of one training step -------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The interface between strata-tune's search (tuner/search) and its cost
// model: a compiled layout's analysis (memory, collectives, FLOPs per stage)
// on a cluster -> the predicted time of one training step, split by what
// spends it, and what limits it. The search calls only predictStep.
//
// Until the calibrated model (issue 13, tuner/cost) is merged, the library
// StrataTunerRooflineCost defines predictStep with the roofline estimate of
// tuner/search/roofline_estimate.h.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_TUNER_COST_COST_MODEL_H
#define STRATA_TUNER_COST_COST_MODEL_H

#include "compiler/Api/CompileApi.h"
#include "frontends/cluster/ClusterDescription.h"

#include <cstdint>
#include <string>

namespace strata::tuner {

struct StepPrediction {
  double stepSeconds = 0, computeSeconds = 0, tensorParallelCommSeconds = 0,
         dataParallelExposedSeconds = 0, pipelineCommSeconds = 0,
         bubbleSeconds = 0, optimizerSeconds = 0;
  double tflopsPerGpu = 0, mfu = 0;
  std::string limiter; // "compute", "bubble", "tp communication", "dp communication", ...
};

StepPrediction predictStep(const mlir::strata::CompileAnalysis &analysis,
                           const mlir::strata::ParallelLayout &layout,
                           const strata::frontend::ClusterDescription &cluster,
                           int64_t nodes);

} // namespace strata::tuner

#endif // STRATA_TUNER_COST_COST_MODEL_H
