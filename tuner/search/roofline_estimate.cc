//===- roofline_estimate.cc - a roofline step time, no calibration --------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "tuner/search/roofline_estimate.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace strata::tuner {
namespace {

using mlir::strata::CollectiveRecord;
using mlir::strata::CompileAnalysis;
using strata::frontend::ClusterDescription;
using Category = strata::planning::BufferCategory;

bool hasAxis(const CollectiveRecord &c, const char *axis) {
  return std::find(c.axes.begin(), c.axes.end(), axis) != c.axes.end();
}

/// Seconds to send |bytes| in |messages| messages over |link|.
double linkSeconds(double bytes, double messages,
                   const strata::frontend::LinkSpec &link) {
  if (bytes <= 0 && messages <= 0)
    return 0;
  return bytes / link.bandwidthBytesPerS + messages * link.latencyS;
}

} // namespace

StepPrediction
rooflineEstimate(const CompileAnalysis &analysis,
                 const mlir::strata::ParallelLayout &layout,
                 const ClusterDescription &cluster, int64_t nodes) {
  const double peak = cluster.deviceKind == strata::frontend::DeviceKind::Gpu
                          ? cluster.peakBf16FlopsPerS
                          : cluster.peakF32FlopsPerS;
  const int64_t devices = nodes * cluster.gpusPerNode;
  const int64_t tp = analysis.tp, pp = analysis.pp, dp = analysis.dp;
  const int64_t vp = std::max<int64_t>(1, analysis.chunks);
  const int64_t microBatches = std::max<int64_t>(1, analysis.microBatches);
  // Ranks are numbered dp, pp, tp (tp fastest): a group spans nodes when
  // its stride times its size passes a node.
  const auto &dpLink =
      tp * pp * dp > cluster.gpusPerNode ? cluster.interNode : cluster.intraNode;
  const auto &ppLink =
      tp * pp > cluster.gpusPerNode ? cluster.interNode : cluster.intraNode;
  const auto &tpLink =
      tp > cluster.gpusPerNode ? cluster.interNode : cluster.intraNode;

  StepPrediction worst;
  double totalFlops = 0;
  for (const mlir::strata::StageMemoryPlan &stage : analysis.stages) {
    const double flops = analysis.stepFlops(stage.stage);
    totalFlops += flops;
    int64_t layers = 0;
    for (const auto &chunk : stage.layers)
      layers += chunk.second;
    const double gemmFlops =
        flops / double(microBatches) / double(12 * std::max<int64_t>(1, layers));
    StepPrediction p;
    p.computeSeconds =
        flops / (peak * cluster.gemmEfficiencyAt(std::max(gemmFlops, 1.0)));
    double tpBytes = 0, tpMessages = 0, dpBytes = 0, dpMessages = 0,
           ppBytes = 0, ppMessages = 0;
    for (const CollectiveRecord &c : analysis.collectives) {
      if (c.stage != stage.stage || !c.inTrainingStep)
        continue;
      const double bytes = double(c.sentBytes) * double(c.callsPerStep);
      const double messages = double(c.count) * double(c.callsPerStep);
      if (c.kind == "send") {
        ppBytes += bytes;
        ppMessages += messages;
      } else if (hasAxis(c, "dp")) {
        dpBytes += bytes;
        dpMessages += c.groupSize > 1 ? messages : 0;
      } else if (hasAxis(c, "tp")) {
        tpBytes += bytes;
        tpMessages += c.groupSize > 1 ? messages : 0;
      }
    }
    p.tensorParallelCommSeconds = linkSeconds(tpBytes, tpMessages, tpLink);
    p.dataParallelExposedSeconds = linkSeconds(dpBytes, dpMessages, dpLink);
    p.pipelineCommSeconds = linkSeconds(ppBytes, ppMessages, ppLink);
    p.bubbleSeconds = p.computeSeconds * double(pp - 1) /
                      double(microBatches * vp);
    const double stateBytes = double(stage.peak(Category::Parameter) +
                                     stage.peak(Category::MainParameter) +
                                     stage.peak(Category::Gradient) +
                                     stage.peak(Category::OptimizerState));
    p.optimizerSeconds = 2 * stateBytes / (cluster.memoryBandwidthBytesPerS *
                                           cluster.elementwiseEfficiency);
    p.stepSeconds = p.computeSeconds + p.tensorParallelCommSeconds +
                    p.dataParallelExposedSeconds + p.pipelineCommSeconds +
                    p.bubbleSeconds + p.optimizerSeconds;
    if (p.stepSeconds > worst.stepSeconds)
      worst = p;
  }
  (void)layout;
  // Every stage's FLOPs run on tp x dp ranks; per device over the step.
  const double allFlops = totalFlops * double(tp * dp);
  worst.tflopsPerGpu =
      worst.stepSeconds > 0
          ? allFlops / double(devices) / worst.stepSeconds / 1e12
          : 0;
  worst.mfu = peak > 0 ? worst.tflopsPerGpu * 1e12 / peak : 0;
  const std::pair<double, const char *> terms[] = {
      {worst.computeSeconds, "compute"},
      {worst.tensorParallelCommSeconds, "tp communication"},
      {worst.dataParallelExposedSeconds, "dp communication"},
      {worst.pipelineCommSeconds, "pipeline communication"},
      {worst.bubbleSeconds, "bubble"},
      {worst.optimizerSeconds, "optimizer"}};
  worst.limiter = std::max_element(std::begin(terms), std::end(terms))->second;
  return worst;
}

} // namespace strata::tuner
