//===- cost_model.cc - the predicted step time of a layout ----------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "tuner/cost/cost_model.h"

#include "tuner/cost/link_model.h"
#include "tuner/cost/pipeline_simulation.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <utility>

namespace strata::tuner {

namespace {

using mlir::strata::CollectiveRecord;
using mlir::strata::CompileAnalysis;
using mlir::strata::FunctionFlopsRecord;
using strata::frontend::ClusterDescription;
using strata::frontend::DeviceKind;
using strata::planning::BufferCategory;

/// Which pass of a micro-batch a function is, and of which chunk.
struct PassKind {
  enum Kind { Forward, Backward, ForwardBackward, Other } kind = Other;
  int chunk = 0;
};

PassKind passOf(const std::string &function) {
  auto chunkAfter = [&](size_t prefix) {
    return std::atoi(function.c_str() + prefix);
  };
  if (function == "forward_backward")
    return {PassKind::ForwardBackward, 0};
  if (function.rfind("forward_step.", 0) == 0)
    return {PassKind::Forward, chunkAfter(13)};
  if (function.rfind("backward_step.", 0) == 0)
    return {PassKind::Backward, chunkAfter(14)};
  return {};
}

bool hasAxis(const CollectiveRecord &c, const char *axis) {
  return std::find(c.axes.begin(), c.axes.end(), axis) != c.axes.end();
}

/// Seconds of one call of a function's dense math and bandwidth-bound ops:
/// from the profile where it prices a call, else from the cluster's curves.
double computeSeconds(const FunctionFlopsRecord &f,
                      const ClusterDescription &cluster, double peak,
                      const CalibrationProfile *profile) {
  double seconds = 0;
  if (!profile || f.gemms.size() != f.matmulCallFlops.size()) {
    for (double flops : f.matmulCallFlops)
      seconds += flops / (peak * cluster.gemmEfficiencyAt(flops));
  } else {
    for (const mlir::strata::GemmCall &g : f.gemms)
      seconds += profile->gemmSeconds(g).value_or(
          g.flops() / (peak * cluster.gemmEfficiencyAt(g.flops())));
  }
  std::optional<double> attention;
  if (profile && !f.attentionCalls.empty()) {
    attention = 0.0;
    for (const mlir::strata::AttentionCall &a : f.attentionCalls) {
      std::optional<double> call = profile->attentionSeconds(a);
      if (!call) {
        attention.reset();
        break;
      }
      *attention += *call;
    }
  }
  seconds += attention.value_or(f.attentionFlops /
                                (peak * cluster.attentionEfficiency));
  // Bandwidth-bound ops by size (a hand-made analysis may give only the
  // total: one op of that size), less the cross-entropies priced above.
  std::vector<double> bySize = f.memoryBoundBytesBySize;
  if (bySize.empty() && f.memoryBoundBytes >= 1) {
    bySize.assign(size_t(std::log2(f.memoryBoundBytes)) + 1, 0.0);
    bySize.back() = f.memoryBoundBytes;
  }
  if (profile)
    for (const mlir::strata::CrossEntropyCall &x : f.crossEntropyCalls)
      if (std::optional<double> call = profile->crossEntropySeconds(x)) {
        seconds += *call;
        if (x.bytes >= 1 && size_t(std::log2(x.bytes)) < bySize.size())
          bySize[size_t(std::log2(x.bytes))] -= x.bytes;
      }
  for (size_t b = 0; b < bySize.size(); ++b) {
    std::optional<double> measured =
        profile ? profile->elementwiseBytesPerS(std::exp2(double(b) + 0.5))
                : std::nullopt;
    seconds += std::max(bySize[b], 0.0) /
               measured.value_or(cluster.memoryBandwidthBytesPerS *
                                 cluster.elementwiseEfficiency);
  }
  return seconds;
}

/// Per stage and chunk, one micro-batch's seconds of a kind of pass.
using Grid = std::vector<std::vector<double>>;

} // namespace

StepPrediction predictStep(const CompileAnalysis &analysis,
                           const mlir::strata::ParallelLayout &layout,
                           const ClusterDescription &described,
                           int64_t nodes, const CalibrationProfile *profile) {
  (void)layout; // the analysis holds the layout as compiled
  // The measured link between a node's ranks replaces the datasheet's.
  ClusterDescription cluster = described;
  if (profile)
    if (std::optional<CalibrationProfile::LinkFit> link =
            profile->allReduceLink())
      cluster.intraNode = {link->bandwidthBytesPerS, link->latencyS};
  const int64_t ranks = analysis.dp * analysis.pp * analysis.tp;
  if (nodes * cluster.gpusPerNode < ranks) {
    StepPrediction none;
    none.limiter = "devices: the layout needs " + std::to_string(ranks) + ", " +
                   std::to_string(nodes) + " nodes have " +
                   std::to_string(nodes * cluster.gpusPerNode);
    return none;
  }
  const int stages = int(std::max<int64_t>(analysis.pp, 1));
  const int chunks = int(std::max<int64_t>(analysis.chunks, 1));
  const MeshPlacement mesh{analysis.dp, analysis.pp, analysis.tp,
                           cluster.gpusPerNode};
  const double peak = cluster.deviceKind == DeviceKind::Gpu
                          ? cluster.peakBf16FlopsPerS
                          : cluster.peakF32FlopsPerS;

  const Grid zero(stages, std::vector<double>(chunks, 0.0));
  PipelineTimes times{zero, zero, zero, zero};
  Grid forwardComm = zero, backwardComm = zero;
  std::vector<double> afterDp(stages, 0.0), afterOther(stages, 0.0);
  std::vector<double> modelFlops(stages, 0.0),
      forwardBackwardFlops(stages, 0.0), evalForwardFlops(stages, 0.0);

  for (const FunctionFlopsRecord &f : analysis.flops) {
    if (f.stage < 0 || f.stage >= stages)
      continue;
    const int s = int(f.stage);
    if (!f.inTrainingStep) {
      if (f.function == "forward")
        evalForwardFlops[s] += f.matmulFlops + f.attentionFlops;
      continue;
    }
    const PassKind pass = passOf(f.function);
    if (pass.kind == PassKind::Other || pass.chunk >= chunks)
      continue;
    const double seconds = computeSeconds(f, cluster, peak, profile);
    if (pass.kind == PassKind::Backward) {
      times.backward[s][pass.chunk] += seconds;
    } else {
      times.forward[s][pass.chunk] += seconds;
    }
    if (pass.kind == PassKind::Forward)
      modelFlops[s] +=
          3.0 * (f.matmulFlops + f.attentionFlops) * double(f.callsPerStep);
    if (pass.kind == PassKind::ForwardBackward)
      forwardBackwardFlops[s] +=
          (f.matmulFlops + f.attentionFlops) * double(f.callsPerStep);
  }
  // Without a pipeline the step is one forward_backward function: its
  // forward is the evaluation forward's math (same micro-batch shapes).
  for (int s = 0; s < stages; ++s)
    if (modelFlops[s] == 0 && forwardBackwardFlops[s] > 0)
      modelFlops[s] =
          evalForwardFlops[s] > 0
              ? 3.0 * evalForwardFlops[s] * double(analysis.microBatches)
              : forwardBackwardFlops[s];

  for (const CollectiveRecord &c : analysis.collectives) {
    if (!c.inTrainingStep || c.stage < 0 || c.stage >= stages)
      continue;
    const int s = int(c.stage);
    const PassKind pass = passOf(c.function);
    if (pass.kind == PassKind::Other || pass.chunk >= chunks) {
      const double seconds =
          collectiveSeconds(c, groupLink(mesh, c.axes, cluster));
      (hasAxis(c, "dp") ? afterDp : afterOther)[s] +=
          seconds * double(c.callsPerStep);
      continue;
    }
    if (c.kind == "recv")
      continue; // priced at the sender
    if (c.kind == "send") {
      // Forward passes send to the next stage, backward to the previous.
      const bool forward = pass.kind != PassKind::Backward;
      const int peer = (s + (forward ? 1 : stages - 1)) % stages;
      const double seconds =
          collectiveSeconds(c, pipelineLink(mesh, s, peer, cluster));
      (forward ? times.forwardSend : times.backwardSend)[s][pass.chunk] +=
          seconds;
      continue;
    }
    const double seconds =
        collectiveSeconds(c, groupLink(mesh, c.axes, cluster));
    (pass.kind == PassKind::Backward ? backwardComm
                                     : forwardComm)[s][pass.chunk] += seconds;
  }

  // Compute and collectives of a pass run one after the other.
  std::vector<double> stageCompute(stages, 0.0), stageComm(stages, 0.0);
  const double m = double(analysis.microBatches);
  for (int s = 0; s < stages; ++s)
    for (int c = 0; c < chunks; ++c) {
      stageCompute[s] += m * (times.forward[s][c] + times.backward[s][c]);
      stageComm[s] += m * (forwardComm[s][c] + backwardComm[s][c]);
      times.forward[s][c] += forwardComm[s][c];
      times.backward[s][c] += backwardComm[s][c];
    }

  StepPrediction p;
  PipelineTimes noSends = times;
  noSends.forwardSend = noSends.backwardSend = zero;
  Checked<PipelineSimulation> withSends =
      simulatePipeline(stages, chunks, analysis.microBatches, times);
  Checked<PipelineSimulation> withoutSends =
      simulatePipeline(stages, chunks, analysis.microBatches, noSends);
  if (!withSends.isOk() || !withoutSends.isOk()) {
    p.limiter = "invalid schedule: " +
                (withSends.isOk() ? withoutSends.error() : withSends.error());
    return p;
  }

  // The optimizer reads the parameters, gradients, state and main
  // parameters and writes all but the gradients back.
  std::vector<double> optimizer(stages, 0.0);
  for (const mlir::strata::StageMemoryPlan &plan : analysis.stages) {
    if (plan.stage < 0 || plan.stage >= stages)
      continue;
    const double updated = double(plan.peak(BufferCategory::Parameter) +
                                  plan.peak(BufferCategory::OptimizerState) +
                                  plan.peak(BufferCategory::MainParameter));
    const double bytes =
        2.0 * updated + double(plan.peak(BufferCategory::Gradient));
    // Streamed from memory: the rate measured at the largest sizes.
    std::optional<double> measured =
        profile ? profile->elementwiseBytesPerS(bytes) : std::nullopt;
    const double rate = measured.value_or(cluster.memoryBandwidthBytesPerS *
                                          cluster.elementwiseEfficiency);
    optimizer[plan.stage] = bytes / rate + afterOther[plan.stage];
  }

  // The step ends when the last stage has reduced its gradients and stepped.
  int last = 0;
  double step = 0;
  for (int s = 0; s < stages; ++s) {
    const double end = withSends->finishSeconds[s] + afterDp[s] + optimizer[s];
    if (end > step)
      step = end, last = s;
  }
  const int busiest = withoutSends->busiestStage;
  p.computeSeconds = stageCompute[busiest];
  p.tensorParallelCommSeconds = stageComm[busiest];
  p.bubbleSeconds = withoutSends->bubbleSeconds;
  p.pipelineCommSeconds =
      withSends->makespanSeconds - withoutSends->makespanSeconds;
  const double after = step - withSends->makespanSeconds;
  p.dataParallelExposedSeconds = std::min(after, afterDp[last]);
  p.optimizerSeconds = after - p.dataParallelExposedSeconds;
  p.stepSeconds = p.computeSeconds + p.tensorParallelCommSeconds +
                  p.bubbleSeconds + p.pipelineCommSeconds +
                  p.dataParallelExposedSeconds + p.optimizerSeconds;

  double flops = 0;
  for (double f : modelFlops)
    flops += f;
  flops /= stages; // every stage has dp x tp of the devices
  p.tflopsPerGpu = p.stepSeconds > 0 ? flops / p.stepSeconds / 1e12 : 0;
  p.mfu = p.tflopsPerGpu * 1e12 / peak;

  const std::pair<double, const char *> parts[] = {
      {p.computeSeconds, "compute"},
      {p.bubbleSeconds, "bubble"},
      {p.tensorParallelCommSeconds, "tp communication"},
      {p.dataParallelExposedSeconds, "dp communication"},
      {p.pipelineCommSeconds, "pipeline communication"},
      {p.optimizerSeconds, "optimizer"}};
  p.limiter = std::max_element(std::begin(parts), std::end(parts))->second;
  return p;
}

double hardwareTflopsPerGpu(const CompileAnalysis &analysis,
                            const StepPrediction &prediction) {
  if (prediction.stepSeconds <= 0 || analysis.pp < 1)
    return 0;
  double flops = 0;
  for (int64_t s = 0; s < analysis.pp; ++s)
    flops += analysis.stepFlops(s);
  return flops / double(analysis.pp) / prediction.stepSeconds / 1e12;
}

double narayananStepFlops(const PublishedGptShape &shape) {
  const double b = double(shape.batch), s = double(shape.seqLength),
               l = double(shape.layers), h = double(shape.hidden),
               v = double(shape.vocab);
  return 96.0 * b * s * l * h * h *
         (1.0 + s / (6.0 * h) + v / (16.0 * l * h));
}

} // namespace strata::tuner
