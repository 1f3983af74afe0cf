//===- prompt_samples.h - one prompt-learning sample ------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// How one example of a prompt-learning task becomes tokens, after NeMo's
// GPTPromptLearningDataset (docs/prompt-learning.md, "Data"):
//
//  - The template's pieces in order: <|VIRTUAL_PROMPT_i|> gives
//    virtual_token_splits[i] virtual tokens, a literal its text, a {field}
//    the example's value. Each literal and each value is tokenized on its
//    own and the ids are concatenated, so the tokens of every field are known
//    exactly (the answer's for the loss, the truncate field's for cutting).
//  - A space right before a {field} belongs to the field: the literal drops
//    it and the value is tokenized as " " + value. GPT-2's pre-tokenizer
//    joins a space to the word after it, so this gives the ids of the whole
//    filled-in template, which NeMo tokenizes (" Paris", not " " "Paris"),
//    and a generation prompt ends before the space its answer starts with.
//  - A virtual token holds the end-of-text id and its global virtual row
//    (common/prompt_tasks.h): the task's offset plus the token's index
//    within the task, counted across the markers in order.
//  - A training sample ends with the end-of-text id; a generation prompt
//    stops before the answer field and has none.
//
// Usage:
//   STRATA_ASSIGN_OR_RETURN(PromptSample s,
//       buildTrainingSample(tasks, task, fields, tokenizer));
//   STRATA_ASSIGN_OR_RETURN(PromptFit fit,
//       fitPromptSample(s, tasks.tasks[task], seq + 1));
//   if (fit != PromptFit::TooLong)
//     writePromptRow(s, tasks.tasks[task].answerOnlyLoss, seq, eot,
//                    tokens, labels, virtualTokens);
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_DATA_PROMPT_SAMPLES_H
#define STRATA_RUNTIME_DATA_PROMPT_SAMPLES_H

#include "common/prompt_tasks.h"
#include "runtime/support/status.h"
#include "runtime/tokenizer/tokenizer.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace strata::runtime::data {

/// An example's field values by field name (no "taskname").
using PromptFields = std::map<std::string, std::string>;

/// One tokenized sample; the vectors run in parallel, one entry per token.
struct PromptSample {
  /// The task's index in its PromptTaskSet.
  size_t task = 0;
  /// Token ids; the end-of-text id at virtual tokens.
  std::vector<int32_t> ids;
  /// The global virtual row of each virtual token, -1 at real tokens.
  std::vector<int32_t> virtualRows;
  /// 1 at the answer field's tokens and the final end-of-text, else 0: the
  /// targets answer-only loss keeps.
  std::vector<uint8_t> inAnswer;
  /// The truncate field's tokens are [truncateBegin, truncateEnd) (empty
  /// when the task has no truncate field).
  int64_t truncateBegin = 0;
  int64_t truncateEnd = 0;

  int64_t size() const { return static_cast<int64_t>(ids.size()); }
};

/// The index of the task named |name|; else an error listing the tasks:
/// `task "squad" is not among the model's tasks (moby, union)` (the model:
/// its description, or the artifact compiled from it).
StatusOr<size_t> findPromptTask(const PromptTaskSet &tasks,
                                const std::string &name);

/// The training sample of |fields| for task |task| of |tasks|: the whole
/// template, answer included, then end-of-text. |fields| must hold every
/// field of the template and no other. |cache| (may be null) speeds up
/// tokenizing many samples. Errors, without a location (callers add it):
/// `field "context" of task "moby" is missing (its template's fields:
/// context, answer)`, `task "moby" has no field "contxt" (its template's
/// fields: context, answer)`, and a template whose markers
/// virtual_token_splits does not cover.
StatusOr<PromptSample>
buildTrainingSample(const PromptTaskSet &tasks, size_t task,
                    const PromptFields &fields,
                    const tokenizer::Tokenizer &tokenizer,
                    tokenizer::EncodeCache *cache = nullptr);

/// The prompt `strata-run generate --task` continues: the template up to its
/// answer field (all of it when the task has none), without end-of-text;
/// inAnswer is all 0. The answer field may be given (it is ignored), every
/// other field must be; errors as buildTrainingSample's, a missing field's
/// ending `(its template's fields: context, answer; answer is generated)`.
StatusOr<PromptSample>
buildGenerationPrompt(const PromptTaskSet &tasks, size_t task,
                      const PromptFields &fields,
                      const tokenizer::Tokenizer &tokenizer,
                      tokenizer::EncodeCache *cache = nullptr);

/// The text of buildGenerationPrompt's prompt, to show it: the template up
/// to the answer field (and the space before it) with the fields filled in
/// and the <|VIRTUAL_PROMPT_N|> markers kept, e.g. `<|VIRTUAL_PROMPT_0|>
/// Call me Ishmael. Continue:`. |fields| must hold the prompt's fields
/// (buildGenerationPrompt checked them).
std::string generationPromptText(const PromptTask &task,
                                 const PromptFields &fields);

enum class PromptFit {
  Fits,      // already at most the limit
  Truncated, // the end of the truncate field was cut to fit
  TooLong,   // longer, and the task has no truncate field: skip it
};

/// Makes |sample| (of task |task|) at most |maxTokens| tokens (seq + 1 for
/// training) by removing tokens from the end of its truncate field. Leaves
/// it unchanged unless the result is Truncated. An error when the truncate
/// field has fewer tokens than the excess: `task "moby": the sample is 23
/// tokens too long (40 tokens, at most 17 fit) and its truncate field
/// "context" has only 12`.
StatusOr<PromptFit> fitPromptSample(PromptSample &sample,
                                    const PromptTask &task, int64_t maxTokens);

/// Writes |sample| (at most |seqLength| + 1 tokens) as one row of model
/// inputs, |seqLength| entries each: tokens = ids without the last,
/// labels = the next ids, virtualTokens = the rows without the last; the
/// rest is padding (end-of-text, label -1, row -1). A label is -1 when its
/// target is a virtual token and, with |answerOnlyLoss|, unless its target
/// is in the answer (inAnswer).
void writePromptRow(const PromptSample &sample, bool answerOnlyLoss,
                    int64_t seqLength, int32_t endOfText, int32_t *tokens,
                    int32_t *labels, int32_t *virtualTokens);

} // namespace strata::runtime::data

#endif // STRATA_RUNTIME_DATA_PROMPT_SAMPLES_H
