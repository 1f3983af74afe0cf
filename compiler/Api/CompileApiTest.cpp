//===- CompileApiTest.cpp - the compile library against strata-compile ----===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The library's memory must be strata-compile --report=memory's, byte for
// byte, for every stage of several layouts of a test model: the command is
// run with the same overrides and its report parsed.
//
//===----------------------------------------------------------------------===//
#include "compiler/Api/CompileApi.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <regex>
#include <sstream>

using namespace mlir::strata;
namespace planning = ::strata::planning;

namespace {

const std::string kTinyGpt = std::string(STRATA_SOURCE_DIR) +
                             "/examples/tiny-gpt.yaml";

/// Per stage (in report order): "arena" and each category's bytes.
using ReportedStages = std::vector<std::map<std::string, int64_t>>;

std::string run(const std::string &command) {
  std::string out;
  FILE *pipe = popen(command.c_str(), "r");
  if (!pipe)
    return out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0)
    out.append(buffer, n);
  EXPECT_EQ(pclose(pipe), 0) << command << "\n" << out;
  return out;
}

ReportedStages reportMemory(const std::vector<std::string> &overrides) {
  std::string command =
      std::string(STRATA_COMPILE_PATH) + " " + kTinyGpt + " --report=memory";
  for (const std::string &o : overrides)
    command += " " + o;
  std::istringstream report(run(command + " 2>&1"));
  ReportedStages stages;
  const std::regex plan("^memory plan of ");
  const std::regex line("^  ([a-z_]+) +([0-9]+) B ");
  std::string text;
  while (std::getline(report, text)) {
    std::smatch match;
    if (std::regex_search(text, plan))
      stages.emplace_back();
    else if (!stages.empty() && std::regex_search(text, match, line))
      stages.back()[match[1]] = std::stoll(match[2]);
  }
  return stages;
}

void expectSameMemory(const ParallelLayout &layout) {
  CompileSession session;
  CompileRequest request;
  request.descriptionPath = kTinyGpt;
  request.layout = layout;
  ::strata::Checked<CompileAnalysis> analysis = session.analyze(request);
  ASSERT_TRUE(analysis.isOk()) << analysis.error();
  const ReportedStages reported = reportMemory(layoutOverrides(layout));
  ASSERT_EQ(reported.size(), analysis->stages.size());
  for (size_t s = 0; s < reported.size(); ++s) {
    const StageMemoryPlan &stage = analysis->stages[s];
    EXPECT_EQ(reported[s].at("arena"), stage.arenaBytes) << "stage " << s;
    for (planning::BufferCategory category : planning::kAllBufferCategories) {
      const std::string name = planning::stringifyBufferCategory(category);
      ASSERT_TRUE(reported[s].count(name)) << name;
      EXPECT_EQ(reported[s].at(name), stage.peak(category))
          << "stage " << s << " " << name;
    }
  }
}

TEST(CompileApiTest, MemoryEqualsReportOfOneRank) {
  expectSameMemory(ParallelLayout{});
}

TEST(CompileApiTest, MemoryEqualsReportUnderTensorAndSequenceParallelism) {
  ParallelLayout layout;
  layout.tp = 2;
  layout.sequenceParallel = true;
  layout.recompute = RecomputeKind::Selective;
  expectSameMemory(layout);
}

TEST(CompileApiTest, MemoryEqualsReportOfEachPipelineStage) {
  ParallelLayout layout;
  layout.pp = 2;
  layout.dp = 2;
  layout.microBatchSize = 2;
  layout.globalBatchSize = 16;
  layout.distributedOptimizer = true;
  expectSameMemory(layout);
}

TEST(CompileApiTest, MemoryEqualsReportOfInterleavedStagesWithFullRecompute) {
  ParallelLayout layout;
  layout.tp = 2;
  layout.pp = 2;
  layout.vp = 2;
  layout.microBatchSize = 2;
  layout.globalBatchSize = 8;
  layout.recompute = RecomputeKind::Full;
  layout.recomputeLayers = 1;
  expectSameMemory(layout);
}

TEST(CompileApiTest, ReportsTheMeshCollectivesAndFlops) {
  CompileSession session;
  CompileRequest request;
  request.descriptionPath = kTinyGpt;
  request.layout.tp = 2;
  request.layout.pp = 2;
  request.layout.microBatchSize = 2;
  request.layout.globalBatchSize = 8;
  ::strata::Checked<CompileAnalysis> analysis = session.analyze(request);
  ASSERT_TRUE(analysis.isOk()) << analysis.error();
  EXPECT_EQ(analysis->tp, 2);
  EXPECT_EQ(analysis->pp, 2);
  EXPECT_EQ(analysis->dp, 1);
  EXPECT_EQ(analysis->microBatches, 4);
  ASSERT_EQ(analysis->stages.size(), 2u);
  // Tensor parallelism all-reduces over tp in the steps; the stages pass
  // activations forward and gradients back.
  bool tpAllReduce = false, send = false;
  for (const CollectiveRecord &c : analysis->collectives) {
    if (c.kind == "all_reduce" && c.axes == std::vector<std::string>{"tp"} &&
        c.function.rfind("forward_step.", 0) == 0) {
      tpAllReduce = true;
      EXPECT_EQ(c.groupSize, 2);
      EXPECT_EQ(c.callsPerStep, 4);
      EXPECT_GT(c.payloadBytes, 0);
    }
    send |= c.kind == "send";
  }
  EXPECT_TRUE(tpAllReduce);
  EXPECT_TRUE(send);
  // The dense math of a training step is about 3x the forward's (forward,
  // and two products per matmul backward): 6 N tokens for the matmuls.
  // Tiny GPT: 4 layers of hidden 128, FFN 512, GPT-2's vocabulary of
  // about 50k (padded; tied), 8 sequences of 128 tokens, split over tp = 2
  // ranks. The padding is within 1%.
  const double layerParameters = 4.0 * 128 * 128 + 2.0 * 128 * 512;
  const double tokens = 8 * 128;
  const double matmul = 6.0 * tokens * (4 * layerParameters + 50304.0 * 128);
  double rankMatmul = 0;
  for (const FunctionFlopsRecord &f : analysis->flops)
    if (f.inTrainingStep)
      rankMatmul += f.matmulFlops * double(f.callsPerStep);
  EXPECT_NEAR(rankMatmul, matmul / 2, matmul / 2 * 0.01);
  EXPECT_GT(analysis->stepFlops(0), 0);
  EXPECT_GT(analysis->stepFlops(1), analysis->stepFlops(0))
      << "the last stage holds the output layer";
}

