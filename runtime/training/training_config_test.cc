//===- training_config_test.cc --------------------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/training/training_config.h"

#include <gtest/gtest.h>

namespace strata::runtime::training {
namespace {

/// A description as tiny-gpt.yaml's optim block writes it.
std::vector<DescriptionSetting> description() {
  return {
      {"optim.name", {}, "fused_adam", "m.yaml:30"},
      {"optim.lr", {2e-3}, "", "m.yaml:31"},
      {"optim.betas", {0.9, 0.95}, "", "m.yaml:32"},
      {"optim.weight_decay", {0.01}, "", "m.yaml:33"},
      {"optim.sched.name", {}, "CosineAnnealing", "m.yaml:35"},
      {"optim.sched.warmup_ratio", {0.25}, "", "m.yaml:36"},
      {"optim.sched.min_lr", {2e-4}, "", "m.yaml:37"},
      {"trainer.max_steps", {20}, "", "m.yaml:3"},
      {"trainer.gradient_clip_val", {1.0}, "", "m.yaml:4"},
  };
}

TEST(TrainingConfigTest, DescriptionValuesAreTheDefaults) {
  StatusOr<TrainingConfig> c =
      resolveTrainingConfig(description(), {}, TrainingMode::Loop);
  ASSERT_TRUE(c.isOk()) << c.status().message();
  EXPECT_EQ(c->steps.value, 20);
  EXPECT_EQ(c->steps.source, "m.yaml:3");
  EXPECT_EQ(c->optimizer.value, "fused_adam");
  EXPECT_DOUBLE_EQ(c->lr.value, 2e-3);
  EXPECT_DOUBLE_EQ(c->beta2.value, 0.95);
  EXPECT_EQ(c->beta2.source, "m.yaml:32");
  EXPECT_DOUBLE_EQ(c->eps.value, 1e-8);
  EXPECT_EQ(c->eps.source, "built-in default");
  EXPECT_EQ(c->policy.value, LrPolicy::CosineAnnealing);
  // The schedule's length is trainer.max_steps; the ratio is of it.
  EXPECT_EQ(c->scheduleSteps.value, 20);
  EXPECT_EQ(c->warmupSteps.value, 5);
  EXPECT_EQ(c->warmupSteps.source, "m.yaml:36 (warmup_ratio 0.25)");
  EXPECT_DOUBLE_EQ(c->clipGrad.value, 1.0);
  EXPECT_TRUE(c->validate().isOk());
  LrSchedule s = c->schedule();
  EXPECT_DOUBLE_EQ(s.at(6), 2e-3);
}

TEST(TrainingConfigTest, FlagsOverrideTheDescription) {
  TrainingFlags flags;
  flags.lr = 1e-3;
  flags.steps = 40;
  flags.warmupSteps = 2;
  flags.lrSchedule = "linear";
  StatusOr<TrainingConfig> c =
      resolveTrainingConfig(description(), flags, TrainingMode::Loop);
  ASSERT_TRUE(c.isOk());
  EXPECT_DOUBLE_EQ(c->lr.value, 1e-3);
  EXPECT_EQ(c->lr.source, "--lr");
  EXPECT_EQ(c->scheduleSteps.value, 40); // follows --steps
  EXPECT_EQ(c->warmupSteps.value, 2);
  EXPECT_EQ(c->warmupSteps.source, "--warmup-steps");
  EXPECT_EQ(c->policy.value, LrPolicy::WarmupAnnealing);
  EXPECT_DOUBLE_EQ(c->minLr.value, 2e-4); // still the description's
  const std::string text = c->describe();
  EXPECT_NE(text.find("optim.lr                     --lr             0.001 "
                      "           --lr\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("m.yaml:37"), std::string::npos);
}

TEST(TrainingConfigTest, WithoutADescriptionTheBuiltInDefaults) {
  StatusOr<TrainingConfig> c =
      resolveTrainingConfig({}, {}, TrainingMode::Tokens);
  ASSERT_TRUE(c.isOk());
  EXPECT_DOUBLE_EQ(c->weightDecay.value, 0.0); // --tokens: no decay
  EXPECT_EQ(c->validate().message(),
            "train needs a step count: --steps N, or trainer.max_steps in "
            "the model description");
  c = resolveTrainingConfig({}, {}, TrainingMode::Loop);
  EXPECT_DOUBLE_EQ(c->weightDecay.value, 0.1);
  EXPECT_DOUBLE_EQ(c->beta2.value, 0.999);
}

TEST(TrainingConfigTest, ErrorsNameTheSourceOfEachValue) {
  TrainingFlags flags;
  flags.steps = 4; // warm-up 0.25 * 4 = 1, but min_lr above --lr:
  flags.lr = 1e-4;
  StatusOr<TrainingConfig> c =
      resolveTrainingConfig(description(), flags, TrainingMode::Loop);
  ASSERT_TRUE(c.isOk());
  EXPECT_EQ(c->validate().message(),
            "optim.sched.min_lr 0.0002 (m.yaml:37) should be in [0, --lr "
            "0.0001]");
  flags = {};
  flags.warmupSteps = -2;
  c = resolveTrainingConfig(description(), flags, TrainingMode::Loop);
  EXPECT_EQ(c->validate().message(),
            "--warmup-steps -2 should not be negative");
  std::vector<DescriptionSetting> bad = {{"optim.lrr", {1}, "", "m.yaml:1"}};
  EXPECT_EQ(resolveTrainingConfig(bad, {}, TrainingMode::Loop)
                .status()
                .message(),
            "the artifact's training setting 'optim.lrr' is unknown to this "
            "strata-run");
  bad = {{"optim.betas", {0.9}, "", "m.yaml:1"}};
  EXPECT_FALSE(resolveTrainingConfig(bad, {}, TrainingMode::Loop).isOk());
}

} // namespace
} // namespace strata::runtime::training
