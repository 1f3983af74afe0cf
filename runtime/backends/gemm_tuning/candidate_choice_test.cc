//===- candidate_choice_test.cc - the fastest of timed GEMM algorithms ----===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/gemm_tuning/candidate_choice.h"

#include <gtest/gtest.h>

namespace strata::runtime {
namespace {

TimedCandidate timed(uint64_t id, std::optional<double> ms) {
  TimedCandidate c;
  c.algorithm.fill(id);
  c.ms = ms;
  return c;
}

TEST(CandidateChoiceTest, TheFastestWinsAndTheHeuristicsTimeIsKept) {
  StatusOr<GemmTuningEntry> entry = chooseFastestCandidate(
      "g", {timed(1, 0.5), timed(2, 0.3), timed(3, 0.4)});
  ASSERT_TRUE(entry.isOk()) << entry.status().message();
  EXPECT_EQ(entry->gemm, "g");
  EXPECT_EQ(entry->chosen, 1);
  EXPECT_EQ(entry->candidates, 3);
  EXPECT_EQ(entry->algorithm, timed(2, 0).algorithm);
  EXPECT_DOUBLE_EQ(entry->tunedMs, 0.3);
  EXPECT_DOUBLE_EQ(entry->heuristicMs, 0.5);
}

TEST(CandidateChoiceTest, TiesGoToTheHeuristicsEarlierCandidate) {
  StatusOr<GemmTuningEntry> entry = chooseFastestCandidate(
      "g", {timed(1, 0.5), timed(2, 0.25), timed(3, 0.25)});
  ASSERT_TRUE(entry.isOk());
  EXPECT_EQ(entry->chosen, 1);
}

TEST(CandidateChoiceTest, CandidatesThatFailedToLaunchAreDropped) {
  StatusOr<GemmTuningEntry> entry =
      chooseFastestCandidate("g", {timed(1, std::nullopt), timed(2, 0.7),
                                   timed(3, std::nullopt), timed(4, 0.6)});
  ASSERT_TRUE(entry.isOk());
  EXPECT_EQ(entry->chosen, 3);
  EXPECT_EQ(entry->candidates, 4);
  EXPECT_DOUBLE_EQ(entry->heuristicMs, -1.0); // its first choice failed
  EXPECT_DOUBLE_EQ(entry->tunedMs, 0.6);
}

TEST(CandidateChoiceTest, NoCandidateThatRanIsAnErrorNamingTheGemm) {
  StatusOr<GemmTuningEntry> entry = chooseFastestCandidate(
      "BF16 m=1 n=2 k=3", {timed(1, std::nullopt), timed(2, std::nullopt)});
  ASSERT_FALSE(entry.isOk());
  EXPECT_EQ(entry.status().message(),
            "none of cuBLASLt's 2 candidate algorithms for the GEMM BF16 m=1 "
            "n=2 k=3 ran");
  EXPECT_FALSE(chooseFastestCandidate("g", {}).isOk());
}

TEST(CandidateChoiceTest, AZeroTimeBecomesTheSmallestTheFileTakes) {
  StatusOr<GemmTuningEntry> entry =
      chooseFastestCandidate("g", {timed(1, 0.0)});
  ASSERT_TRUE(entry.isOk());
  EXPECT_GT(entry->tunedMs, 0.0);
  EXPECT_GT(entry->heuristicMs, 0.0);
  // The entry is one the cache file takes.
  entry->gpu = "gpu";
  const GemmTuningFile file =
      parseGemmTuningFile(formatGemmTuningFile({*entry}), "f");
  EXPECT_TRUE(file.warnings.empty());
  ASSERT_EQ(file.entries.size(), 1u);
}

} // namespace
} // namespace strata::runtime
