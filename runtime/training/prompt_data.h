//===- prompt_data.h - prompt-learning JSON lines to train on ---*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The training data of a prompt-learning model: the examples of a training
// file in the resumable shuffled order (prompt_dataset.h), rows of every
// task mixed in each batch, and the examples of a validation file.
//
// The validation loss is the mean cross-entropy over every counted label
// (the answer's tokens under answer-only loss) of the validation examples,
// and the same per task: each task's examples run in micro-batches of their
// own (a last, partial one padded with rows whose labels are all ignored),
// each micro-batch's mean weighted by its counted labels. So a task's loss
// does not depend on the other tasks' examples or on the micro-batch size.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_TRAINING_PROMPT_DATA_H
#define STRATA_RUNTIME_TRAINING_PROMPT_DATA_H

#include "runtime/data/prompt_dataset.h"
#include "runtime/training/training_data.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace strata::runtime::training {

class PromptData final : public TrainingData {
public:
  /// |validation| may be absent (no validation loss then).
  /// |virtualTokens|: whether the program takes virtual tokens (LoRA alone
  /// trains on task examples without any).
  PromptData(data::PromptDataset train,
             std::optional<data::PromptDataset> validation,
             std::string fingerprint, uint64_t seed, bool virtualTokens);
  // The sampler points into the training examples.
  PromptData(const PromptData &) = delete;
  PromptData &operator=(const PromptData &) = delete;

  const std::string &fingerprint() const override { return fingerprint_; }
  TrainingBatch batch(int64_t first, int64_t rows) override;
  /// The loss over each task's first |batches| micro-batches of validation
  /// examples (all of them when there are fewer), and per task.
  StatusOr<ValidationLoss> validate(ModelProgram &program,
                                    int64_t batches) override;

  bool hasValidation() const { return validation_.has_value(); }

private:
  data::PromptDataset train_;
  std::optional<data::PromptDataset> validation_;
  std::string fingerprint_;
  data::PromptSampler sampler_;
  bool virtualTokens_;
  /// The validation examples of each task, in file order.
  std::vector<std::vector<int64_t>> validationByTask_;
};

/// A fingerprint of prompt-learning data: the bytes of |files| (training,
/// then validation), the sequence length and |tokenizerFingerprint|.
StatusOr<std::string> promptDataFingerprint(
    const std::vector<std::string> &files, int64_t seqLength,
    uint64_t tokenizerFingerprint);

} // namespace strata::runtime::training

#endif // STRATA_RUNTIME_TRAINING_PROMPT_DATA_H
