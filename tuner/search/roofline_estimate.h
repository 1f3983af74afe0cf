//===- roofline_estimate.h - a roofline step time, no calibration -*- C++ -*-=//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The simple step-time estimate strata-tune uses until the calibrated cost
// model (tuner/cost, issue 13) is merged, behind the same interface
// (tuner/cost/cost_model.h). Per pipeline stage, from the compiler's
// analysis of the layout and the cluster's datasheet numbers:
//
//   compute   = stepFlops(stage) / (peak x gemmEfficiencyAt(g)), where g is
//               one GEMM's FLOPs: a micro-batch's FLOPs / (12 x layers) (a
//               layer runs 4 GEMMs forward and 8 backward); peak is bf16 on
//               a GPU, f32 on a CPU
//   tp comm   = bytes one rank sends in tp (and tp+sp) collectives per step
//               / intra-node bandwidth + one latency per collective
//   dp comm   = bytes sent in collectives over dp / the dp group's link
//               (inter-node when the group spans nodes), all exposed: the
//               estimate does not model overlap with the backward pass
//   pipeline  = bytes sent between stages / the stage link
//   bubble    = compute x (pp - 1) / (microBatches x vp)  (1F1B and
//               interleaved 1F1B, Narayanan et al. 2021)
//   optimizer = 2 x (parameter + main parameter + gradient + optimizer
//               state bytes) / (memory bandwidth x elementwise efficiency)
//
// The step is the slowest stage's sum. TFLOP/s per GPU counts the dense
// math FLOPs of a step (the compiler's count) over all ranks / devices /
// step time; MFU divides by the peak. The limiter is the largest term.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_TUNER_SEARCH_ROOFLINE_ESTIMATE_H
#define STRATA_TUNER_SEARCH_ROOFLINE_ESTIMATE_H

#include "tuner/cost/cost_model.h"

namespace strata::tuner {

/// The roofline estimate above for |analysis| (of |layout|) on |nodes| nodes
/// of |cluster|.
StepPrediction
rooflineEstimate(const mlir::strata::CompileAnalysis &analysis,
                 const mlir::strata::ParallelLayout &layout,
                 const strata::frontend::ClusterDescription &cluster,
                 int64_t nodes);

} // namespace strata::tuner

#endif // STRATA_TUNER_SEARCH_ROOFLINE_ESTIMATE_H
