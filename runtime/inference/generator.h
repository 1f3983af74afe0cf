//===- generator.h - text generation with a KV cache ------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// An inference artifact (strata-compile --mode infer) has
//   prefill(tokens [B, P], positions [B, P][, virtual_tokens [B, P]],
//           last [B]) -> logits [B, 1, V]
//   decode(tokens [B, 1], positions [B, 1])  -> logits [B, 1, V]
// and one key and one value cache per layer ([B, Tmax, G, D], persistent):
// both functions first write the keys and values of their tokens at their
// positions, then attend to the cache up to each query's position. So a
// prompt is prefilled in chunks of P, rows of different lengths side by side
// (a row's padding writes cache entries that its own decode steps overwrite
// before reading them), and each decode step costs O(context). A
// prompt-learning model's prefill also takes each position's virtual row
// (generation_prompts.h), so rows of different tasks share a batch; the
// tokens decode feeds are generated, never virtual.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_INFERENCE_GENERATOR_H
#define STRATA_RUNTIME_INFERENCE_GENERATOR_H

#include "runtime/executor/executor.h"
#include "runtime/inference/generation_prompts.h"
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
  /// Checks |executor|'s artifact has prefill and decode of the shapes above.
  static StatusOr<Generator> create(Executor &executor);

  int64_t batchSize() const { return limits_.batch; }
  int64_t prefillLength() const { return prefill_len_; }
  /// Tmax: prompt plus new tokens must fit.
  int64_t contextLength() const { return limits_.context; }
  int64_t vocabSize() const { return limits_.vocab; }

  /// Continues each of |prompts| (1..batchSize() of them, each non-empty;
  /// checkGenerationPrompts); returns the new tokens of each row.
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
  explicit Generator(Executor &executor) : executor_(&executor) {}
  /// Runs |function| on tokens/positions [B, S] (and a prefill's virtual
  /// tokens and last, when it takes them) and returns a view of its logits
  /// [B, S, V].
  StatusOr<const float *> run(const PreparedFunction &function,
                              const std::vector<int32_t> &tokens,
                              const std::vector<int32_t> &positions,
                              const std::vector<int32_t> *virtualTokens,
                              const std::vector<int32_t> *last);

  Executor *executor_;
  const PreparedFunction *prefill_ = nullptr;
  const PreparedFunction *decode_ = nullptr;
  PromptLimits limits_;
  int64_t prefill_len_ = 0;
  /// prefill's `last` and `virtual_tokens` arguments (indices into its
  /// arguments; -1 when it has none). With `last` the logits are [B, 1, V],
  /// one position per row (the derivation's default), else every
  /// position's.
  int lastArgument_ = -1;
  int virtualTokensArgument_ = -1;
  /// The last call's logits when the vocabulary is split across ranks.
  io::HostTensor gatheredLogits_;
  /// The logits of the last call on the host (unsplit logits).
  std::vector<float> hostLogits_;
  std::vector<uint16_t> hostHalfLogits_; // bf16/f16 logits before widening
};

} // namespace strata::runtime::inference

#endif // STRATA_RUNTIME_INFERENCE_GENERATOR_H
