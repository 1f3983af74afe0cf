//===- generation_requests.h - what strata-run generate continues -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The rows `strata-run generate` continues, from its flags and the model:
//
//  - a plain model (LoRA alone included) takes text: --prompt TEXT
//    (repeatable) or --prompt-file FILE (one prompt per line);
//  - a prompt-learning model (an artifact that records tasks,
//    docs/prompt-learning.md) takes requests: --task NAME with the
//    template's fields but the answer as --field NAME=VALUE, or
//    --requests FILE.jsonl in NeMo's format (one object per line with
//    "taskname" and the fields; rows of different tasks share batches).
//
// Flags that do not fit the model are errors that say which to give
// instead. Each row comes with the text to print before its continuation:
// the prompt, or the request's filled-in template up to the answer with its
// <|VIRTUAL_PROMPT_N|> markers.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_TOOLING_GENERATION_REQUESTS_H
#define STRATA_RUNTIME_TOOLING_GENERATION_REQUESTS_H

#include "common/prompt_tasks.h"
#include "runtime/data/prompt_samples.h"
#include "runtime/inference/generation_prompts.h"
#include "runtime/support/status.h"
#include "runtime/tokenizer/tokenizer.h"

#include <string>
#include <vector>

namespace strata::runtime {

/// generate's flags that say what to continue.
struct GenerationInputs {
  std::vector<std::string> prompts; // --prompt
  std::string promptFile;           // --prompt-file
  std::string task;                 // --task
  std::vector<std::string> fields;  // --field NAME=VALUE
  std::string requests;             // --requests FILE.jsonl
};

/// One row to continue.
struct GenerationRequest {
  /// What to print before the continuation.
  std::string text;
  /// Its name in the output: "prompt 2", "request 3 (moby, line 4)".
  std::string name;
  inference::GenerationPrompt prompt;
};

/// --field flags as fields: NAME=VALUE each, split at the first '=' (the
/// value may hold more, or be empty). Errors: no '=', an empty name, a name
/// given twice.
StatusOr<data::PromptFields> parseFieldFlags(const std::vector<std::string> &flags);

/// The rows |inputs| ask for, of a model whose artifact |artifact| records
/// |tasks| (none: not a prompt-learning model). Errors: flags of the other
/// kind of model, no input, --task and --requests together, --field without
/// --task, an unknown task (`<artifact>: task "squad" is not among the
/// model's tasks (moby, union)`), a missing or unknown field (naming the
/// task's fields), a request file's errors at its line, an empty prompt.
StatusOr<std::vector<GenerationRequest>>
readGenerationRequests(const GenerationInputs &inputs,
                       const PromptTaskSet &tasks, const std::string &artifact,
                       const tokenizer::Tokenizer &tokenizer);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_TOOLING_GENERATION_REQUESTS_H
