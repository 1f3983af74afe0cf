//===- lr_schedule_test.cc ------------------------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/training/lr_schedule.h"

#include <gtest/gtest.h>

#include <cmath>

namespace strata::runtime::training {
namespace {

TEST(LrScheduleTest, WarmupIsLinearFromZero) {
  LrSchedule s{1e-3, 1e-4, 10, 100, LrDecay::Cosine};
  ASSERT_TRUE(s.validate().isOk());
  EXPECT_DOUBLE_EQ(s.at(1), 1e-4);
  EXPECT_DOUBLE_EQ(s.at(5), 5e-4);
  EXPECT_DOUBLE_EQ(s.at(10), 1e-3);
}

TEST(LrScheduleTest, CosineAndLinearDecayToTheMinimum) {
  LrSchedule cosine{1e-3, 1e-4, 10, 110, LrDecay::Cosine};
  EXPECT_DOUBLE_EQ(cosine.at(110), 1e-4);
  // Halfway through the decay: the mean of max and min.
  EXPECT_NEAR(cosine.at(60), 5.5e-4, 1e-15);
  LrSchedule linear{1e-3, 0.0, 0, 100, LrDecay::Linear};
  EXPECT_NEAR(linear.at(25), 7.5e-4, 1e-15);
  EXPECT_DOUBLE_EQ(linear.at(100), 0.0);
  LrSchedule constant{1e-3, 0.0, 5, 100, LrDecay::Constant};
  EXPECT_DOUBLE_EQ(constant.at(50), 1e-3);
  EXPECT_DOUBLE_EQ(constant.at(2), 4e-4);
}

TEST(LrScheduleTest, BadSettingsAreErrorsNamingTheFlag) {
  EXPECT_NE((LrSchedule{0.0, 0.0, 0, 10, LrDecay::Cosine})
                .validate()
                .message()
                .find("--lr"),
            std::string::npos);
  EXPECT_NE((LrSchedule{1e-3, 1e-2, 0, 10, LrDecay::Cosine})
                .validate()
                .message()
                .find("--min-lr"),
            std::string::npos);
  EXPECT_NE((LrSchedule{1e-3, 0.0, 20, 10, LrDecay::Cosine})
                .validate()
                .message()
                .find("--warmup-steps 20"),
            std::string::npos);
  EXPECT_FALSE(parseLrDecay("exponential").isOk());
  EXPECT_EQ(parseLrDecay("linear").value(), LrDecay::Linear);
}

} // namespace
} // namespace strata::runtime::training
