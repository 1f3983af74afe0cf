//===- prompt_test_tasks.h - tasks of the prompt tests ----------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Test-only: the real GPT-2 tokenizer (data/gpt2-tokenizer) and two tasks
// with two virtual markers each, so offsets and marker order both show:
//
//   moby  (rows 0..4): "<|VIRTUAL_PROMPT_0|> {context} Continue:"
//                      "<|VIRTUAL_PROMPT_1|> {answer}", splits 3 + 2,
//                      truncate_field context, answer-only loss;
//   union (rows 5..8): "<|VIRTUAL_PROMPT_0|>Speech: {speech}"
//                      "<|VIRTUAL_PROMPT_1|>\nTopic: {topic}", splits 1 + 3,
//                      no truncate field, loss on every real token.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_DATA_PROMPT_TEST_TASKS_H
#define STRATA_RUNTIME_DATA_PROMPT_TEST_TASKS_H

#include "common/prompt_tasks.h"
#include "runtime/tokenizer/tokenizer.h"

#include <cstdio>
#include <cstdlib>

namespace strata::runtime::data::testing {

/// GPT-2's ids of the text the tests use (OpenAI's encoder.py).
inline constexpr int32_t kEot = 50256;

inline const tokenizer::Tokenizer &gpt2() {
  static const tokenizer::Tokenizer *loaded = [] {
    StatusOr<tokenizer::Tokenizer> t =
        tokenizer::Tokenizer::load(STRATA_GPT2_TOKENIZER_DIR);
    if (!t.isOk()) {
      std::fprintf(stderr, "%s\n", t.status().toString().c_str());
      std::abort();
    }
    return new tokenizer::Tokenizer(std::move(t).value());
  }();
  return *loaded;
}

inline PromptTask makeTask(const std::string &name, const std::string &text,
                           std::vector<int64_t> splits) {
  PromptTask task;
  task.name = name;
  task.templateText = text;
  Checked<PromptTemplate> parsed = parsePromptTemplate(text);
  if (!parsed.isOk()) {
    std::fprintf(stderr, "%s\n", parsed.error().c_str());
    std::abort();
  }
  task.parsed = *parsed;
  task.virtualTokenSplits = std::move(splits);
  for (int64_t n : task.virtualTokenSplits)
    task.totalVirtualTokens += n;
  return task;
}

inline PromptTaskSet mobyAndUnion() {
  PromptTask moby = makeTask(
      "moby",
      "<|VIRTUAL_PROMPT_0|> {context} Continue:<|VIRTUAL_PROMPT_1|> {answer}",
      {3, 2});
  moby.truncateField = "context";
  moby.answerOnlyLoss = true;
  moby.answerField = "answer";
  PromptTask speech = makeTask("union",
                               "<|VIRTUAL_PROMPT_0|>Speech: "
                               "{speech}<|VIRTUAL_PROMPT_1|>\nTopic: {topic}",
                               {1, 3});
  speech.answerField = "topic";
  PromptTaskSet set;
  set.tasks = {moby, speech};
  return set;
}

} // namespace strata::runtime::data::testing

#endif // STRATA_RUNTIME_DATA_PROMPT_TEST_TASKS_H
