//===- cost_model.h - the predicted step time of a layout -------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// strata-tune's cost model: from the compiler's analysis of one layout
// (CompileSession::analyze: FLOPs and bytes per function, collectives per
// function with their groups and bytes, memory plans) and a cluster
// description, the time of one training step and what it is made of:
//
//   - each forward / backward pass of a chunk: every GEMM at the cluster's
//     efficiency for its size, attention at its efficiency, the
//     bandwidth-bound ops' bytes at the elementwise share of memory
//     bandwidth, plus its tensor / sequence parallel collectives (ring
//     algorithms: the bytes one rank sends over the link, plus one latency
//     per ring step), which Strata does not overlap with compute;
//   - the pipeline: a simulation of the stage's actual schedule
//     (pipeline_simulation.h) with those pass times and the send times
//     between stages, giving the bubble;
//   - the data-parallel gradient reduction (and the distributed optimizer's
//     gather), which Strata runs after the last micro-batch
//     (docs/parallelism.md), so all of it is exposed;
//   - the optimizer step, bandwidth-bound over the stage's parameters,
//     gradients, optimizer state and main parameters.
//
// With a calibration profile (calibration_profile.h) each GEMM, attention
// and cross-entropy call costs what the profile measured at its sizes (or
// interpolated), bandwidth-bound ops and the optimizer run at the measured
// elementwise rate, and the measured all-reduce link replaces the cluster's
// intra-node link; anything the profile cannot price uses the curves.
//
// Usage:
//   StepPrediction p = predictStep(*analysis, layout, cluster, nodes);
//   std::cout << p.stepSeconds << " s, limited by " << p.limiter;
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_TUNER_COST_COST_MODEL_H
#define STRATA_TUNER_COST_COST_MODEL_H

#include "compiler/Api/CompileApi.h"
#include "frontends/cluster/ClusterDescription.h"
#include "tuner/cost/calibration_profile.h"

#include <cstdint>
#include <string>

namespace strata::tuner {

/// One training step on the slowest rank. stepSeconds is the sum of the
/// seconds below it.
struct StepPrediction {
  double stepSeconds = 0, computeSeconds = 0, tensorParallelCommSeconds = 0,
         dataParallelExposedSeconds = 0, pipelineCommSeconds = 0,
         bubbleSeconds = 0, optimizerSeconds = 0;
  /// Model FLOPs (3 x the forward passes' dense math: no recomputation) per
  /// second per device, and that against the device's peak.
  double tflopsPerGpu = 0, mfu = 0;
  /// The largest part of the step: "compute", "bubble", "tp communication",
  /// "dp communication", "pipeline communication" or "optimizer".
  std::string limiter;
};

/// The step of |analysis| (the compile of |layout|) on |nodes| nodes of
/// |cluster| (nodes x gpusPerNode devices, the layout's dp x pp x tp ranks
/// numbered with tp fastest, as Strata places them). When the nodes have
/// fewer devices than the layout's ranks, every time is 0 and |limiter|
/// says "devices: ..." with both counts.
StepPrediction predictStep(const mlir::strata::CompileAnalysis &analysis,
                           const mlir::strata::ParallelLayout &layout,
                           const strata::frontend::ClusterDescription &cluster,
                           int64_t nodes,
                           const CalibrationProfile *profile = nullptr);

/// Dense-math FLOPs of one training step per rank as they run, recomputed
/// forward passes included, divided by |prediction|'s step time, in TFLOP/s.
/// Strata's full recomputation replays only what the backward pass reads
/// (not a layer's last GEMM), so for a GPT this is about 8% below eq. 3 of
/// Narayanan et al. 2021, which counts the whole forward pass twice.
double hardwareTflopsPerGpu(const mlir::strata::CompileAnalysis &analysis,
                            const StepPrediction &prediction);

/// The shape eq. 3 of Narayanan et al. 2021 counts FLOPs of.
struct PublishedGptShape {
  int64_t batch, seqLength, layers, hidden, vocab;
};

/// FLOPs of one training step of a GPT with full activation recomputation
/// as eq. 3 of Narayanan et al. 2021 counts them (and Megatron-LM 2021 ran
/// them): 96 B s l h^2 (1 + s / 6h + V / 16 l h). Published TFLOP/s are
/// these FLOPs over the measured step, so a prediction is compared with
/// them as these FLOPs over the predicted step.
double narayananStepFlops(const PublishedGptShape &shape);

} // namespace strata::tuner

#endif // STRATA_TUNER_COST_COST_MODEL_H
