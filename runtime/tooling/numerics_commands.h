//===- numerics_commands.h - strata-run eval | grad | train -----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The numerics interface (docs/cli.md): run a compiled model on a token
// batch T [rows, seq + 1] from a checkpoint and write what a reference
// implementation can be compared with, as safetensors:
//   eval:  logits [rows, seq, vocab] and loss
//   grad:  loss and grad.<Hugging Face name> per trainable parameter
//   train: the parameters after N AdamW steps (Hugging Face names)
// Dropout is off in all three.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_TOOLING_NUMERICS_COMMANDS_H
#define STRATA_RUNTIME_TOOLING_NUMERICS_COMMANDS_H

#include "runtime/executor/model_program.h"
#include "runtime/training/training_config.h"
#include "runtime/support/status.h"

#include <cstdint>
#include <string>

namespace strata::runtime {

struct NumericsOptions {
  std::string artifact;
  /// A Hugging Face safetensors checkpoint, a training checkpoint's
  /// directory, or an adapter checkpoint (loadModelCheckpoint); empty:
  /// initialize from |seed|.
  std::string checkpoint;
  /// An adapter checkpoint's base (eval, grad); empty: the recorded one.
  std::string baseCheckpoint;
  uint64_t seed = 1234;
  std::string tokens;
  /// Explicit labels [rows, seq] (-1 ignored) and virtual tokens: then
  /// |tokens| is [rows, seq] (docs/prompt-learning.md).
  std::string labels;
  std::string virtualTokens;
  std::string out;
  int threads = 0;
  /// Print time per kernel at the end.
  bool profile = false;
};

struct TrainOptions {
  /// Hyperparameter flags over the description's values (steps and the
  /// optimizer's; the rate is constant).
  training::TrainingFlags flags;
  std::string save;
  /// f16 programs: the floor of the dynamic loss scale.
  double minLossScale = 1.0;
};

Status runEvalCommand(const NumericsOptions &options);
Status runGradCommand(const NumericsOptions &options);
Status runTrainCommand(const NumericsOptions &options,
                       const TrainOptions &train);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_TOOLING_NUMERICS_COMMANDS_H
