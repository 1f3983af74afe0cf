//===- prompt_tables_command.h - strata-run prompt-tables -------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Adds p-tuning's tables to a checkpoint saved without them (before
// artifact format 0.13): loads it into the training artifact, runs
// prompt_tables (runtime/executor/prompt_tables.h) and writes the
// checkpoint's own tensors and metadata plus prompt_table.<task>.weight,
// which a p-tuning inference artifact reads instead of the encoders.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_TOOLING_PROMPT_TABLES_COMMAND_H
#define STRATA_RUNTIME_TOOLING_PROMPT_TABLES_COMMAND_H

#include "runtime/support/status.h"

#include <string>

namespace strata::runtime {

struct PromptTablesOptions {
  /// The p-tuning model compiled for training (--mode train).
  std::string artifact;
  /// A whole checkpoint, or an adapter checkpoint (or step-N directory).
  std::string checkpoint;
  /// An adapter checkpoint's base, when the artifact does not record it.
  std::string baseCheckpoint;
  std::string out;
};

Status runPromptTablesCommand(const PromptTablesOptions &options);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_TOOLING_PROMPT_TABLES_COMMAND_H
