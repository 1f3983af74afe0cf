//===- lr_schedule_test.cc ------------------------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Expected values worked out by hand from NeMo's lr_scheduler.py formulas
// (step k runs at last_epoch s = k - 1).
//
//===----------------------------------------------------------------------===//
#include "runtime/training/lr_schedule.h"

#include <gtest/gtest.h>

#include <cmath>

namespace strata::runtime::training {
namespace {

TEST(LrScheduleTest, CosineAnnealingWarmsUpAsNeMoThenDecays) {
  LrSchedule s{LrPolicy::CosineAnnealing, 1e-3, 1e-4, 4, 0, 20};
  ASSERT_TRUE(s.validate().isOk());
  EXPECT_DOUBLE_EQ(s.at(1), 1e-3 * 1 / 5);  // (s + 1) / (W + 1)
  EXPECT_DOUBLE_EQ(s.at(4), 1e-3 * 4 / 5);
  EXPECT_DOUBLE_EQ(s.at(5), 1e-3);          // s = W
  EXPECT_NEAR(s.at(13), 5.5e-4, 1e-15);     // halfway: (12 - 4) / 16
  EXPECT_NEAR(s.at(21), 1e-4, 1e-15);       // s = max_steps
  EXPECT_DOUBLE_EQ(s.at(22), 1e-4);         // beyond: min_lr
}

TEST(LrScheduleTest, CosineAnnealingWithConstantStepsIsMegatrons) {
  // W 2, C 3, max 10: decay over 5 steps, then min_lr.
  LrSchedule s{LrPolicy::CosineAnnealing, 1e-3, 1e-4, 2, 3, 10};
  ASSERT_TRUE(s.validate().isOk());
  EXPECT_DOUBLE_EQ(s.at(1), 0.0);           // s / W
  EXPECT_DOUBLE_EQ(s.at(2), 5e-4);
  EXPECT_DOUBLE_EQ(s.at(3), 1e-3);
  EXPECT_NEAR(s.at(4), 1e-4 + 0.5 * (std::cos(M_PI / 5) + 1) * 9e-4, 1e-15);
  EXPECT_NEAR(s.at(8), 1e-4, 1e-15);        // s = W + decay
  EXPECT_DOUBLE_EQ(s.at(9), 1e-4);          // the constant steps
  EXPECT_DOUBLE_EQ(s.at(11), 1e-4);
}

TEST(LrScheduleTest, WarmupAnnealingConstantAndWarmupPolicy) {
  LrSchedule linear{LrPolicy::WarmupAnnealing, 1e-3, 0.0, 0, 0, 100};
  EXPECT_NEAR(linear.at(26), 7.5e-4, 1e-15);
  EXPECT_DOUBLE_EQ(linear.at(101), 0.0);
  LrSchedule constant{LrPolicy::Constant, 1e-3, 0.0, 4, 0, 10};
  EXPECT_DOUBLE_EQ(constant.at(1), 2e-4);
  EXPECT_DOUBLE_EQ(constant.at(50), 1e-3);  // no end
  LrSchedule hold{LrPolicy::WarmupPolicy, 1e-3, 1e-5, 0, 0, 10};
  EXPECT_DOUBLE_EQ(hold.at(11), 1e-3);
  EXPECT_DOUBLE_EQ(hold.at(12), 1e-5);      // after max_steps
}

TEST(LrScheduleTest, BadSettingsAreErrorsNamingTheFlagOrTheSource) {
  EXPECT_NE((LrSchedule{LrPolicy::CosineAnnealing, 0.0, 0.0, 0, 0, 10})
                .validate()
                .message()
                .find("--lr 0 should be positive"),
            std::string::npos);
  EXPECT_NE((LrSchedule{LrPolicy::CosineAnnealing, 1e-3, 1e-2, 0, 0, 10})
                .validate()
                .message()
                .find("--min-lr 0.01 should be in [0, --lr 0.001]"),
            std::string::npos);
  LrSchedule negative{LrPolicy::CosineAnnealing, 1e-3, 0.0, -1, 0, 10};
  EXPECT_EQ(negative.validate().message(),
            "--warmup-steps -1 should not be negative");
  EXPECT_EQ(negative
                .validate([](const std::string &field) {
                  return "<" + field + ">";
                })
                .message(),
            "<warmup_steps> should not be negative");
  // A warm-up as long as the run: NeMo warms up throughout, no error.
  LrSchedule allWarmup{LrPolicy::CosineAnnealing, 1e-3, 0.0, 10, 0, 10};
  EXPECT_TRUE(allWarmup.validate().isOk());
  EXPECT_DOUBLE_EQ(allWarmup.at(10), 1e-3 * 10 / 11);
  EXPECT_DOUBLE_EQ(allWarmup.at(12), 0.0);
  EXPECT_FALSE(parseLrPolicy("exponential").isOk());
  EXPECT_EQ(parseLrPolicy("linear").value(), LrPolicy::WarmupAnnealing);
  EXPECT_EQ(parseLrPolicy("CosineAnnealing").value(),
            LrPolicy::CosineAnnealing);
}

} // namespace
} // namespace strata::runtime::training
