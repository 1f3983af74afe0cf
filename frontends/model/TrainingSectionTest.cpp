//===- TrainingSectionTest.cpp - model.optim and the trainer's keys ------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "frontends/model/ParserTestSupport.h"

#include <map>

namespace strata::frontend {
namespace {

using namespace testing;

/// Key -> setting, for lookups.
std::map<std::string, TrainingSetting> settingsOf(const ModelDescription &d) {
  std::map<std::string, TrainingSetting> out;
  for (const TrainingSetting &s : d.trainingSettings)
    out[s.key] = s;
  return out;
}

/// baseModel() preceded by a trainer section (lines 1-4) and followed by
/// |optim| (model keys from line 12).
std::string withTrainer(std::string_view optim) {
  return "trainer:\n"
         "  max_steps: 20\n"
         "  gradient_clip_val: 1.0\n"
         "  log_every_n_steps: 5\n" +
         baseModel(optim);
}

TEST(TrainingSectionTest, NeMoOptimBlockBecomesLocatedSettings) {
  ModelDescription d = parseOk(withTrainer("  optim:\n"           // 12
                                           "    name: fused_adam\n" // 13
                                           "    lr: 2e-4\n"         // 14
                                           "    weight_decay: 0.01\n"
                                           "    betas:\n"           // 16
                                           "    - 0.9\n"
                                           "    - 0.98\n"
                                           "    bucket_cap_mb: 200\n"
                                           "    sched:\n"           // 20
                                           "      name: CosineAnnealing\n"
                                           "      warmup_steps: 5\n" // 22
                                           "      constant_steps: 3\n"
                                           "      min_lr: 2e-5\n"
                                           "      monitor: val_loss\n"));
  auto s = settingsOf(d);
  EXPECT_EQ(s["optim.name"].text, "fused_adam");
  EXPECT_EQ(s["optim.name"].location.line, 13);
  EXPECT_EQ(s["optim.lr"].numbers, std::vector<double>{2e-4});
  EXPECT_EQ(s["optim.lr"].location.line, 14);
  EXPECT_EQ(s["optim.betas"].numbers, (std::vector<double>{0.9, 0.98}));
  EXPECT_EQ(s["optim.betas"].location.line, 17);
  EXPECT_EQ(s["optim.weight_decay"].numbers, std::vector<double>{0.01});
  EXPECT_EQ(s["optim.sched.name"].text, "CosineAnnealing");
  EXPECT_EQ(s["optim.sched.warmup_steps"].numbers, std::vector<double>{5});
  EXPECT_EQ(s["optim.sched.warmup_steps"].location.line, 22);
  EXPECT_EQ(s["optim.sched.constant_steps"].numbers, std::vector<double>{3});
  EXPECT_EQ(s["optim.sched.min_lr"].numbers, std::vector<double>{2e-5});
  EXPECT_EQ(s["trainer.max_steps"].numbers, std::vector<double>{20});
  EXPECT_EQ(s["trainer.max_steps"].location.line, 2);
  EXPECT_EQ(s["trainer.gradient_clip_val"].numbers, std::vector<double>{1.0});
  EXPECT_EQ(s["trainer.log_every_n_steps"].numbers, std::vector<double>{5});
  EXPECT_EQ(s.count("optim.eps"), 0u); // not given: the runtime's default
  // The distributed optimizer's storage options and the scheduler's
  // Lightning keys are recorded, not used.
  bool bucket = false, monitor = false;
  for (const RecordedKey &k : d.recordedKeys) {
    bucket |= k.path == "model.optim.bucket_cap_mb";
    monitor |= k.path == "model.optim.sched.monitor";
  }
  EXPECT_TRUE(bucket && monitor);
}

TEST(TrainingSectionTest, OptimWithoutSchedIsAConstantRate) {
  ModelDescription d = parseOk(baseModel("  optim:\n    name: adamw\n"
                                         "    lr: 1e-3\n"));
  auto s = settingsOf(d);
  EXPECT_EQ(s["optim.sched.name"].text, "constant");
  EXPECT_EQ(s["optim.sched.name"].location.line, 9);
  EXPECT_TRUE(parseOk(baseModel()).trainingSettings.empty());
}

TEST(TrainingSectionTest, OverridesReachTheSettings) {
  ModelDescription d = parseOk(baseModel("  optim:\n    lr: 1e-3\n"),
                               {"model.optim.lr=5e-4",
                                "model.optim.sched.name=WarmupAnnealing",
                                "trainer.max_steps=7"});
  auto s = settingsOf(d);
  EXPECT_EQ(s["optim.lr"].numbers, std::vector<double>{5e-4});
  EXPECT_EQ(s["optim.lr"].location.line, 0); // the command line
  EXPECT_EQ(s["optim.sched.name"].text, "WarmupAnnealing");
  EXPECT_EQ(s["trainer.max_steps"].numbers, std::vector<double>{7});
}

TEST(TrainingSectionTest, NamesNeMoRejectsAreLocatedErrors) {
  ParseResult r = parse(baseModel("  optim:\n    name: adamw\n    sched:\n"
                                  "      name: Nonexistent\n"));
  EXPECT_TRUE(hasError(r, 11,
                       "unknown optim.sched.name 'Nonexistent' (not a NeMo "
                       "scheduler); expected CosineAnnealing, "
                       "WarmupAnnealing, WarmupPolicy or constant"));
  r = parse(baseModel("  optim:\n    sched:\n      name: CosineAnealing\n"));
  EXPECT_TRUE(hasError(r, 10, "did you mean 'CosineAnnealing'?"));
  r = parse(baseModel("  optim:\n    sched:\n      name: NoamAnnealing\n"));
  EXPECT_TRUE(hasError(r, 10,
                       "optim.sched.name NoamAnnealing is a NeMo scheduler "
                       "that Strata does not support; use CosineAnnealing"));
  r = parse(baseModel("  optim:\n    name: sgd\n"));
  EXPECT_TRUE(hasError(r, 9, "optim.name sgd is a NeMo optimizer that Strata "
                             "does not support; use adamw, fused_adam"));
  r = parse(baseModel("  optim:\n    name: adamz\n"));
  EXPECT_TRUE(hasError(r, 9, "unknown optim.name 'adamz'"));
  r = parse(baseModel("  optim:\n    nme: adamw\n"));
  EXPECT_TRUE(hasError(r, 9, "unknown key 'nme' in model.optim; did you mean "
                             "'name'?"));
}

TEST(TrainingSectionTest, ValuesNeMoRejectsAreLocatedErrors) {
  ParseResult r = parse(baseModel("  optim:\n    lr: -1\n"));
  EXPECT_TRUE(hasError(r, 9, "optim.lr must be in (0, inf), got -1"));
  r = parse(baseModel("  optim:\n    betas: [0.9]\n"));
  EXPECT_TRUE(hasError(r, 9, "optim.betas must be a list of two numbers"));
  r = parse(baseModel("  optim:\n    betas: [0.9, 1.5]\n"));
  EXPECT_TRUE(hasError(r, 9, "optim.betas entries must be in [0, 1), got 1.5"));
  r = parse(baseModel("  optim:\n    name: adam\n    weight_decay: 0.1\n"));
  EXPECT_TRUE(hasError(r, 9, "optim.name adam with optim.weight_decay 0.1 "
                             "(line 10) is torch.optim.Adam's L2 decay"));
  r = parse(baseModel("  optim:\n    lr: 1e-4\n    sched:\n"
                      "      min_lr: 1e-3\n"));
  EXPECT_TRUE(hasError(r, 11, "optim.sched.min_lr 1e-3 is above optim.lr "
                              "1e-4 (line 9)"));
  r = parse(baseModel("  optim:\n    sched:\n      warmup_steps: 3\n"
                      "      warmup_ratio: 0.1\n"));
  EXPECT_TRUE(hasError(r, 11, "warmup_ratio 0.1 and warmup_steps 3 (line 10) "
                              "are both given"));
  r = parse(baseModel("  optim:\n    sched:\n      name: WarmupAnnealing\n"
                      "      constant_steps: 3\n"));
  EXPECT_TRUE(hasError(r, 11, "is a setting of CosineAnnealing, not of "
                              "optim.sched.name WarmupAnnealing"));
  r = parse("trainer:\n  max_steps: 0\n" + baseModel());
  EXPECT_TRUE(hasError(r, 2, "trainer.max_steps must be positive, got 0"));
}

TEST(TrainingSectionTest, NeMoDefaultsAndFractionsAreNotErrors) {
  // max_steps -1 (NeMo's "by epochs") is unset; fractions of an epoch warn.
  ParseResult r = parse("trainer:\n  max_steps: -1\n  val_check_interval: "
                        "1.0\n  limit_val_batches: 32\n" +
                        baseModel());
  ASSERT_TRUE(r.succeeded()) << dump(r);
  EXPECT_TRUE(hasWarning(r, 3, "trainer.val_check_interval 1.0 is a fraction"));
  auto s = settingsOf(*r.description);
  EXPECT_EQ(s.count("trainer.max_steps"), 0u);
  EXPECT_EQ(s.count("trainer.val_check_interval"), 0u);
  EXPECT_EQ(s["trainer.limit_val_batches"].numbers, std::vector<double>{32});
}

} // namespace
} // namespace strata::frontend
