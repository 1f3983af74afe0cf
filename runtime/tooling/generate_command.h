//===- generate_command.h - strata-run generate -----------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Text in, text out: tokenize the prompts (a prompt-learning model's
// requests: generation_requests.h), generate with the inference artifact's
// KV cache (runtime/inference/generator.h), decode. With one prompt on a
// terminal the tokens are printed as they come.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_TOOLING_GENERATE_COMMAND_H
#define STRATA_RUNTIME_TOOLING_GENERATE_COMMAND_H

#include "runtime/inference/generator.h"
#include "runtime/support/status.h"
#include "runtime/tooling/generation_requests.h"

#include <string>
#include <vector>

namespace strata::runtime {

struct GenerateOptions {
  std::string artifact;
  std::string checkpoint;
  /// A model with adapters and an adapter checkpoint: the frozen base
  /// (empty: the description's language_model_path).
  std::string baseCheckpoint;
  /// --prompt / --prompt-file, or --task / --field / --requests.
  GenerationInputs inputs;
  std::string tokenizer;
  inference::GenerationOptions generation;
  /// Prompts per batch (0: the artifact's batch).
  int64_t batch = 0;
  int threads = 0;
  /// Also print the prompt and generated ids ("ids: 1 2 3 | 4 5"; a
  /// virtual token as its global row, "v0").
  bool printIds = false;
  /// Print prefill and decode speed.
  bool timing = false;
  /// Print the time spent in each kernel at the end.
  bool profile = false;
};

Status runGenerateCommand(const GenerateOptions &options);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_TOOLING_GENERATE_COMMAND_H
