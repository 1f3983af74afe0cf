//===- sampling_test.cc ---------------------------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/inference/sampling.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <vector>

namespace strata::runtime::inference {
namespace {

TEST(SamplingTest, GreedyIsTheFirstArgmaxWithinTheAllowedIds) {
  std::vector<float> logits = {0.5f, 2.0f, 2.0f, -1.0f, 9.0f};
  SamplingOptions greedy;
  greedy.temperature = 0.0;
  EXPECT_EQ(sampleToken(logits.data(), 5, 5, greedy, 0, 0), 4);
  // Id 4 lies in the padded part of the vocabulary.
  EXPECT_EQ(sampleToken(logits.data(), 5, 4, greedy, 0, 0), 1);
}

TEST(SamplingTest, TopKOneIsGreedyAndTopPRestrictsToTheNucleus) {
  std::vector<float> logits = {1.0f, 3.0f, 0.0f, 2.9f};
  SamplingOptions k1;
  k1.topK = 1;
  for (uint64_t step = 0; step < 50; ++step)
    EXPECT_EQ(sampleToken(logits.data(), 4, 4, k1, 0, step), 1);
  // p(1) ~ 0.47, p(3) ~ 0.43: top-p 0.5 keeps exactly those two.
  SamplingOptions nucleus;
  nucleus.topP = 0.5;
  for (uint64_t step = 0; step < 200; ++step) {
    const int32_t id = sampleToken(logits.data(), 4, 4, nucleus, 0, step);
    EXPECT_TRUE(id == 1 || id == 3) << id;
  }
}

TEST(SamplingTest, FrequenciesFollowTheSoftmaxAtTheTemperature) {
  std::vector<float> logits = {0.0f, std::log(3.0f)}; // probabilities 1/4, 3/4
  SamplingOptions options;
  options.seed = 9;
  int ones = 0;
  const int draws = 20000;
  for (int step = 0; step < draws; ++step)
    ones += sampleToken(logits.data(), 2, 2, options, 3, step) == 1;
  EXPECT_NEAR(double(ones) / draws, 0.75, 0.015);
  // Temperature 2 flattens: p(1) = sqrt(3) / (1 + sqrt(3)) ~ 0.634.
  options.temperature = 2.0;
  ones = 0;
  for (int step = 0; step < draws; ++step)
    ones += sampleToken(logits.data(), 2, 2, options, 3, step) == 1;
  EXPECT_NEAR(double(ones) / draws, 0.634, 0.015);
}

TEST(SamplingTest, DrawsAreAFunctionOfSeedRowAndStep) {
  std::vector<float> logits(100);
  for (int i = 0; i < 100; ++i)
    logits[i] = 0.01f * float(i % 13);
  SamplingOptions options;
  options.seed = 5;
  std::vector<int32_t> a, b;
  for (uint64_t step = 0; step < 30; ++step) {
    a.push_back(sampleToken(logits.data(), 100, 100, options, 2, step));
    b.push_back(sampleToken(logits.data(), 100, 100, options, 2, step));
  }
  EXPECT_EQ(a, b);
  options.seed = 6;
  std::vector<int32_t> c;
  for (uint64_t step = 0; step < 30; ++step)
    c.push_back(sampleToken(logits.data(), 100, 100, options, 2, step));
  EXPECT_NE(a, c);
}

TEST(SamplingTest, BadOptionsNameTheFlag) {
  SamplingOptions o;
  o.temperature = -1;
  EXPECT_NE(o.validate().message().find("--temperature"), std::string::npos);
  o = {};
  o.topP = 0.0;
  EXPECT_NE(o.validate().message().find("--top-p"), std::string::npos);
  o = {};
  o.topK = -2;
  EXPECT_NE(o.validate().message().find("--top-k -2"), std::string::npos);
}

} // namespace
} // namespace strata::runtime::inference
