//===- gradient_buckets_test.cc -------------------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "common/gradient_buckets.h"

#include <gtest/gtest.h>

namespace strata {
namespace {

constexpr size_t MiB = size_t(1) << 20;

TEST(GradientBucketsTest, BucketsKeepOrderAndPutLargeSlotsAlone) {
  const std::vector<size_t> bytes = {8, 8, 16, 40, 8, 24, 8};
  const std::vector<SlotBucket> buckets = bucketSlots(bytes, 32);
  ASSERT_EQ(buckets.size(), 4u);
  EXPECT_EQ(buckets[0].begin, 0u); // 8 + 8 + 16 = 32
  EXPECT_EQ(buckets[0].end, 3u);
  EXPECT_FALSE(buckets[0].alone);
  EXPECT_EQ(buckets[1].begin, 3u); // 40 > 32
  EXPECT_EQ(buckets[1].end, 4u);
  EXPECT_TRUE(buckets[1].alone);
  EXPECT_EQ(buckets[2].begin, 4u); // 8 + 24
  EXPECT_EQ(buckets[2].end, 6u);
  EXPECT_EQ(buckets[3].begin, 6u);
  EXPECT_EQ(buckets[3].end, 7u);
  EXPECT_TRUE(bucketSlots({}, 32).empty());
}

TEST(GradientBucketsTest, SmallSlotsGoInOneBucketOfTheirTotal) {
  const GradientBucketPlan plan = planGradientBuckets({8, 24, 40});
  EXPECT_EQ(plan.capacity, 72u);
  ASSERT_EQ(plan.buckets.size(), 1u);
  EXPECT_EQ(plan.buckets[0].end, 3u);
  EXPECT_FALSE(plan.buckets[0].alone);
  EXPECT_EQ(plan.bufferBytes, 72u);
}

TEST(GradientBucketsTest, CapacityIsSixteenMiBAndTheBufferTheLargestPacked) {
  // 10 + 5 MiB fill one bucket (15), 4 MiB the next (the 20 MiB slot goes
  // alone), then 16 MiB exactly packs on its own.
  const GradientBucketPlan plan =
      planGradientBuckets({10 * MiB, 5 * MiB, 20 * MiB, 4 * MiB, 16 * MiB});
  EXPECT_EQ(plan.capacity, kGradientBucketCapacity);
  EXPECT_EQ(kGradientBucketCapacity, 16 * MiB);
  ASSERT_EQ(plan.buckets.size(), 4u);
  EXPECT_EQ(plan.buckets[0].end, 2u);
  EXPECT_TRUE(plan.buckets[1].alone);
  EXPECT_EQ(plan.buckets[2].begin, 3u);
  EXPECT_EQ(plan.buckets[2].end, 4u);
  EXPECT_EQ(plan.buckets[3].begin, 4u);
  EXPECT_FALSE(plan.buckets[3].alone);
  EXPECT_EQ(plan.bufferBytes, 16 * MiB);
}

TEST(GradientBucketsTest, TheBufferIsSmallerWhenLargeSlotsGoAlone) {
  // Only the 1 MiB slots pack: the buffer needs 2 MiB, not 16.
  const GradientBucketPlan plan =
      planGradientBuckets({30 * MiB, MiB, MiB, 40 * MiB});
  EXPECT_EQ(plan.capacity, 16 * MiB);
  ASSERT_EQ(plan.buckets.size(), 3u);
  EXPECT_EQ(plan.bufferBytes, 2 * MiB);
}

TEST(GradientBucketsTest, NoBufferWhenEverySlotGoesAlone) {
  const GradientBucketPlan plan = planGradientBuckets({20 * MiB, 17 * MiB});
  ASSERT_EQ(plan.buckets.size(), 2u);
  EXPECT_TRUE(plan.buckets[0].alone && plan.buckets[1].alone);
  EXPECT_EQ(plan.bufferBytes, 0u);
  EXPECT_EQ(planGradientBuckets({}).bufferBytes, 0u);
}

} // namespace
} // namespace strata
