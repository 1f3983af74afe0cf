//===- cost_model_test.cc - step predictions of hand-made analyses --------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Analyses written by hand (no compile), so every expected time follows
// from the cluster's constants in a line of arithmetic.
//
//===----------------------------------------------------------------------===//
#include "tuner/cost/cost_model.h"

#include <gtest/gtest.h>

namespace strata::tuner {
namespace {

using mlir::strata::CollectiveRecord;
using mlir::strata::CompileAnalysis;
using mlir::strata::FunctionFlopsRecord;

/// Flat efficiencies, so a GEMM of any size runs at half of 100 TFLOP/s.
strata::frontend::ClusterDescription flatCluster() {
  strata::frontend::ClusterDescription c;
  c.gpusPerNode = 8;
  c.peakBf16FlopsPerS = 100e12;
  c.memoryBandwidthBytesPerS = 1e12;
  c.intraNode = {100e9, 0};
  c.interNode = {10e9, 0};
  c.gemmEfficiency = {{1e9, 0.5}};
  c.attentionEfficiency = 0.25;
  c.elementwiseEfficiency = 0.5;
  return c;
}

FunctionFlopsRecord function(int64_t stage, std::string name, double matmul,
                             int64_t calls) {
  FunctionFlopsRecord f;
  f.stage = stage;
  f.function = std::move(name);
  f.matmulFlops = matmul;
  f.matmulCallFlops = {matmul / 2, matmul / 2};
  f.callsPerStep = calls;
  return f;
}

TEST(CostModel, OneRankIsItsComputeAndOptimizer) {
  CompileAnalysis a;
  a.microBatches = 4;
  a.flops.push_back(function(0, "forward_backward", 150e12, 4));
  FunctionFlopsRecord eval = function(0, "forward", 50e12, 1);
  eval.inTrainingStep = false;
  a.flops.push_back(eval);
  a.flops.back().attentionFlops = 0;
  a.flops[0].memoryBoundBytes = 0.5e12; // 1 s at half of 1 TB/s
  a.stages.resize(1);
  a.stages[0].peakBytes[size_t(strata::planning::BufferCategory::Parameter)] =
      int64_t(0.25e12);
  StepPrediction p = predictStep(a, {}, flatCluster(), 1);
  // 4 x (150e12 / 50e12 + 1 s); optimizer 2 x 0.25e12 bytes at 0.5e12 B/s.
  EXPECT_DOUBLE_EQ(p.computeSeconds, 16.0);
  EXPECT_DOUBLE_EQ(p.optimizerSeconds, 1.0);
  EXPECT_DOUBLE_EQ(p.stepSeconds, 17.0);
  EXPECT_DOUBLE_EQ(p.bubbleSeconds, 0.0);
  // Model FLOPs: 3 x the evaluation forward per micro-batch.
  EXPECT_DOUBLE_EQ(p.tflopsPerGpu, 4 * 150.0 / 17.0);
  EXPECT_DOUBLE_EQ(p.mfu, p.tflopsPerGpu / 100.0);
  EXPECT_EQ(p.limiter, "compute");
}

TEST(CostModel, PipelineBubbleAndExposedDataParallelReduction) {
  CompileAnalysis a;
  a.dp = 2;
  a.pp = 4;
  a.tp = 8; // every stage fills a node: sends and dp cross nodes
  a.microBatches = 8;
  for (int64_t s = 0; s < 4; ++s) {
    a.flops.push_back(function(s, "forward_step.0", 50e12, 8));   // 1 s
    a.flops.push_back(function(s, "backward_step.0", 100e12, 8)); // 2 s
    CollectiveRecord send;
    send.stage = s;
    send.function = "forward_step.0";
    send.kind = "send";
    send.count = 1;
    send.sentBytes = int64_t(1e9); // 0.1 s over the 10 GB/s NIC
    send.callsPerStep = 8;
    a.collectives.push_back(send);
    CollectiveRecord grads;
    grads.stage = s;
    grads.function = "reduce_gradients";
    grads.kind = "reduce_grads (all_reduce)";
    grads.axes = {"dp"};
    grads.groupSize = 2;
    grads.count = 1;
    grads.sentBytes = int64_t(20e9); // 2 s
    a.collectives.push_back(grads);
  }
  a.stages.resize(4);
  for (int64_t s = 0; s < 4; ++s)
    a.stages[s].stage = s;
  StepPrediction p = predictStep(a, {}, flatCluster(), 8);
  EXPECT_DOUBLE_EQ(p.computeSeconds, 8 * 3.0);
  EXPECT_NEAR(p.bubbleSeconds, 3 * 3.0, 1e-9); // (p - 1) (tf + tb)
  // 1F1B leaves a stage no slack: stage s + 1's next forward waits for
  // stage s's backward and forward, so every micro-batch's hop (0.1 s) lies
  // on the critical path.
  EXPECT_NEAR(p.pipelineCommSeconds, 8 * 0.1, 1e-9);
  EXPECT_NEAR(p.dataParallelExposedSeconds, 2.0, 1e-9);
  EXPECT_NEAR(p.stepSeconds, 24 + 9 + 0.8 + 2, 1e-9);
  EXPECT_EQ(p.limiter, "compute");
  EXPECT_NEAR(p.tflopsPerGpu, 8 * 150.0 / p.stepSeconds, 1e-9);
}

TEST(CostModel, TensorParallelCollectivesAddToEveryPass) {
  CompileAnalysis a;
  a.tp = 8;
  a.microBatches = 2;
  a.flops.push_back(function(0, "forward_backward", 50e12, 2));
  CollectiveRecord ar;
  ar.function = "forward_backward";
  ar.kind = "all_reduce";
  ar.axes = {"tp"};
  ar.groupSize = 8;
  ar.count = 4;
  ar.sentBytes = int64_t(300e9); // 3 s on NVLink
  ar.callsPerStep = 2;
  a.collectives.push_back(ar);
  a.stages.resize(1);
  StepPrediction p = predictStep(a, {}, flatCluster(), 1);
  EXPECT_DOUBLE_EQ(p.computeSeconds, 2.0);
  EXPECT_DOUBLE_EQ(p.tensorParallelCommSeconds, 6.0);
  EXPECT_EQ(p.limiter, "tp communication");
}

TEST(CostModel, ALayoutLargerThanTheNodesIsNamed) {
  CompileAnalysis a;
  a.dp = 4;
  a.tp = 8;
  a.flops.push_back(function(0, "forward_backward", 50e12, 1));
  a.stages.resize(1);
  StepPrediction p = predictStep(a, {}, flatCluster(), 2);
  EXPECT_EQ(p.stepSeconds, 0.0);
  EXPECT_EQ(p.limiter, "devices: the layout needs 32, 2 nodes have 16");
  EXPECT_GT(predictStep(a, {}, flatCluster(), 4).stepSeconds, 0.0);
}

} // namespace
} // namespace strata::tuner
