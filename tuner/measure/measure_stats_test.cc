//===- measure_stats_test.cc ----------------------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "tuner/measure/measure_stats.h"

#include <gtest/gtest.h>

#include <cmath>

namespace strata::tuner {
namespace {

TEST(MeasureStats, FractionalRanksAverageTies) {
  EXPECT_EQ(fractionalRanks({3, 1, 2}), (std::vector<double>{3, 1, 2}));
  EXPECT_EQ(fractionalRanks({5, 1, 5, 0}),
            (std::vector<double>{3.5, 2, 3.5, 1}));
}

TEST(MeasureStats, Spearman) {
  EXPECT_DOUBLE_EQ(spearman({1, 2, 3, 4}, {10, 20, 30, 400}), 1.0);
  EXPECT_DOUBLE_EQ(spearman({1, 2, 3, 4}, {4, 3, 2, 1}), -1.0);
  // One swap of adjacent ranks in 5: 1 - 6 * 2 / (5 * 24) = 0.9.
  EXPECT_NEAR(spearman({1, 2, 3, 4, 5}, {1, 3, 2, 4, 5}), 0.9, 1e-12);
  EXPECT_TRUE(std::isnan(spearman({1, 2}, {1, 2, 3})));
  EXPECT_TRUE(std::isnan(spearman({1, 1, 1}, {1, 2, 3})));
}

TEST(MeasureStats, MedianAbsoluteRelativeError) {
  // Errors 0.1, 0.5, 0.2 -> 0.2.
  EXPECT_NEAR(medianAbsoluteRelativeError({1.1, 1.0, 0.8}, {1, 2, 1}), 0.2,
              1e-12);
  // Even count: mean of the middle two (0.1, 0.3).
  EXPECT_NEAR(medianAbsoluteRelativeError({1.1, 1.3, 1, 2}, {1, 1, 1, 1}),
              0.2, 1e-12);
  EXPECT_TRUE(std::isnan(medianAbsoluteRelativeError({}, {})));
}

TEST(MeasureStats, ParsesStrataRunTrainOutput) {
  const std::string output =
      "loading m.strata\n"
      "step 1/3 loss 6.931472 grad_norm 1.2345 (0.512 s)\n"
      "step 2/3 loss 6.800000 grad_norm 1.1000 loss_scale 65536 (0.250 s)\n"
      "step 3/3 loss 6.700000 grad_norm 1.0000 (0.270 s)\n"
      "step 4 is not a step line\n";
  std::vector<double> steps = parseStepSeconds(output);
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_DOUBLE_EQ(steps[0], 0.512);
  EXPECT_DOUBLE_EQ(steps[2], 0.270);
  EXPECT_DOUBLE_EQ(medianStepSeconds(steps, 1), 0.26);
  EXPECT_TRUE(std::isnan(medianStepSeconds(steps, 3)));
}

} // namespace
} // namespace strata::tuner
