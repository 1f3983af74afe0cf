//===- model_family_test.cc - architecture choices to a family ------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "common/model_family.h"

#include <gtest/gtest.h>

namespace strata {
namespace {

TEST(ModelFamilyTest, GptAndLlamaChoicesMakeTheirFamilies) {
  for (Activation gelu : {Activation::Gelu, Activation::FastGelu}) {
    Checked<ModelFamily> gpt = modelFamilyOf(
        Normalization::LayerNorm, gelu, PositionEmbedding::LearnedAbsolute);
    ASSERT_TRUE(gpt.isOk()) << gpt.error();
    EXPECT_EQ(*gpt, ModelFamily::Gpt2);
  }
  Checked<ModelFamily> llama = modelFamilyOf(
      Normalization::RMSNorm, Activation::SwiGLU, PositionEmbedding::Rope);
  ASSERT_TRUE(llama.isOk()) << llama.error();
  EXPECT_EQ(*llama, ModelFamily::Llama);
}

TEST(ModelFamilyTest, MixturesAreErrorsNamingTheChoices) {
  Checked<ModelFamily> mixed = modelFamilyOf(
      Normalization::LayerNorm, Activation::Gelu, PositionEmbedding::Rope);
  ASSERT_FALSE(mixed.isOk());
  EXPECT_EQ(mixed.error(),
            "no Hugging Face checkpoint family has normalization layernorm "
            "with activation gelu and position embedding rope (GPT-2: "
            "layernorm or layernorm1p, gelu or fast-gelu, learned_absolute; "
            "Llama: rmsnorm, swiglu, rope)");
  // layernorm1p keeps GPT-2's layout (its checkpoints store w - 1).
  Checked<ModelFamily> onePlus =
      modelFamilyOf(Normalization::LayerNorm1P, Activation::FastGelu,
                    PositionEmbedding::LearnedAbsolute);
  ASSERT_TRUE(onePlus.isOk());
  EXPECT_EQ(*onePlus, ModelFamily::Gpt2);
  EXPECT_FALSE(modelFamilyOf(Normalization::RMSNorm, Activation::Gelu,
                             PositionEmbedding::Rope)
                   .isOk());
}

TEST(ModelFamilyTest, KeysRoundTripAndUnknownKeysAreRefused) {
  for (ModelFamily family : {ModelFamily::Gpt2, ModelFamily::Llama})
    EXPECT_EQ(parseModelFamilyKey(modelFamilyKey(family)), family);
  EXPECT_EQ(parseModelFamilyKey("bert"), std::nullopt);
  EXPECT_STREQ(modelFamilyName(ModelFamily::Gpt2), "GPT-2");
}

TEST(ModelFamilyTest, SpellingsAreNeMos) {
  EXPECT_STREQ(toString(Normalization::RMSNorm), "rmsnorm");
  EXPECT_STREQ(toString(Activation::FastGelu), "fast-gelu");
  EXPECT_STREQ(toString(PositionEmbedding::LearnedAbsolute),
               "learned_absolute");
}

} // namespace
} // namespace strata
