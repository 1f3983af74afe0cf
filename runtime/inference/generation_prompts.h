//===- generation_prompts.h - prompts and prefill inputs --------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// What the generator feeds its artifact's prefill, as plain data: a prompt's
// token ids and, for a prompt-learning model (docs/prompt-learning.md), each
// position's global virtual row; the checks a batch of prompts must pass;
// and the inputs of one prefill call (a chunk of P positions per row).
// Decode needs none of this: the tokens it feeds are generated, never
// virtual.
//
// Usage:
//   STRATA_RETURN_IF_ERROR(checkGenerationPrompts(prompts, maxNew, limits));
//   PrefillInputs in;
//   for (int64_t chunk = 0; chunk * P < longestPrompt(prompts); ++chunk)
//     fillPrefillChunk(prompts, chunk, limits, P, in);  // then run prefill
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_INFERENCE_GENERATION_PROMPTS_H
#define STRATA_RUNTIME_INFERENCE_GENERATION_PROMPTS_H

#include "runtime/support/status.h"

#include <cstdint>
#include <vector>

namespace strata::runtime::inference {

/// One prompt to continue.
struct GenerationPrompt {
  std::vector<int32_t> ids;
  /// Per position, -1 for a real token or its global virtual row (a
  /// prompt-learning model's; the id at such a position is not read). Empty:
  /// every position is real.
  std::vector<int32_t> virtualRows;
};

/// What the artifact accepts.
struct PromptLimits {
  int64_t batch = 0;   // rows per call
  int64_t context = 0; // positions of the KV cache
  int64_t vocab = 0;   // ids are in [0, vocab)
  /// Whether prefill takes virtual tokens, and how many global virtual rows
  /// the model's tasks have (0: unknown, rows are then only checked >= -1).
  bool virtualTokens = false;
  int64_t virtualRows = 0;
};

/// Checks 1..limits.batch prompts, each non-empty, fitting the context with
/// |maxNewTokens| new tokens, its ids in the vocabulary, its virtual rows
/// (if any) one per id, -1 or a row of the model, and only for a model that
/// takes them. Errors name the prompt (1-based) and the value.
Status checkGenerationPrompts(const std::vector<GenerationPrompt> &prompts,
                              int64_t maxNewTokens, const PromptLimits &limits);

/// The number of tokens of the longest prompt.
int64_t longestPrompt(const std::vector<GenerationPrompt> &prompts);

/// The inputs of one prefill call: tokens, positions and virtual tokens
/// [batch, P] row-major, last [batch].
struct PrefillInputs {
  std::vector<int32_t> tokens, positions, virtualTokens, last;
};

/// Fills |out| for prefill call |chunk| (positions [chunk * P, chunk * P +
/// P)) of |prompts| (checked): each row's tokens and virtual rows there,
/// padding (id 0, virtual row -1) past its end and in rows beyond the
/// prompts; positions continue each row's, clamped into the cache; last is
/// the index within the chunk of the row's last prompt token (clamped to
/// [0, P - 1]; a row's logits are read in the chunk that holds that token).
void fillPrefillChunk(const std::vector<GenerationPrompt> &prompts,
                      int64_t chunk, const PromptLimits &limits, int64_t P,
                      PrefillInputs &out);

} // namespace strata::runtime::inference

#endif // STRATA_RUNTIME_INFERENCE_GENERATION_PROMPTS_H
