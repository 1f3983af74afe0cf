//===- prompt_dataset.h - prompt-learning files into batches ----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A prompt-learning dataset is every example of a JSON-lines file
// (prompt_records.h) built into a training sample (prompt_samples.h) that
// fits the model's sequence length S: at most S + 1 tokens, after cutting
// the truncate field; without a truncate field a longer sample is skipped
// and counted per task. A batch of R rows is three I32 [R, S] tensors, the
// program's tokens, labels and virtual_tokens inputs (positions are
// 0..S-1 in every row). Rows of different tasks share batches freely.
//
// Training visits the samples in the resumable shuffled order of
// shuffled_order.h, as corpus training does, so a checkpoint stores only
// the number of samples consumed; validation reads them in file order.
//
// Usage:
//   STRATA_ASSIGN_OR_RETURN(PromptDataset train,
//       PromptDataset::load("train.jsonl", tasks, tokenizer, seq));
//   PromptSampler sampler(train, seed);
//   PromptBatch batch = sampler.batch(samplesConsumed, globalBatch);
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_DATA_PROMPT_DATASET_H
#define STRATA_RUNTIME_DATA_PROMPT_DATASET_H

#include "common/prompt_tasks.h"
#include "runtime/data/prompt_samples.h"
#include "runtime/data/shuffled_order.h"
#include "runtime/io/host_tensor.h"
#include "runtime/support/status.h"
#include "runtime/tokenizer/tokenizer.h"

#include <cstdint>
#include <string>
#include <vector>

namespace strata::runtime::data {

/// What loading made of one task's examples.
struct PromptTaskCounts {
  int64_t samples = 0;   // kept, truncated ones included
  int64_t truncated = 0; // kept after cutting the truncate field
  int64_t skipped = 0;   // too long, and the task has no truncate field
};

/// The program inputs of a batch: I32 [rows, seq] each.
struct PromptBatch {
  io::HostTensor tokens;
  io::HostTensor labels;
  io::HostTensor virtualTokens;
};

class PromptDataset {
public:
  /// Reads every example of |path| as a training sample of |seqLength|.
  /// Errors name the file and line (prompt_records.h, prompt_samples.h); a
  /// file without a sample to train on is an error too, saying how many
  /// were skipped as too long.
  static StatusOr<PromptDataset> load(const std::string &path,
                                      const PromptTaskSet &tasks,
                                      const tokenizer::Tokenizer &tokenizer,
                                      int64_t seqLength);

  int64_t size() const { return static_cast<int64_t>(samples_.size()); }
  int64_t seqLength() const { return seqLength_; }
  const PromptTaskSet &tasks() const { return tasks_; }
  /// The samples in file order.
  const PromptSample &sample(int64_t index) const { return samples_[index]; }
  /// One entry per task, in task order.
  const std::vector<PromptTaskCounts> &counts() const { return counts_; }
  /// For logs: "moby: 40 samples (3 truncated), union: 1 sample (2 skipped
  /// as too long)".
  std::string summary() const;

  /// Writes sample |index| as row |row| of |batch| (of seqLength()).
  void writeRow(int64_t index, PromptBatch &batch, int64_t row) const;

private:
  PromptDataset() = default;

  PromptTaskSet tasks_;
  int64_t seqLength_ = 0;
  int32_t endOfText_ = 0;
  std::vector<PromptSample> samples_;
  std::vector<PromptTaskCounts> counts_;
};

/// The training order of a dataset's samples: epoch after shuffled epoch.
class PromptSampler {
public:
  PromptSampler(const PromptDataset &dataset, uint64_t seed);

  /// Samples [first, first + rows) of the run.
  PromptBatch batch(int64_t first, int64_t rows);
  /// The epoch sample |k| belongs to.
  int64_t epochOf(int64_t k) const { return order_.epochOf(k); }

private:
  const PromptDataset *dataset_;
  ShuffledOrder order_;
};

/// Samples [first, first + rows) of |dataset| in file order (validation);
/// wraps around at the end.
PromptBatch sequentialPromptBatch(const PromptDataset &dataset, int64_t first,
                                  int64_t rows);

/// One line of a file of generation requests.
struct PromptRequest {
  PromptSample prompt;   // buildGenerationPrompt's
  std::string text;      // generationPromptText's, to show it
  int64_t line = 0;      // 1-based
};

/// The generation prompt of each example of |path|, a JSON-lines file of
/// requests (rows of any task), in file order; errors name the file and
/// line.
StatusOr<std::vector<PromptRequest>>
loadPromptRequests(const std::string &path, const PromptTaskSet &tasks,
                   const tokenizer::Tokenizer &tokenizer);

} // namespace strata::runtime::data

#endif // STRATA_RUNTIME_DATA_PROMPT_DATASET_H
