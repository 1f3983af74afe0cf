//===- trainer.h - the training loop ----------------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Runs optimizer steps over training data (training_data.h: a split text
// corpus or prompt-learning examples): each step takes the next global
// batch of the shuffled training samples, accumulates the gradients of its
// micro-batches and applies AdamW at the schedule's learning rate; every
// --eval-every steps it measures the validation loss (dropout off), every
// --sample-every steps it prints a text sample (when the caller can
// generate), every --save-every steps and at the end it saves a checkpoint.
// --resume continues from the newest checkpoint so that the losses are
// bitwise those of an uninterrupted run: the kernels are deterministic,
// and the checkpoint holds the parameters and AdamW moments bit for bit,
// the data position, the dropout counter and (f16) the loss scaler. f16
// programs train under a dynamic loss scale (scaled_step.h); a skipped step
// and the scale show in the progress line and the metrics file.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_TRAINING_TRAINER_H
#define STRATA_RUNTIME_TRAINING_TRAINER_H

#include "runtime/executor/adapter_parameters.h"
#include "runtime/executor/model_program.h"
#include "runtime/training/lr_schedule.h"
#include "runtime/training/loss_scaler.h"
#include "runtime/training/training_data.h"
#include "runtime/support/status.h"

#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace strata::runtime::training {

struct TrainingOptions {
  int64_t steps = 100;
  /// Rows per optimizer step; a multiple of the artifact's micro-batch size
  /// (0: the artifact's global batch).
  int64_t globalBatch = 0;
  /// The learning rate of each step (its maxSteps is the schedule's length,
  /// NeMo's optim.sched.max_steps, which may differ from |steps|).
  LrSchedule schedule;
  /// AdamW betas, epsilon, weight decay and clipping (learningRate unused:
  /// the schedule gives it).
  AdamWHyperparameters adamw;
  int64_t evalEvery = 0;
  /// Validation micro-batches per evaluation (per task for prompt data).
  int64_t evalBatches = 8;
  /// Also measure the validation loss before the first step of a fresh run
  /// (step 0): the baseline that adapters on a frozen base improve on.
  bool evaluateAtStart = false;
  int64_t sampleEvery = 0;
  std::string checkpointDir;
  int64_t saveEvery = 0;
  int keepLast = 3;
  bool resume = false;
  uint64_t seed = 1234;
  /// JSON lines; empty: <checkpointDir>/metrics.jsonl, or none.
  std::string metricsPath;
  int64_t logEvery = 10;
  /// f16 programs: the dynamic loss scale's floor (an overflow there is an
  /// error).
  double minLossScale = 1.0;
  bool terminal = false;
  /// Adapters on a frozen base: the base, already loaded (checkpoints hold
  /// the adapters and its identity, and resume onto it).
  std::optional<BaseModel> base;
  std::FILE *out = stdout;
};

struct TrainingSummary {
  int64_t firstStep = 0; // 0 for a fresh run, the checkpoint's step on resume
  int64_t lastStep = 0;
  double lastLoss = 0.0;
  double lastValidationLoss = -1.0; // -1: never evaluated
  /// Its parts (prompt learning: per task).
  std::vector<std::pair<std::string, double>> lastValidationParts;
  double tokensPerSecond = 0.0;
  /// f16 programs: steps skipped for overflowing gradients, and the last
  /// loss scale (1 without loss scaling).
  int64_t skippedSteps = 0;
  double lossScale = 1.0;
};

/// Text to print as a sample at step |step| (empty: nothing to show).
using SampleFunction = std::function<StatusOr<std::string>(int64_t step)>;

StatusOr<TrainingSummary> runTraining(Executor &executor, ModelProgram &program,
                                      TrainingData &data,
                                      const TrainingOptions &options,
                                      const SampleFunction &sample = nullptr);

/// |data|'s validation loss with dropout off.
StatusOr<ValidationLoss> validationLoss(Executor &executor,
                                        ModelProgram &program,
                                        TrainingData &data, int64_t batches);

} // namespace strata::runtime::training

#endif // STRATA_RUNTIME_TRAINING_TRAINER_H