// The sized kernel calls the tuner prices from a calibration profile:
// tiny GPT (hidden 128, FFN 512, 4 heads, sequence 128)
// at micro-batch 2 over tp 2, so each GEMM has m = 256 rows.
TEST(CompileApiTest, ReportsTheSizesOfEachKernelCall) {
  CompileSession session;
  CompileRequest request;
  request.descriptionPath = kTinyGpt;
  request.layout.tp = 2;
  request.layout.microBatchSize = 2;
  request.layout.globalBatchSize = 2;
  ::strata::Checked<CompileAnalysis> analysis = session.analyze(request);
  ASSERT_TRUE(analysis.isOk()) << analysis.error();
  const FunctionFlopsRecord *step = nullptr;
  for (const FunctionFlopsRecord &f : analysis->flops)
    if (f.function == "forward_backward")
      step = &f;
  ASSERT_NE(step, nullptr);
  // Every contraction's sizes give its FLOPs.
  ASSERT_EQ(step->gemms.size(), step->matmulCallFlops.size());
  for (size_t i = 0; i < step->gemms.size(); ++i)
    EXPECT_NEAR(step->gemms[i].flops(), step->matmulCallFlops[i],
                1e-9 * step->matmulCallFlops[i]);
  // The column-parallel FFN GEMM: y[256, 512 / 2] = x[256, 128] w^T, and
  // its gradients at the same m, n, k.
  int ffnUp[3] = {0, 0, 0};
  for (const GemmCall &g : step->gemms)
    if (g.m == 256 && g.n == 256 && g.k == 128)
      ++ffnUp[g.kind];
  EXPECT_EQ(ffnUp[GemmCall::Matmul], 4); // one per layer
  EXPECT_EQ(ffnUp[GemmCall::GradInput], 4);
  EXPECT_EQ(ffnUp[GemmCall::GradWeight], 4);
  // Causal attention over 2 of the 4 heads, forward and backward.
  ASSERT_EQ(step->attentionCalls.size(), 8u);
  const AttentionCall &a = step->attentionCalls.front();
  EXPECT_EQ(a.batch, 2);
  EXPECT_EQ(a.querySeq, 128);
  EXPECT_EQ(a.keySeq, 128);
  EXPECT_EQ(a.heads, 2);
  EXPECT_EQ(a.headDim, 32);
  EXPECT_TRUE(a.causal);
  EXPECT_FALSE(a.backward);
  EXPECT_TRUE(step->attentionCalls.back().backward);
  // The bandwidth-bound bytes by op size add up to their total.
  double bySize = 0;
  for (double bytes : step->memoryBoundBytesBySize)
    bySize += bytes;
  EXPECT_NEAR(bySize, step->memoryBoundBytes, 1e-9 * step->memoryBoundBytes);
  // The vocabulary-parallel loss over this rank's half of the vocabulary
  // (50257 padded to a multiple of 128 x tp: 50432).
  ASSERT_EQ(step->crossEntropyCalls.size(), 2u);
  for (const CrossEntropyCall &x : step->crossEntropyCalls) {
    EXPECT_EQ(x.rows, 256);
    EXPECT_EQ(x.vocab, 50432 / 2);
    EXPECT_GT(x.bytes, 0);
    EXPECT_LE(x.bytes, step->memoryBoundBytes);
  }
}

TEST(CompileApiTest, BadLayoutIsAnErrorNamingTheKey) {
  CompileSession session;
  CompileRequest request;
  request.descriptionPath = kTinyGpt;
  request.layout.tp = 3;
  ::strata::Checked<CompileAnalysis> analysis = session.analyze(request);
  ASSERT_FALSE(analysis.isOk());
  EXPECT_NE(analysis.error().find("tensor_model_parallel_size"),
            std::string::npos)
      << analysis.error();
}

TEST(CompileApiTest, LayoutOverridesAreStrataCompilesKeys) {
  ParallelLayout layout;
  layout.tp = 8;
  layout.pp = 4;
  layout.vp = 1;
  layout.dp = 2;
  layout.microBatchSize = 1;
  layout.sequenceParallel = true;
  layout.recompute = RecomputeKind::Full;
  layout.recomputeLayers = 2;
  layout.distributedOptimizer = true;
  EXPECT_EQ(layoutOverrides(layout),
            (std::vector<std::string>{
                "model.tensor_model_parallel_size=8",
                "model.pipeline_model_parallel_size=4",
                "model.virtual_pipeline_model_parallel_size=null",
                "trainer.devices=64", "trainer.num_nodes=1",
                "model.micro_batch_size=1", "model.sequence_parallel=true",
                "model.activations_checkpoint_granularity=full",
                "model.activations_checkpoint_method=uniform",
                "model.activations_checkpoint_num_layers=2",
                "model.optim.name=distributed_fused_adam"}));
}

} // namespace
