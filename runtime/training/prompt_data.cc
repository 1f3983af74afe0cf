//===- prompt_data.cc - prompt-learning JSON lines to train on ------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/training/prompt_data.h"

#include "common/fnv1a.h"
#include "runtime/io/file_io.h"

#include <algorithm>
#include <cstdio>

namespace strata::runtime::training {

namespace {

TokenBatch toTokenBatch(data::PromptBatch batch, bool virtualTokens) {
  TokenBatch out;
  out.tokens = std::move(batch.tokens);
  out.labels = std::move(batch.labels);
  if (virtualTokens)
    out.virtualTokens = std::move(batch.virtualTokens);
  return out;
}

int64_t countedLabels(const io::HostTensor &labels) {
  const int32_t *data = labels.data<int32_t>();
  return std::count_if(data, data + labels.numElements(),
                       [](int32_t label) { return label >= 0; });
}

} // namespace

PromptData::PromptData(data::PromptDataset train,
                       std::optional<data::PromptDataset> validation,
                       std::string fingerprint, uint64_t seed,
                       bool virtualTokens)
    : train_(std::move(train)), validation_(std::move(validation)),
      fingerprint_(std::move(fingerprint)), sampler_(train_, seed),
      virtualTokens_(virtualTokens) {
  if (validation_) {
    validationByTask_.resize(validation_->tasks().tasks.size());
    for (int64_t i = 0; i < validation_->size(); ++i)
      validationByTask_[validation_->sample(i).task].push_back(i);
  }
}

TrainingBatch PromptData::batch(int64_t first, int64_t rows) {
  return toTokenBatch(sampler_.batch(first, rows), virtualTokens_);
}

StatusOr<ValidationLoss> PromptData::validate(ModelProgram &program,
                                              int64_t batches) {
  if (!validation_)
    return Status::failedPrecondition(
        "no validation data: give --validation-data FILE.jsonl");
  const int64_t rows = program.microBatchSize();
  const int64_t seq = validation_->seqLength();
  double lossSum = 0.0;
  int64_t counted = 0;
  ValidationLoss out;
  for (size_t task = 0; task < validationByTask_.size(); ++task) {
    const std::vector<int64_t> &examples = validationByTask_[task];
    if (examples.empty())
      continue;
    double taskSum = 0.0;
    int64_t taskCounted = 0;
    const int64_t limit = std::min<int64_t>(
        examples.size(), std::max<int64_t>(batches, 1) * rows);
    for (int64_t first = 0; first < limit; first += rows) {
      // Padding rows: a real token, no label, no virtual token.
      data::PromptBatch batch{io::HostTensor(io::DType::I32, {rows, seq}),
                              io::HostTensor(io::DType::I32, {rows, seq}),
                              io::HostTensor(io::DType::I32, {rows, seq})};
      std::fill_n(batch.tokens.data<int32_t>(), rows * seq, 0);
      std::fill_n(batch.labels.data<int32_t>(), rows * seq, -1);
      std::fill_n(batch.virtualTokens.data<int32_t>(), rows * seq, -1);
      for (int64_t r = 0; r < rows && first + r < limit; ++r)
        validation_->writeRow(examples[first + r], batch, r);
      const int64_t count = countedLabels(batch.labels);
      if (count == 0)
        continue;
      STRATA_ASSIGN_OR_RETURN(
          Evaluation evaluation,
          program.evaluate(toTokenBatch(std::move(batch), virtualTokens_),
                           /*keepLogits=*/false));
      taskSum += evaluation.loss * double(count);
      taskCounted += count;
    }
    if (taskCounted == 0)
      continue;
    out.parts.emplace_back(validation_->tasks().tasks[task].name,
                           taskSum / double(taskCounted));
    lossSum += taskSum;
    counted += taskCounted;
  }
  if (counted == 0)
    return Status::failedPrecondition(
        "the validation examples have no label to score (every answer was "
        "cut off?)");
  out.loss = lossSum / double(counted);
  return out;
}

StatusOr<std::string>
promptDataFingerprint(const std::vector<std::string> &files, int64_t seqLength,
                      uint64_t tokenizerFingerprint) {
  uint64_t hash = kFnv1aOffset;
  const uint8_t fileEnd = 0xff;
  for (const std::string &file : files) {
    STRATA_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes,
                            io::readWholeFile(file));
    hash = fnv1a(bytes.data(), bytes.size(), hash);
    hash = fnv1a(&fileEnd, 1, hash); // where one file ends
  }
  for (int shift = 0; shift < 64; shift += 8) {
    const uint8_t bytes[2] = {
        static_cast<uint8_t>(uint64_t(seqLength) >> shift),
        static_cast<uint8_t>(tokenizerFingerprint >> shift)};
    hash = fnv1a(bytes, 2, hash);
  }
  char text[48];
  std::snprintf(text, sizeof(text), "prompts@%016llx",
                static_cast<unsigned long long>(hash));
  return std::string(text);
}

} // namespace strata::runtime::training
