//===- prompt_samples.cc - one prompt-learning sample from its fields -----===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/data/prompt_samples.h"

#include <algorithm>
#include <cassert>

namespace strata::runtime::data {

namespace {

using Kind = PromptPiece::Kind;

std::string quoted(const std::string &s) { return "\"" + s + "\""; }

std::string joined(const std::vector<std::string> &names) {
  std::string out;
  for (const std::string &name : names)
    out += (out.empty() ? "" : ", ") + name;
  return out;
}

/// Whether piece |i| is a literal ending in the space that belongs to the
/// field after it.
bool givesSpaceToNextField(const std::vector<PromptPiece> &pieces, size_t i) {
  return pieces[i].kind == Kind::Text && !pieces[i].text.empty() &&
         pieces[i].text.back() == ' ' && i + 1 < pieces.size() &&
         pieces[i + 1].kind == Kind::Field;
}

/// The fields a sample needs: the template's, without the answer for a
/// generation prompt. |fields| must hold those; for a generation prompt it
/// may hold the answer too.
Status checkFields(const PromptTask &task, const PromptFields &fields,
                   bool generation) {
  const std::vector<std::string> names = task.parsed.fields();
  for (const auto &[name, value] : fields)
    if (std::find(names.begin(), names.end(), name) == names.end())
      return Status::invalidArgument(
          "task " + quoted(task.name) + " has no field " + quoted(name) +
          " (its template's fields: " + joined(names) + ")");
  for (const std::string &name : names) {
    if (generation && name == task.answerField)
      continue;
    if (!fields.count(name))
      return Status::invalidArgument(
          "field " + quoted(name) + " of task " + quoted(task.name) +
          " is missing (its template's fields: " + joined(names) +
          (generation && !task.answerField.empty()
               ? "; " + task.answerField + " is generated)"
               : ")"));
  }
  return Status::ok();
}

StatusOr<PromptSample> buildSample(const PromptTaskSet &tasks, size_t taskIndex,
                                   const PromptFields &fields,
                                   const tokenizer::Tokenizer &tokenizer,
                                   tokenizer::EncodeCache *cache,
                                   bool generation) {
  if (taskIndex >= tasks.tasks.size())
    return Status::invalidArgument(
        "task index " + std::to_string(taskIndex) + " is not below the " +
        std::to_string(tasks.tasks.size()) + " tasks");
  const PromptTask &task = tasks.tasks[taskIndex];
  STRATA_RETURN_IF_ERROR(checkFields(task, fields, generation));
  tokenizer::EncodeCache localCache;
  if (!cache)
    cache = &localCache;

  PromptSample sample;
  sample.task = taskIndex;
  auto append = [&](int32_t id, int32_t row, bool inAnswer) {
    sample.ids.push_back(id);
    sample.virtualRows.push_back(row);
    sample.inAnswer.push_back(inAnswer ? 1 : 0);
  };
  auto appendText = [&](std::string_view text, bool inAnswer) {
    std::vector<int32_t> ids;
    tokenizer.encode(text, ids, *cache);
    for (int32_t id : ids)
      append(id, -1, inAnswer);
  };

  const int32_t endOfText = tokenizer.endOfTextId();
  const std::vector<PromptPiece> &pieces = task.parsed.pieces;
  int64_t virtualRow = tasks.offsetOf(taskIndex);
  for (size_t i = 0; i < pieces.size(); ++i) {
    const PromptPiece &piece = pieces[i];
    switch (piece.kind) {
    case Kind::Virtual: {
      const size_t marker = static_cast<size_t>(piece.virtualIndex);
      if (marker >= task.virtualTokenSplits.size()) {
        std::vector<std::string> splits;
        for (int64_t n : task.virtualTokenSplits)
          splits.push_back(std::to_string(n));
        const std::string name =
            "<|VIRTUAL_PROMPT_" + std::to_string(marker) + "|>";
        return Status::invalidArgument(
            "task " + quoted(task.name) + ": its template has " + name +
            " but virtual_token_splits [" + joined(splits) +
            "] has no entry for it");
      }
      for (int64_t k = 0; k < task.virtualTokenSplits[marker]; ++k)
        append(endOfText, static_cast<int32_t>(virtualRow++), false);
      break;
    }
    case Kind::Text: {
      std::string_view text = piece.text;
      if (givesSpaceToNextField(pieces, i))
        text.remove_suffix(1);
      appendText(text, false);
      break;
    }
    case Kind::Field: {
      const bool isAnswer = piece.text == task.answerField;
      if (generation && isAnswer)
        return sample;
      std::string value = fields.at(piece.text);
      if (i > 0 && givesSpaceToNextField(pieces, i - 1))
        value.insert(value.begin(), ' ');
      const bool truncates = piece.text == task.truncateField;
      if (truncates)
        sample.truncateBegin = sample.size();
      appendText(value, isAnswer);
      if (truncates)
        sample.truncateEnd = sample.size();
      break;
    }
    }
  }
  if (!generation)
    append(endOfText, -1, true);
  return sample;
}

} // namespace

StatusOr<size_t> findPromptTask(const PromptTaskSet &tasks,
                                const std::string &name) {
  if (std::optional<size_t> index = tasks.find(name))
    return *index;
  std::vector<std::string> names;
  for (const PromptTask &task : tasks.tasks)
    names.push_back(task.name);
  return Status::invalidArgument(
      "task " + quoted(name) + " is not among the model's tasks (" +
      (names.empty() ? std::string("none") : joined(names)) + ")");
}

StatusOr<PromptSample> buildTrainingSample(
    const PromptTaskSet &tasks, size_t task, const PromptFields &fields,
    const tokenizer::Tokenizer &tokenizer, tokenizer::EncodeCache *cache) {
  return buildSample(tasks, task, fields, tokenizer, cache,
                     /*generation=*/false);
}

StatusOr<PromptSample> buildGenerationPrompt(
    const PromptTaskSet &tasks, size_t task, const PromptFields &fields,
    const tokenizer::Tokenizer &tokenizer, tokenizer::EncodeCache *cache) {
  return buildSample(tasks, task, fields, tokenizer, cache,
                     /*generation=*/true);
}

std::string generationPromptText(const PromptTask &task,
                                 const PromptFields &fields) {
  const std::vector<PromptPiece> &pieces = task.parsed.pieces;
  std::string text;
  for (size_t i = 0; i < pieces.size(); ++i) {
    const PromptPiece &piece = pieces[i];
    switch (piece.kind) {
    case Kind::Virtual:
      text += "<|VIRTUAL_PROMPT_" + std::to_string(piece.virtualIndex) + "|>";
      break;
    case Kind::Text:
      text += piece.text;
      break;
    case Kind::Field:
      if (piece.text == task.answerField) {
        // The space before the answer is the answer's (buildSample).
        if (i > 0 && givesSpaceToNextField(pieces, i - 1))
          text.pop_back();
        return text;
      }
      auto value = fields.find(piece.text);
      if (value != fields.end())
        text += value->second;
      break;
    }
  }
  return text;
}

StatusOr<PromptFit> fitPromptSample(PromptSample &sample,
                                    const PromptTask &task, int64_t maxTokens) {
  const int64_t excess = sample.size() - maxTokens;
  if (excess <= 0)
    return PromptFit::Fits;
  if (task.truncateField.empty())
    return PromptFit::TooLong;
  const int64_t available = sample.truncateEnd - sample.truncateBegin;
  if (available < excess)
    return Status::invalidArgument(
        "task " + quoted(task.name) + ": the sample is " +
        std::to_string(excess) + " tokens too long (" +
        std::to_string(sample.size()) + " tokens, at most " +
        std::to_string(maxTokens) + " fit) and its truncate field " +
        quoted(task.truncateField) + " has only " + std::to_string(available));
  const int64_t cutBegin = sample.truncateEnd - excess;
  auto cut = [&](auto &v) {
    v.erase(v.begin() + cutBegin, v.begin() + sample.truncateEnd);
  };
  cut(sample.ids);
  cut(sample.virtualRows);
  cut(sample.inAnswer);
  sample.truncateEnd = cutBegin;
  return PromptFit::Truncated;
}

void writePromptRow(const PromptSample &sample, bool answerOnlyLoss,
                    int64_t seqLength, int32_t endOfText, int32_t *tokens,
                    int32_t *labels, int32_t *virtualTokens) {
  assert(sample.size() <= seqLength + 1 && "sample longer than a row");
  const int64_t inputs = std::max<int64_t>(sample.size() - 1, 0);
  for (int64_t j = 0; j < inputs; ++j) {
    tokens[j] = sample.ids[j];
    virtualTokens[j] = sample.virtualRows[j];
    const bool counts = answerOnlyLoss ? sample.inAnswer[j + 1] != 0
                                       : sample.virtualRows[j + 1] < 0;
    labels[j] = counts ? sample.ids[j + 1] : -1;
  }
  for (int64_t j = inputs; j < seqLength; ++j) {
    tokens[j] = endOfText;
    labels[j] = -1;
    virtualTokens[j] = -1;
  }
}

} // namespace strata::runtime::data
