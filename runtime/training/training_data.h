//===- training_data.h - what the training loop trains on -------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The training loop (trainer.h) asks its data for three things: the batch
// of training samples [first, first + rows) of the run's order (a pure
// function of the position, so a checkpoint stores only the number of
// samples consumed), the validation loss, and a fingerprint that a resumed
// run must match. Two kinds of data exist:
//
//  - CorpusData: a text corpus cut into samples of seq + 1 tokens
//    (batches.h), validation split off its end;
//  - PromptData (prompt_data.h): prompt-learning JSON lines, with a
//    validation file, whose loss is reported per task as well.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_TRAINING_TRAINING_DATA_H
#define STRATA_RUNTIME_TRAINING_TRAINING_DATA_H

#include "runtime/data/batches.h"
#include "runtime/executor/model_program.h"
#include "runtime/executor/token_batch.h"
#include "runtime/support/status.h"

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace strata::runtime::training {

/// Token rows [rows, seq + 1] (labels are the next tokens), or explicit
/// labels and virtual tokens.
using TrainingBatch = std::variant<io::HostTensor, TokenBatch>;

struct ValidationLoss {
  double loss = 0.0;
  /// Named parts (prompt learning: one per task), in a fixed order.
  std::vector<std::pair<std::string, double>> parts;
};

class TrainingData {
public:
  virtual ~TrainingData() = default;

  /// Identifies the data, its split and its order (not the seed, which the
  /// checkpoint stores on its own).
  virtual const std::string &fingerprint() const = 0;
  /// Training samples [first, first + rows) of the run.
  virtual TrainingBatch batch(int64_t first, int64_t rows) = 0;
  /// The validation loss with the executor's current parameters (the
  /// caller turns dropout off); |batches| bounds the work where the data
  /// has more validation samples than that.
  virtual StatusOr<ValidationLoss> validate(ModelProgram &program,
                                            int64_t batches) = 0;
};

/// A split text corpus.
class CorpusData final : public TrainingData {
public:
  CorpusData(data::SplitCorpus corpus, std::string fingerprint, uint64_t seed);
  // The sampler points into the corpus.
  CorpusData(const CorpusData &) = delete;
  CorpusData &operator=(const CorpusData &) = delete;

  const std::string &fingerprint() const override { return fingerprint_; }
  TrainingBatch batch(int64_t first, int64_t rows) override;
  /// The mean loss of |batches| micro-batches from the start of the
  /// validation samples (the same ones every time).
  StatusOr<ValidationLoss> validate(ModelProgram &program,
                                    int64_t batches) override;

private:
  data::SplitCorpus corpus_;
  std::string fingerprint_;
  data::ShuffledSampler sampler_;
};

} // namespace strata::runtime::training

#endif // STRATA_RUNTIME_TRAINING_TRAINING_DATA_H
