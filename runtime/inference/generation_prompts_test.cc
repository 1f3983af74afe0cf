//===- generation_prompts_test.cc -----------------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/inference/generation_prompts.h"

#include <gtest/gtest.h>

namespace strata::runtime::inference {
namespace {

/// Three rows of a model with a cache of 8 positions, 50 ids and two tasks of
/// 3 and 2 virtual rows.
PromptLimits promptLearning() {
  PromptLimits limits;
  limits.batch = 3;
  limits.context = 8;
  limits.vocab = 50;
  limits.virtualTokens = true;
  limits.virtualRows = 5;
  return limits;
}

std::string messageOf(const std::vector<GenerationPrompt> &prompts,
                      const PromptLimits &limits, int64_t maxNew = 2) {
  return checkGenerationPrompts(prompts, maxNew, limits).message();
}

TEST(GenerationPromptsTest, ChunksCarryEachRowsVirtualRows) {
  // Row 0: task 0's three virtual tokens, then ids 7 8; row 1: ids 9 then
  // task 1's two; the third row is unused.
  const std::vector<GenerationPrompt> prompts = {
      {{0, 0, 0, 7, 8}, {0, 1, 2, -1, -1}},
      {{9, 0, 0}, {-1, 3, 4}}};
  const PromptLimits limits = promptLearning();
  ASSERT_TRUE(checkGenerationPrompts(prompts, 3, limits).isOk());
  EXPECT_EQ(longestPrompt(prompts), 5);
  PrefillInputs in;
  fillPrefillChunk(prompts, 0, limits, 4, in);
  EXPECT_EQ(in.tokens,
            (std::vector<int32_t>{0, 0, 0, 7, 9, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(in.virtualTokens, (std::vector<int32_t>{0, 1, 2, -1, -1, 3, 4, -1,
                                                     -1, -1, -1, -1}));
  EXPECT_EQ(in.positions,
            (std::vector<int32_t>{0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3}));
  // Row 0's last token is in the next chunk (clamped to the end of this
  // one); row 1's is its position 2.
  EXPECT_EQ(in.last, (std::vector<int32_t>{3, 2, 0}));
  fillPrefillChunk(prompts, 1, limits, 4, in);
  EXPECT_EQ(in.tokens,
            (std::vector<int32_t>{8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(in.virtualTokens, std::vector<int32_t>(12, -1));
  // Positions past the cache are clamped into it.
  EXPECT_EQ(in.positions,
            (std::vector<int32_t>{4, 5, 6, 7, 4, 5, 6, 7, 4, 5, 6, 7}));
  EXPECT_EQ(in.last, (std::vector<int32_t>{0, 0, 0}));
}

TEST(GenerationPromptsTest, PromptsOfRealTokensNeedNoVirtualRows) {
  PromptLimits plain = promptLearning();
  plain.virtualTokens = false;
  plain.virtualRows = 0;
  const std::vector<GenerationPrompt> prompts = {{{1, 2, 3}, {}}};
  ASSERT_TRUE(checkGenerationPrompts(prompts, 2, plain).isOk());
  // A prompt-learning model takes them too: every position is real.
  ASSERT_TRUE(checkGenerationPrompts(prompts, 2, promptLearning()).isOk());
  PrefillInputs in;
  fillPrefillChunk(prompts, 0, promptLearning(), 3, in);
  EXPECT_EQ(in.virtualTokens, std::vector<int32_t>(9, -1));
  // Rows of -1 only are real tokens for a plain model as well.
  ASSERT_TRUE(
      checkGenerationPrompts({{{1, 2}, {-1, -1}}}, 2, plain).isOk());
}

TEST(GenerationPromptsTest, BadPromptsAreNamed) {
  const PromptLimits limits = promptLearning();
  EXPECT_EQ(messageOf({}, limits),
            "0 prompts; the artifact generates 1 to 3 at a time");
  EXPECT_EQ(messageOf({{{1}, {}}, {{}, {}}}, limits), "prompt 2 is empty");
  EXPECT_EQ(messageOf({{{1, 2, 3, 4, 5, 6, 7}, {}}}, limits, 3),
            "prompt 1 has 7 tokens; with --max-new-tokens 3 that exceeds "
            "the model's context of 8 tokens");
  EXPECT_EQ(messageOf({{{1, 50}, {}}}, limits),
            "prompt 1 has token 50 outside the vocabulary [0, 50)");
  EXPECT_EQ(messageOf({{{1, 2}, {-1}}}, limits),
            "prompt 1 has 2 tokens; its virtual rows should be one per token, not 1");
  EXPECT_EQ(messageOf({{{1}, {}}, {{0, 2}, {5, -1}}}, limits),
            "prompt 2 has virtual row 5 at position 0; the model's are "
            "[0, 5) (-1: a real token)");
  EXPECT_EQ(messageOf({{{0, 2}, {-2, -1}}}, limits),
            "prompt 1 has virtual row -2 at position 0; the model's are "
            "[0, 5) (-1: a real token)");
  PromptLimits plain = limits;
  plain.virtualTokens = false;
  EXPECT_EQ(messageOf({{{0, 2}, {0, -1}}}, plain),
            "prompt 1 has virtual tokens, but the artifact's prefill takes "
            "none (not a prompt-learning model)");
  EXPECT_EQ(messageOf({{{1}, {}}}, limits, -1),
            "--max-new-tokens -1 should be >= 0");
}

} // namespace
} // namespace strata::runtime::inference
