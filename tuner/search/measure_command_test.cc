//===- measure_command_test.cc - the recorded profile format --------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "tuner/search/measure_command.h"

#include <gtest/gtest.h>

namespace strata::tuner {
namespace {

TEST(MeasureProfile, RoundTrips) {
  MeasuredCandidate a;
  a.candidate.tp = 2;
  a.candidate.microBatchSize = 4;
  a.candidate.microBatches = 2;
  a.candidate.sequenceParallel = true;
  a.candidate.recompute = Recompute::Selective;
  a.predictedSeconds = 0.125;
  a.measuredSeconds = 0.25;
  MeasuredCandidate b;
  b.candidate.pp = 2;
  b.candidate.vp = 2;
  b.candidate.dp = 1;
  b.candidate.microBatches = 8;
  b.candidate.recompute = Recompute::Full;
  const std::string text = formatProfile({a, b}, "two\nlines");
  EXPECT_EQ(text.substr(0, 14), "# two\n# lines\n");
  std::vector<MeasuredCandidate> rows;
  std::string error;
  ASSERT_TRUE(parseProfile(text, rows, error)) << error;
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].candidate.label(), a.candidate.label());
  EXPECT_EQ(rows[1].candidate.label(), b.candidate.label());
  EXPECT_EQ(rows[0].candidate.microBatches, 2);
  EXPECT_DOUBLE_EQ(rows[0].measuredSeconds, 0.25);
  EXPECT_DOUBLE_EQ(rows[1].predictedSeconds, 0);
}

TEST(MeasureProfile, BadLinesAreLocated) {
  std::vector<MeasuredCandidate> rows;
  std::string error;
  EXPECT_FALSE(parseProfile("# c\n1 1 1 1 1 1 0 none 0 0.1\n", rows, error));
  EXPECT_NE(error.find("line 2: expected 11 fields"), std::string::npos)
      << error;
  EXPECT_FALSE(
      parseProfile("1 1 1 1 1 1 0 most 0 0.1 0.2\n", rows, error));
  EXPECT_NE(error.find("line 1: recompute 'most'"), std::string::npos)
      << error;
}

} // namespace
} // namespace strata::tuner

namespace strata::tuner {
namespace {

TEST(MeasurePick, TopOrSpreadOverTheFeasibleRanking) {
  // Ten candidates, the fourth infeasible.
  std::vector<RankedCandidate> ranked(10);
  for (size_t i = 0; i < ranked.size(); ++i)
    ranked[i].feasible = i != 3;
  EXPECT_EQ(pickForMeasurement(ranked, 3, false),
            (std::vector<size_t>{0, 1, 2}));
  // Nine feasible: 0 1 2 4 5 6 7 8 9; three spread: best, middle, last.
  EXPECT_EQ(pickForMeasurement(ranked, 3, true),
            (std::vector<size_t>{0, 5, 9}));
  // More asked than feasible: every feasible one, in order.
  EXPECT_EQ(pickForMeasurement(ranked, 20, true).size(), 9u);
  EXPECT_TRUE(pickForMeasurement(ranked, 0, true).empty());
}

} // namespace
} // namespace strata::tuner
