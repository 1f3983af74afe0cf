//===- prompt_dataset.cc - prompt-learning files into batches -------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/data/prompt_dataset.h"

#include "runtime/data/prompt_records.h"

namespace strata::runtime::data {

namespace {

PromptBatch makeBatch(int64_t rows, int64_t seqLength) {
  return {io::HostTensor(io::DType::I32, {rows, seqLength}),
          io::HostTensor(io::DType::I32, {rows, seqLength}),
          io::HostTensor(io::DType::I32, {rows, seqLength})};
}

int64_t totalSkipped(const std::vector<PromptTaskCounts> &counts) {
  int64_t skipped = 0;
  for (const PromptTaskCounts &c : counts)
    skipped += c.skipped;
  return skipped;
}

} // namespace

StatusOr<PromptDataset>
PromptDataset::load(const std::string &path, const PromptTaskSet &tasks,
                    const tokenizer::Tokenizer &tokenizer, int64_t seqLength) {
  if (seqLength < 1)
    return Status::invalidArgument("sequence length " +
                                   std::to_string(seqLength) +
                                   " should be at least 1");
  PromptDataset dataset;
  dataset.tasks_ = tasks;
  dataset.seqLength_ = seqLength;
  dataset.endOfText_ = tokenizer.endOfTextId();
  dataset.counts_.resize(tasks.tasks.size());
  tokenizer::EncodeCache cache;
  STRATA_RETURN_IF_ERROR(forEachPromptRecord(
      path, tasks, [&](const PromptRecord &record) -> Status {
        STRATA_ASSIGN_OR_RETURN(PromptSample sample,
                                buildTrainingSample(tasks, record.task,
                                                    record.fields, tokenizer,
                                                    &cache));
        STRATA_ASSIGN_OR_RETURN(
            PromptFit fit,
            fitPromptSample(sample, tasks.tasks[record.task], seqLength + 1));
        PromptTaskCounts &counts = dataset.counts_[record.task];
        if (fit == PromptFit::TooLong) {
          ++counts.skipped;
          return Status::ok();
        }
        if (fit == PromptFit::Truncated)
          ++counts.truncated;
        ++counts.samples;
        dataset.samples_.push_back(std::move(sample));
        return Status::ok();
      }));
  if (dataset.samples_.empty()) {
    if (totalSkipped(dataset.counts_) == 0)
      return Status::invalidArgument(path + ": no examples");
    return Status::invalidArgument(
        path + ": no example fits sequence length " +
        std::to_string(seqLength) + " (" + dataset.summary() +
        "); give the tasks a truncate_field or use a longer sequence");
  }
  return dataset;
}

std::string PromptDataset::summary() const {
  std::string out;
  for (size_t t = 0; t < counts_.size(); ++t) {
    const PromptTaskCounts &c = counts_[t];
    out += (out.empty() ? "" : ", ") + tasks_.tasks[t].name + ": " +
           std::to_string(c.samples) +
           (c.samples == 1 ? " sample" : " samples");
    std::string notes;
    if (c.truncated)
      notes += std::to_string(c.truncated) + " truncated";
    if (c.skipped)
      notes += (notes.empty() ? "" : ", ") + std::to_string(c.skipped) +
               " skipped as too long";
    if (!notes.empty())
      out += " (" + notes + ")";
  }
  return out;
}

void PromptDataset::writeRow(int64_t index, PromptBatch &batch,
                             int64_t row) const {
  const PromptSample &s = samples_[index];
  const int64_t offset = row * seqLength_;
  writePromptRow(s, tasks_.tasks[s.task].answerOnlyLoss, seqLength_, endOfText_,
                 batch.tokens.data<int32_t>() + offset,
                 batch.labels.data<int32_t>() + offset,
                 batch.virtualTokens.data<int32_t>() + offset);
}

PromptSampler::PromptSampler(const PromptDataset &dataset, uint64_t seed)
    : dataset_(&dataset), order_(dataset.size(), seed) {}

PromptBatch PromptSampler::batch(int64_t first, int64_t rows) {
  PromptBatch out = makeBatch(rows, dataset_->seqLength());
  for (int64_t r = 0; r < rows; ++r)
    dataset_->writeRow(order_.sampleAt(first + r), out, r);
  return out;
}

PromptBatch sequentialPromptBatch(const PromptDataset &dataset, int64_t first,
                                  int64_t rows) {
  PromptBatch out = makeBatch(rows, dataset.seqLength());
  for (int64_t r = 0; r < rows; ++r)
    dataset.writeRow((first + r) % dataset.size(), out, r);
  return out;
}

StatusOr<std::vector<PromptRequest>>
loadPromptRequests(const std::string &path, const PromptTaskSet &tasks,
                   const tokenizer::Tokenizer &tokenizer) {
  std::vector<PromptRequest> prompts;
  tokenizer::EncodeCache cache;
  STRATA_RETURN_IF_ERROR(forEachPromptRecord(
      path, tasks, [&](const PromptRecord &record) -> Status {
        PromptRequest request;
        STRATA_ASSIGN_OR_RETURN(request.prompt,
                                buildGenerationPrompt(tasks, record.task,
                                                      record.fields, tokenizer,
                                                      &cache));
        request.text =
            generationPromptText(tasks.tasks[record.task], record.fields);
        request.line = record.line;
        prompts.push_back(std::move(request));
        return Status::ok();
      }));
  if (prompts.empty())
    return Status::invalidArgument(path + ": no requests");
  return prompts;
}

} // namespace strata::runtime::data
