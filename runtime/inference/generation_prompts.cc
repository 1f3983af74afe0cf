//===- generation_prompts.cc - prompts and prefill inputs -----------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/inference/generation_prompts.h"

#include <algorithm>
#include <string>

namespace strata::runtime::inference {

namespace {

std::string promptName(size_t row) {
  return "prompt " + std::to_string(row + 1);
}

Status checkVirtualRows(const GenerationPrompt &prompt, size_t row,
                        const PromptLimits &limits) {
  if (prompt.virtualRows.empty())
    return Status::ok();
  const bool any = std::any_of(prompt.virtualRows.begin(),
                               prompt.virtualRows.end(),
                               [](int32_t v) { return v != -1; });
  if (any && !limits.virtualTokens)
    return Status::invalidArgument(
        promptName(row) + " has virtual tokens, but the artifact's prefill "
                          "takes none (not a prompt-learning model)");
  if (prompt.virtualRows.size() != prompt.ids.size())
    return Status::invalidArgument(
        promptName(row) + " has " + std::to_string(prompt.ids.size()) +
        " tokens; its virtual rows should be one per token, not " +
        std::to_string(prompt.virtualRows.size()));
  for (size_t i = 0; i < prompt.virtualRows.size(); ++i) {
    const int32_t v = prompt.virtualRows[i];
    if (v < -1 || (limits.virtualRows > 0 && v >= limits.virtualRows))
      return Status::invalidArgument(
          promptName(row) + " has virtual row " + std::to_string(v) +
          " at position " + std::to_string(i) + "; the model's are [0, " +
          std::to_string(limits.virtualRows) + ") (-1: a real token)");
  }
  return Status::ok();
}

} // namespace

Status checkGenerationPrompts(const std::vector<GenerationPrompt> &prompts,
                              int64_t maxNewTokens,
                              const PromptLimits &limits) {
  if (prompts.empty() || static_cast<int64_t>(prompts.size()) > limits.batch)
    return Status::invalidArgument(
        std::to_string(prompts.size()) + " prompts; the artifact generates "
        "1 to " + std::to_string(limits.batch) + " at a time");
  if (maxNewTokens < 0)
    return Status::invalidArgument("--max-new-tokens " +
                                   std::to_string(maxNewTokens) +
                                   " should be >= 0");
  for (size_t row = 0; row < prompts.size(); ++row) {
    const GenerationPrompt &prompt = prompts[row];
    const int64_t length = static_cast<int64_t>(prompt.ids.size());
    if (length == 0)
      return Status::invalidArgument(promptName(row) + " is empty");
    // The last new token is never fed back: it needs no cache entry.
    if (length + maxNewTokens - 1 > limits.context)
      return Status::invalidArgument(
          promptName(row) + " has " + std::to_string(length) +
          " tokens; with --max-new-tokens " + std::to_string(maxNewTokens) +
          " that exceeds the model's context of " +
          std::to_string(limits.context) + " tokens");
    for (int32_t id : prompt.ids)
      if (id < 0 || id >= limits.vocab)
        return Status::invalidArgument(
            promptName(row) + " has token " + std::to_string(id) +
            " outside the vocabulary [0, " + std::to_string(limits.vocab) +
            ")");
    STRATA_RETURN_IF_ERROR(checkVirtualRows(prompt, row, limits));
  }
  return Status::ok();
}

int64_t longestPrompt(const std::vector<GenerationPrompt> &prompts) {
  int64_t longest = 0;
  for (const GenerationPrompt &prompt : prompts)
    longest = std::max<int64_t>(longest, prompt.ids.size());
  return longest;
}

void fillPrefillChunk(const std::vector<GenerationPrompt> &prompts,
                      int64_t chunk, const PromptLimits &limits, int64_t P,
                      PrefillInputs &out) {
  const int64_t batch = limits.batch;
  const int64_t rows = static_cast<int64_t>(prompts.size());
  out.tokens.assign(batch * P, 0);
  out.positions.assign(batch * P, 0);
  out.virtualTokens.assign(batch * P, -1);
  out.last.assign(batch, 0);
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t length =
        b < rows ? static_cast<int64_t>(prompts[b].ids.size()) : 0;
    const int64_t end = std::max<int64_t>(length - 1, 0);
    out.last[b] =
        static_cast<int32_t>(std::clamp<int64_t>(end - chunk * P, 0, P - 1));
    for (int64_t s = 0; s < P; ++s) {
      const int64_t position = chunk * P + s;
      out.positions[b * P + s] =
          static_cast<int32_t>(std::min(position, limits.context - 1));
      if (position >= length)
        continue;
      out.tokens[b * P + s] = prompts[b].ids[position];
      if (!prompts[b].virtualRows.empty())
        out.virtualTokens[b * P + s] = prompts[b].virtualRows[position];
    }
  }
}

} // namespace strata::runtime::inference
