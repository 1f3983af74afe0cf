//===- training_command.h - strata-run train --data -------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Training with --data: on a text corpus (tokenize and cache it, split off
// the validation part), or, for a prompt-learning artifact, on NeMo's
// JSON-lines task examples (--data and --validation-data) with the
// adapters training on a frozen base (--base-checkpoint or the
// description's language_model_path). Then the training loop
// (runtime/training/trainer.h) with the schedule, evaluation, checkpoints
// and resume the flags ask for.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_TOOLING_TRAINING_COMMAND_H
#define STRATA_RUNTIME_TOOLING_TRAINING_COMMAND_H

#include "runtime/training/trainer.h"
#include "runtime/training/training_config.h"
#include "runtime/support/status.h"

#include <cstdint>
#include <string>

namespace strata::runtime {

struct DataTrainingOptions {
  std::string artifact;
  std::string data;
  /// Prompt-learning data: the validation examples (JSON lines).
  std::string validationData;
  /// Initial parameters (Hugging Face safetensors); empty: initializers.
  std::string checkpoint;
  /// A model with adapters: the frozen base (empty: the description's
  /// language_model_path).
  std::string baseCheckpoint;
  std::string tokenizer;
  std::string cacheDir;
  double validationFraction = 0.05;
  int64_t microBatchSize = 0; // 0: the artifact's; must equal it
  int64_t seqLength = 0;      // 0: the artifact's; must equal it
  /// Hyperparameter flags; the rest come from the artifact's description
  /// or the built-in defaults (training_config.h) into |loop|.
  training::TrainingFlags flags;
  /// What --sample-every continues, and for how many tokens.
  std::string samplePrompt = "The";
  int64_t sampleTokens = 32;
  int threads = 0;
  training::TrainingOptions loop;
};

/// The directory of GPT-2's encoder.json and vocab.bpe: |flag| when set,
/// else $STRATA_TOKENIZER_DIR, else the project's data/gpt2-tokenizer.
std::string resolveTokenizerDirectory(const std::string &flag);

Status runDataTrainingCommand(DataTrainingOptions options);

/// strata-run train --print-config: the effective hyperparameters of
/// training |artifact| with |flags|, each with its source, on stdout.
Status runPrintTrainingConfig(const std::string &artifact,
                              const training::TrainingFlags &flags,
                              training::TrainingMode mode);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_TOOLING_TRAINING_COMMAND_H
