//===- prompt_tasks.h - prompt-learning tasks as plain data -----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// What the frontend, the compiler and the runtime share about prompt
// learning (docs/prompt-learning.md): the tasks of a description's
// `task_templates` (those `existing_tasks` and `new_tasks` name), parsed
// templates, and where each task's virtual tokens sit in the one
// `virtual_tokens` input of a program. With virtual_prompt_style every task
// has virtual tokens; with LoRA alone no task has any (its template has no
// markers, total_virtual_tokens is 0) and the program has no
// `virtual_tokens` input.
//
// The `virtual_tokens` input ([batch, seq] i32) says, per position, -1 for
// a real token (read from `tokens`) or the *global virtual row* of a virtual
// token: the offset of the row's task (the sum of total_virtual_tokens of
// the tasks before it, in task order) plus the index of the virtual token
// within its task (0 .. total_virtual_tokens - 1, in template order). One
// batch may mix tasks; each task's table covers its own rows only.
//
// Usage:
//   Checked<PromptTemplate> t = parsePromptTemplate(
//       "<|VIRTUAL_PROMPT_0|> {context} Answer: {answer}");
//   // t->pieces: virtual 0, text " ", field context, text " Answer: ",
//   //            field answer
//   PromptTaskSet set = ...;            // tasks in order
//   int64_t row = set.offsetOf(1) + 3;  // task 1's virtual token 3
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMMON_PROMPT_TASKS_H
#define STRATA_COMMON_PROMPT_TASKS_H

#include "common/checked.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

/// The training artifact's function that returns p-tuning's tables, one
/// result per task whose table a prompt encoder computes, each named by
/// promptTableName (Function.result_names); the trainer writes them into
/// every checkpoint, and an inference artifact reads them as parameters.
inline constexpr const char *kPromptTablesFunction = "prompt_tables";

/// "prompt_table.<task>.weight": a task's virtual-token table, a parameter
/// of prompt tuning and of p-tuning's inference artifacts.
inline std::string promptTableName(std::string_view task) {
  return "prompt_table." + std::string(task) + ".weight";
}

/// One piece of a prompt template, in order.
struct PromptPiece {
  enum class Kind { Text, Field, Virtual };
  Kind kind = Kind::Text;
  /// Text: the literal text. Field: the field's name (without braces).
  std::string text;
  /// Virtual: the N of <|VIRTUAL_PROMPT_N|>.
  int64_t virtualIndex = 0;

  bool operator==(const PromptPiece &o) const {
    return kind == o.kind && text == o.text && virtualIndex == o.virtualIndex;
  }
};

/// A parsed `prompt_template`: literal text, `{field}` references and
/// `<|VIRTUAL_PROMPT_N|>` markers, numbered 0, 1, ... in order of
/// appearance, each once. A template without markers has no virtual tokens
/// (a task of LoRA alone); whether a task needs markers depends on the
/// description's style, which the frontend checks, not the parser.
struct PromptTemplate {
  std::vector<PromptPiece> pieces;

  /// The field names in order of appearance (each once).
  std::vector<std::string> fields() const;
  /// The number of <|VIRTUAL_PROMPT_N|> markers.
  int64_t virtualMarkers() const;
};

/// Parses |text|. Errors name the offending text and its character offset:
/// an unclosed `{` or marker, an empty or repeated field, markers out of
/// order or repeated.
Checked<PromptTemplate> parsePromptTemplate(std::string_view text);

/// How virtual tokens are produced for the tasks of a description.
enum class VirtualPromptStyle { PromptTuning, PTuning };
/// NeMo's spellings: "prompt-tuning", "p-tuning".
const char *toString(VirtualPromptStyle style);
std::optional<VirtualPromptStyle> parseVirtualPromptStyle(std::string_view s);

/// One task (an entry of `task_templates` named by `existing_tasks` or
/// `new_tasks`): with virtual tokens under a virtual prompt style, without
/// (totalVirtualTokens 0, no markers, no splits) under LoRA alone.
struct PromptTask {
  std::string name;             // taskname
  std::string templateText;     // prompt_template, verbatim
  PromptTemplate parsed;        // the same, parsed
  int64_t totalVirtualTokens = 0;
  /// Virtual tokens at each marker, each positive; sums to
  /// totalVirtualTokens. A template with one marker and no
  /// `virtual_token_splits` gets {total}; one without markers gets {}.
  std::vector<int64_t> virtualTokenSplits;
  /// The field whose tokens are cut when a sample is too long; empty:
  /// such samples are skipped (and counted).
  std::string truncateField;
  /// Loss only on the answer field's tokens (and the end-of-text token).
  bool answerOnlyLoss = false;
  /// The field that is the answer: the template's last piece. Empty when
  /// the task has none (answer_only_loss false and no answer_field).
  std::string answerField;
  /// New tasks are trained; existing ones are frozen (loaded from a
  /// previous prompt-learning checkpoint).
  bool trained = true;
};

/// The tasks of a description in order (the order of `task_templates`).
struct PromptTaskSet {
  std::vector<PromptTask> tasks;

  /// Index of the task named |name|, if any.
  std::optional<size_t> find(std::string_view name) const;
  /// The global virtual row of task |task|'s virtual token 0 (that of the
  /// next task with virtual tokens when |task| has none).
  int64_t offsetOf(size_t task) const;
  /// The sum of every task's total_virtual_tokens (0 for LoRA alone).
  int64_t totalVirtualTokens() const;
};

} // namespace strata

#endif // STRATA_COMMON_PROMPT_TASKS_H
