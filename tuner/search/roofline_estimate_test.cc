//===- roofline_estimate_test.cc - the roofline terms by hand -------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "tuner/search/roofline_estimate.h"

#include <gtest/gtest.h>

using namespace strata::tuner;
using namespace mlir::strata;

TEST(RooflineEstimate, TermsFollowTheFormulas) {
  strata::frontend::ClusterDescription cluster;
  cluster.gpusPerNode = 8;
  cluster.peakBf16FlopsPerS = 100e12;
  cluster.memoryBandwidthBytesPerS = 1e12;
  cluster.elementwiseEfficiency = 0.5;
  cluster.intraNode = {100e9, 0};
  cluster.interNode = {10e9, 0};
  cluster.gemmEfficiency = {{1.0, 0.5}};
  CompileAnalysis a;
  a.tp = 2;
  a.pp = 2;
  a.dp = 4; // 16 ranks: the dp group spans nodes
  a.microBatches = 4;
  for (int64_t s = 0; s < 2; ++s) {
    StageMemoryPlan plan;
    plan.stage = s;
    plan.layers = {{s * 2, 2}};
    plan.peakBytes[size_t(strata::planning::BufferCategory::Parameter)] =
        1'000'000'000;
    a.stages.push_back(plan);
    a.flops.push_back({s, "forward_backward", 50e12, 0, 4, true});
  }
  a.collectives.push_back({0, "forward_backward", "all_reduce", {"tp"}, 2, 1,
                           0, 1'000'000'000, 4, true});
  a.collectives.push_back({0, "apply", "reduce_grads (all_reduce)", {"dp"},
                           4, 1, 0, 2'000'000'000, 1, true});
  StepPrediction p = rooflineEstimate(a, ParallelLayout{}, cluster, 2);
  EXPECT_DOUBLE_EQ(p.computeSeconds, 200e12 / (100e12 * 0.5));      // 4 s
  EXPECT_DOUBLE_EQ(p.tensorParallelCommSeconds, 4e9 / 100e9);        // 0.04
  EXPECT_DOUBLE_EQ(p.dataParallelExposedSeconds, 2e9 / 10e9);        // 0.2
  EXPECT_DOUBLE_EQ(p.bubbleSeconds, 4.0 * 1 / 4);                    // 1 s
  EXPECT_DOUBLE_EQ(p.optimizerSeconds, 2 * 1e9 / (1e12 * 0.5));      // 4 ms
  EXPECT_DOUBLE_EQ(p.stepSeconds, 4 + 0.04 + 0.2 + 1 + 0.004);
  EXPECT_EQ(p.limiter, "compute");
  // 2 stages x 200 TFLOP x tp 2 x dp 4 over 16 devices.
  EXPECT_NEAR(p.tflopsPerGpu, 2 * 200.0 * 8 / 16 / p.stepSeconds, 1e-9);
  EXPECT_NEAR(p.mfu, p.tflopsPerGpu / 100, 1e-12);
}
