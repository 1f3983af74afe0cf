//===- StageBalancerTest.cpp - layers onto pipeline stages ----------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Partitioning/StageBalancer.h"

#include <gtest/gtest.h>

#include <numeric>

using namespace strata::partitioning;

namespace {

PipelineCosts uniform(int layers, double first = 0.0, double last = 0.0) {
  PipelineCosts costs;
  costs.layers.assign(layers, 1.0);
  costs.first = first;
  costs.last = last;
  return costs;
}

std::vector<int64_t> counts(const StagePlan &plan) { return plan.layerCount; }

TEST(StageBalancer, UniformLayersSplitEvenly) {
  std::string error;
  auto plan = balanceStages(uniform(8), 4, 1, &error);
  ASSERT_TRUE(plan) << error;
  EXPECT_EQ(counts(*plan), (std::vector<int64_t>{2, 2, 2, 2}));
  EXPECT_EQ(plan->firstLayer, (std::vector<int64_t>{0, 2, 4, 6}));
  EXPECT_DOUBLE_EQ(plan->maxCost(), 2.0);
}

TEST(StageBalancer, HeavyHeadMovesLayersOffTheLastStage) {
  // An output layer as costly as two layers: the last stage takes fewer.
  auto plan = balanceStages(uniform(10, 0.0, 2.0), 4, 1, nullptr);
  ASSERT_TRUE(plan);
  EXPECT_EQ(counts(*plan), (std::vector<int64_t>{3, 3, 3, 1}));
  EXPECT_DOUBLE_EQ(plan->maxCost(), 3.0);
}

TEST(StageBalancer, Gpt3HeadKeepsTheUniformSplit) {
  // 96 layers on 16 stages, a head a third of a layer: 6 layers each is
  // already optimal (the last stage cannot shed a layer without another
  // taking 7).
  auto plan = balanceStages(uniform(96, 0.01, 1.0 / 3.0), 16, 1, nullptr);
  ASSERT_TRUE(plan);
  for (int64_t n : plan->layerCount)
    EXPECT_EQ(n, 6);
  EXPECT_NEAR(plan->maxCost(), 6.0 + 1.0 / 3.0, 1e-12);
}

TEST(StageBalancer, UnevenLayersMinimizeTheSlowestStage) {
  PipelineCosts costs;
  costs.layers = {5, 1, 1, 1, 1, 1, 5};
  auto plan = balanceStages(costs, 3, 1, nullptr);
  ASSERT_TRUE(plan);
  EXPECT_DOUBLE_EQ(plan->maxCost(), 5.0);
  EXPECT_EQ(counts(*plan), (std::vector<int64_t>{1, 5, 1}));
  EXPECT_DOUBLE_EQ(std::accumulate(plan->cost.begin(), plan->cost.end(), 0.0),
                   15.0);
}

TEST(StageBalancer, InterleavedChunksMapRoundRobin) {
  auto plan = balanceStages(uniform(8), 2, 2, nullptr);
  ASSERT_TRUE(plan);
  EXPECT_EQ(counts(*plan), (std::vector<int64_t>{2, 2, 2, 2}));
  EXPECT_EQ(plan->stageOf(0), 0);
  EXPECT_EQ(plan->stageOf(1), 1);
  EXPECT_EQ(plan->stageOf(2), 0);
  EXPECT_EQ(plan->stageOf(3), 1);
}

TEST(StageBalancer, TooFewLayersIsAnError) {
  std::string error;
  EXPECT_FALSE(balanceStages(uniform(3), 2, 2, &error));
  EXPECT_EQ(error, "3 layers cannot fill 2 pipeline stages x 2 chunks = 4 "
                   "chunks of at least one layer");
  PipelineCosts bad = uniform(4);
  bad.layers[1] = -1.0;
  EXPECT_FALSE(balanceStages(bad, 2, 1, &error));
  EXPECT_EQ(error, "a layer cost is negative or not finite");
}

TEST(StageBalancer, EverySplitCoversTheLayersOnce) {
  for (int layers = 1; layers <= 12; ++layers)
    for (int stages = 1; stages <= layers; ++stages) {
      auto plan = balanceStages(uniform(layers, 0.5, 1.5), stages, 1, nullptr);
      ASSERT_TRUE(plan);
      int64_t next = 0;
      for (size_t c = 0; c < plan->layerCount.size(); ++c) {
        EXPECT_EQ(plan->firstLayer[c], next);
        EXPECT_GE(plan->layerCount[c], 1);
        next += plan->layerCount[c];
      }
      EXPECT_EQ(next, layers);
    }
}

} // namespace
