//===- training_config.h - effective training hyperparameters ---*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// What `strata-run train` trains with, and where each value came from: a
// command-line flag, else the model description (the artifact's
// training_settings: NeMo's model.optim and trainer keys, each with its
// file:line), else Strata's built-in default. `--print-config` prints it.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_TRAINING_TRAINING_CONFIG_H
#define STRATA_RUNTIME_TRAINING_TRAINING_CONFIG_H

#include "runtime/artifact/artifact_loader.h"
#include "runtime/executor/model_program.h"
#include "runtime/training/lr_schedule.h"
#include "runtime/support/status.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace strata::runtime::training {

/// One hyperparameter as the description gave it.
struct DescriptionSetting {
  std::string key; // "optim.lr", "optim.sched.name", "trainer.max_steps"...
  std::vector<double> numbers;
  std::string text;
  std::string source; // "file.yaml:12"
};

/// |artifact|'s training_settings (none before format 0.15).
std::vector<DescriptionSetting> descriptionSettingsOf(
    const LoadedArtifact &artifact);

/// The flags of strata-run train that set a hyperparameter, when given.
struct TrainingFlags {
  std::optional<int64_t> steps, warmupSteps, constantSteps, scheduleSteps,
      evalEvery, evalSteps, logEvery;
  std::optional<double> lr, minLr, warmupRatio, beta1, beta2, eps,
      weightDecay, clipGrad;
  std::optional<std::string> lrSchedule;
};

/// --data runs the training loop (schedule, evaluation, logging); --tokens
/// steps through a token batch at a constant rate, without weight decay by
/// default.
enum class TrainingMode { Loop, Tokens };

/// A value and where it came from: a flag ("--lr"), a place in the
/// description ("tiny.yaml:12"), or "built-in default".
template <typename T> struct Sourced {
  T value{};
  std::string source;
};

struct TrainingConfig {
  TrainingMode mode = TrainingMode::Loop;
  Sourced<int64_t> steps; // 0: neither --steps nor trainer.max_steps
  Sourced<std::string> optimizer;
  Sourced<double> lr, beta1, beta2, eps, weightDecay, clipGrad, minLr;
  Sourced<LrPolicy> policy;
  Sourced<int64_t> warmupSteps, constantSteps, scheduleSteps;
  Sourced<int64_t> evalEvery, evalBatches, logEvery;

  LrSchedule schedule() const;
  /// The optimizer step's settings (learningRate: optim.lr).
  AdamWHyperparameters adamw() const;
  /// Errors for a missing step count and a schedule that does not fit,
  /// naming each value's source.
  Status validate() const;
  /// One line per value: NeMo key, flag, value, source (--print-config).
  std::string describe() const;
};

/// Flags over the description over the built-in defaults. Errors name a
/// setting the artifact holds that this runtime does not know (data loss).
StatusOr<TrainingConfig>
resolveTrainingConfig(const std::vector<DescriptionSetting> &description,
                      const TrainingFlags &flags, TrainingMode mode);

} // namespace strata::runtime::training

#endif // STRATA_RUNTIME_TRAINING_TRAINING_CONFIG_H
