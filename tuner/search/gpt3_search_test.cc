//===- gpt3_search_test.cc - GPT-3 175B's best layout on 1024 A100s -------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Issue 13: for GPT-3 175B on 128 DGX A100 nodes with global batch 1536,
// Narayanan et al. 2021 (arXiv 2104.04473) measured 140 TFLOP/s per GPU
// with Megatron-LM (tp 8, pp 16, full recomputation, micro-batch 1, no
// sequence parallelism, which came in 2022). The search over the paper's
// settings (micro-batch 1, no interleaving, full recomputation, no
// distributed optimizer; tp, pp and sequence parallelism searched) with the
// DGX A100 preset predicts that layout within 15% of 140, counting FLOPs as
// the paper does (eq. 3 over the predicted step). The tuner's best is
// further above 140 by what the model says it gains over the published
// layout (sequence parallelism, a smaller tp); docs/tuning.md explains the
// difference, and the gain is bounded here so that it stays explained.
//
//===----------------------------------------------------------------------===//
#include "tuner/search/ranking.h"
#include "tuner/search/tune_command.h"

#include <gtest/gtest.h>

#include <sstream>

namespace strata::tuner {
namespace {

TEST(Gpt3Search, PublishedLayoutWithinFifteenPercentAndTheBestExplained) {
  TuneOptions options;
  options.modelPath = std::string(STRATA_SOURCE_DIR) +
                      "/examples/gpt3-175b.yaml";
  options.cluster = "dgx-a100-80gb";
  options.nodes = 128;
  options.globalBatch = 1536;
  options.maxMicroBatchSize = 1;
  options.maxVirtualStages = 1;
  options.recomputes = {"full"};
  options.distributedOptimizer = "off";
  std::ostringstream err;
  std::optional<SearchSetup> setup = prepareSearch(options, err);
  ASSERT_TRUE(setup.has_value()) << err.str();
  const std::vector<Candidate> candidates = enumerateCandidates(setup->space);
  ASSERT_FALSE(candidates.empty());
  MemoryEvaluator evaluator(options.modelPath, {}, 2, "cuda");
  const std::vector<EvaluatedMemory> memory =
      evaluator.evaluate(candidates, setup->space.globalBatch);
  RankingInput in;
  in.cluster = &setup->cluster;
  in.nodes = setup->nodes;
  in.globalBatch = setup->space.globalBatch;
  in.seqLength = setup->model.seqLength;
  const std::vector<RankedCandidate> ranked =
      rankCandidates(candidates, memory, in);
  ASSERT_TRUE(ranked.front().feasible);
  // Published TFLOP/s are eq. 3's FLOPs over the measured step.
  const double paperFlopsPerGpu =
      narayananStepFlops({1536, 2048, 96, 12288, 51200}) / 1024.0;
  auto paperTflops = [&](const RankedCandidate &r) {
    return paperFlopsPerGpu / r.prediction.stepSeconds / 1e12;
  };
  const RankedCandidate &best = ranked.front();
  // As Megatron-LM 2021 ran it: without sequence parallelism (2022).
  const RankedCandidate *published = nullptr;
  for (const RankedCandidate &r : ranked)
    if (r.feasible && r.candidate.tp == 8 && r.candidate.pp == 16 &&
        !r.candidate.sequenceParallel)
      published = &r;
  ASSERT_NE(published, nullptr) << "tp 8 pp 16 is not feasible";
  std::printf("best %s: %.1f TFLOP/s per GPU as eq. 3 counts (%.1f as run); "
              "published layout %s: %.1f; published 140\n",
              best.candidate.label().c_str(), paperTflops(best),
              best.hardwareTflopsPerGpu, published->candidate.label().c_str(),
              paperTflops(*published));
  EXPECT_NEAR(paperTflops(*published), 140.0, 0.15 * 140.0);
  EXPECT_GE(paperTflops(best), paperTflops(*published));
  EXPECT_LE(paperTflops(best), 1.10 * paperTflops(*published));
}

} // namespace
} // namespace strata::tuner
