//===- MegatronLayoutTest.cpp - Megatron-LM's tensor-parallel layout ------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Partitioning/MegatronLayout.h"

#include <gtest/gtest.h>

using strata::partitioning::megatronSplitDim;

TEST(MegatronLayout, ColumnParallelSplitsOutputFeatures) {
  EXPECT_EQ(megatronSplitDim("layers.0.attention.query.weight"), 0u);
  EXPECT_EQ(megatronSplitDim("layers.3.attention.key.bias"), 0u);
  EXPECT_EQ(megatronSplitDim("layers.11.attention.value.weight"), 0u);
  EXPECT_EQ(megatronSplitDim("layers.0.mlp.fc1.weight"), 0u);
  EXPECT_EQ(megatronSplitDim("layers.0.mlp.fc1.bias"), 0u);
  EXPECT_EQ(megatronSplitDim("layers.0.mlp.gate.weight"), 0u);
  EXPECT_EQ(megatronSplitDim("layers.0.mlp.up.weight"), 0u);
}

TEST(MegatronLayout, RowParallelSplitsInputFeaturesAndKeepsBias) {
  EXPECT_EQ(megatronSplitDim("layers.0.attention.output.weight"), 1u);
  EXPECT_EQ(megatronSplitDim("layers.0.attention.output.bias"), std::nullopt);
  EXPECT_EQ(megatronSplitDim("layers.0.mlp.fc2.weight"), 1u);
  EXPECT_EQ(megatronSplitDim("layers.0.mlp.fc2.bias"), std::nullopt);
}

TEST(MegatronLayout, VocabularyParallelEmbeddingAndHead) {
  EXPECT_EQ(megatronSplitDim("embedding.word_embeddings.weight"), 0u);
  EXPECT_EQ(megatronSplitDim("output.weight"), 0u);
}

TEST(MegatronLayout, NormsAndPositionsAreReplicated) {
  EXPECT_EQ(megatronSplitDim("embedding.position_embeddings.weight"),
            std::nullopt);
  EXPECT_EQ(megatronSplitDim("layers.0.input_norm.weight"), std::nullopt);
  EXPECT_EQ(megatronSplitDim("final_norm.bias"), std::nullopt);
}
