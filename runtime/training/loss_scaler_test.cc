//===- loss_scaler_test.cc ------------------------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/training/loss_scaler.h"

#include <gtest/gtest.h>

namespace strata::runtime::training {
namespace {

LossScalerSettings small(double initial, int64_t interval, int64_t hysteresis) {
  LossScalerSettings s;
  s.initialScale = initial;
  s.growthInterval = interval;
  s.hysteresis = hysteresis;
  return s;
}

TEST(LossScalerTest, GrowsAfterTheIntervalOfFiniteSteps) {
  DynamicLossScaler scaler(small(1024, 3, 2));
  for (int step = 1; step <= 2; ++step)
    ASSERT_TRUE(scaler.update(true, step).isOk());
  EXPECT_EQ(scaler.scale(), 1024);
  ASSERT_TRUE(scaler.update(true, 3).isOk());
  EXPECT_EQ(scaler.scale(), 2048);
  for (int step = 4; step <= 6; ++step)
    ASSERT_TRUE(scaler.update(true, step).isOk());
  EXPECT_EQ(scaler.scale(), 4096);
  EXPECT_EQ(scaler.skippedSteps(), 0);
}

TEST(LossScalerTest, HysteresisDelaysTheFirstBackoffOnly) {
  // Megatron's DynamicGradScaler: with hysteresis 2 the first overflow only
  // skips; the second halves, and so does every further one until a growth
  // restores the hysteresis.
  DynamicLossScaler scaler(small(1024, 1000, 2));
  ASSERT_TRUE(scaler.update(false, 1).isOk());
  EXPECT_EQ(scaler.scale(), 1024);
  ASSERT_TRUE(scaler.update(false, 2).isOk());
  EXPECT_EQ(scaler.scale(), 512);
  ASSERT_TRUE(scaler.update(false, 3).isOk());
  EXPECT_EQ(scaler.scale(), 256);
  // A finite step does not restore the hysteresis before a growth.
  ASSERT_TRUE(scaler.update(true, 4).isOk());
  ASSERT_TRUE(scaler.update(false, 5).isOk());
  EXPECT_EQ(scaler.scale(), 128);
  EXPECT_EQ(scaler.skippedSteps(), 4);
}

TEST(LossScalerTest, AnOverflowResetsTheGrowthCount) {
  DynamicLossScaler scaler(small(8, 3, 1));
  ASSERT_TRUE(scaler.update(true, 1).isOk());
  ASSERT_TRUE(scaler.update(true, 2).isOk());
  ASSERT_TRUE(scaler.update(false, 3).isOk());
  EXPECT_EQ(scaler.scale(), 4);
  ASSERT_TRUE(scaler.update(true, 4).isOk());
  ASSERT_TRUE(scaler.update(true, 5).isOk());
  EXPECT_EQ(scaler.scale(), 4);
  ASSERT_TRUE(scaler.update(true, 6).isOk());
  EXPECT_EQ(scaler.scale(), 8);
}

TEST(LossScalerTest, AnOverflowAtTheMinimumIsAnError) {
  LossScalerSettings s = small(4, 1000, 1);
  s.minScale = 2;
  DynamicLossScaler scaler(s);
  ASSERT_TRUE(scaler.update(false, 1).isOk());
  EXPECT_EQ(scaler.scale(), 2);
  const Status status = scaler.update(false, 2);
  ASSERT_FALSE(status.isOk());
  EXPECT_NE(status.message().find("step 2: the gradients overflow f16 even at "
                                  "the minimum loss scale 2"),
            std::string::npos)
      << status.message();
}

TEST(LossScalerTest, RestoresACheckpointedStateAndRejectsABadOne) {
  DynamicLossScaler scaler(small(1024, 10, 2));
  LossScalerState state{64, 3, 1, 7};
  ASSERT_TRUE(scaler.restore(state).isOk());
  EXPECT_EQ(scaler.scale(), 64);
  EXPECT_EQ(scaler.skippedSteps(), 7);
  ASSERT_TRUE(scaler.update(false, 1).isOk()); // hysteresis 1 left: halves
  EXPECT_EQ(scaler.scale(), 32);
  EXPECT_FALSE(scaler.restore({0.5, 0, 1, 0}).isOk());   // below the minimum
  EXPECT_FALSE(scaler.restore({64, 10, 1, 0}).isOk());   // tracker >= interval
  EXPECT_FALSE(scaler.restore({64, 0, 3, 0}).isOk());    // above hysteresis
}

TEST(LossScalerTest, SettingsAreValidated) {
  EXPECT_TRUE(LossScalerSettings().validate().isOk());
  EXPECT_FALSE(small(0.5, 10, 2).validate().isOk());
  EXPECT_FALSE(small(1024, 0, 2).validate().isOk());
  EXPECT_FALSE(small(1024, 10, 0).validate().isOk());
}

} // namespace
} // namespace strata::runtime::training
