//===- prompt_records.h - NeMo's prompt-learning JSON lines -----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// NeMo's prompt-learning data: a JSON-lines file, one example per line, an
// object with "taskname" and the task's template fields, e.g.
//
//   {"taskname": "moby", "context": "Call me Ishmael.", "answer": "Some"}
//
// Field values are strings; numbers are taken as their JSON text (42, 0.5).
// Empty (or all-whitespace) lines are skipped. Every mistake is a Status
// that names the file and the 1-based line, never a crash.
//
// Usage:
//   STRATA_RETURN_IF_ERROR(forEachPromptRecord(path, tasks,
//       [&](const PromptRecord &record) -> Status { ... }));
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_DATA_PROMPT_RECORDS_H
#define STRATA_RUNTIME_DATA_PROMPT_RECORDS_H

#include "common/prompt_tasks.h"
#include "runtime/data/prompt_samples.h"
#include "runtime/support/status.h"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace strata::runtime::data {

/// One line of a prompt-learning file.
struct PromptRecord {
  /// The index of the line's "taskname" in the PromptTaskSet.
  size_t task = 0;
  /// Every other key of the line with its value as text.
  PromptFields fields;
  /// The 1-based line number (0 when not read from a file).
  int64_t line = 0;
};

/// Parses one line. Errors, without a location: invalid JSON (with the
/// parser's message), not an object, no "taskname" or one that is not a
/// string, `task "squad" is not among the model's tasks (moby, union)`,
/// `field "context" of task "moby" is an array, not a string`.
/// Which fields a task needs is buildTrainingSample's to check.
StatusOr<PromptRecord> parsePromptRecord(std::string_view line,
                                         const PromptTaskSet &tasks);

/// Reads |path| and calls |visit| with the record of each non-empty line,
/// in order. The first error of reading, parsing or |visit| stops the walk
/// and is returned as "<path>:<line>: <message>" (only "<path>: ..." when
/// the file cannot be read).
Status
forEachPromptRecord(const std::string &path, const PromptTaskSet &tasks,
                    const std::function<Status(const PromptRecord &)> &visit);

} // namespace strata::runtime::data

#endif // STRATA_RUNTIME_DATA_PROMPT_RECORDS_H
