//===- generator.h - text generation with a KV cache ------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Text generation over an inference artifact's prefill and decode
// (model_step.h): a prompt is prefilled in chunks of P, rows of different
// lengths side by side (a row's padding writes cache entries that its own
// decode steps overwrite before reading them), then each decode step feeds
// every row its newest token at its position, at O(context) per step. A
// prompt-learning model's prefill also takes each position's virtual row
// (generation_prompts.h), so rows of different tasks share a batch; the
// tokens decode feeds are generated, never virtual. On a paged cache each
// prompt gets its own slice of the pool and padding rows a scratch block
// (row_blocks.h).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_INFERENCE_GENERATOR_H
#define STRATA_RUNTIME_INFERENCE_GENERATOR_H

#include "runtime/inference/generation_prompts.h"
#include "runtime/inference/model_step.h"
#include "runtime/inference/sampling.h"
#include "runtime/support/status.h"

#include <cstdint>
#include <functional>
#include <vector>

namespace strata::runtime::inference {

struct GenerationOptions {
  int64_t maxNewTokens = 64;
  SamplingOptions sampling;
  /// Stop a row at this id (-1: never); it is not part of the output.
  int32_t endOfText = -1;
  /// Ids >= this are never sampled (the vocabulary's padding); 0: all.
  int64_t allowedVocab = 0;
};

struct GenerationTiming {
  double prefillSeconds = 0.0; // time to the first token
  double decodeSeconds = 0.0;
  int64_t decodeSteps = 0;
};

/// Called with (row, token) as each token is chosen.
using TokenCallback = std::function<void(size_t row, int32_t token)>;

class Generator {
public:
  /// Checks |executor|'s artifact has prefill and decode (ModelStep::create).
  static StatusOr<Generator> create(Executor &executor);

  int64_t batchSize() const { return step_.batchSize(); }
  int64_t prefillLength() const { return step_.prefillLength(); }
  /// Tmax: prompt plus new tokens must fit.
  int64_t contextLength() const { return step_.contextLength(); }
  int64_t vocabSize() const { return step_.vocabSize(); }

  /// Continues each of |prompts| (1..batchSize() of them, each non-empty;
  /// checkGenerationPrompts); returns the new tokens of each row. On a
  /// paged cache, refuses (naming the numbers) prompts whose rows do not
  /// fit the pool (rowBlockTable).
  StatusOr<std::vector<std::vector<int32_t>>>
  generate(const std::vector<GenerationPrompt> &prompts,
           const GenerationOptions &options, const TokenCallback &onToken = {},
           GenerationTiming *timing = nullptr);
  /// The same for prompts of real tokens only.
  StatusOr<std::vector<std::vector<int32_t>>>
  generate(const std::vector<std::vector<int32_t>> &prompts,
           const GenerationOptions &options, const TokenCallback &onToken = {},
           GenerationTiming *timing = nullptr);

private:
  Generator(Executor &executor, ModelStep step)
      : executor_(&executor), step_(std::move(step)) {}

  Executor *executor_;
  ModelStep step_;
};

} // namespace strata::runtime::inference

#endif // STRATA_RUNTIME_INFERENCE_GENERATOR_H
