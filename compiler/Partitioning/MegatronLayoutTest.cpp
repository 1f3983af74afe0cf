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

TEST(MegatronLayout, LoraAdaptersSplitAsNemosParallelLinearAdapter) {
  // Beside column-parallel projections: the output splits, linear_in whole.
  EXPECT_EQ(megatronSplitDim("layers.0.attention.lora_qkv.linear_out.query.weight"),
            0u);
  EXPECT_EQ(megatronSplitDim("layers.2.attention.lora_qkv.linear_out.value.weight"),
            0u);
  EXPECT_EQ(megatronSplitDim("layers.0.attention.lora_qkv.linear_in.weight"),
            std::nullopt);
  EXPECT_EQ(megatronSplitDim("layers.1.mlp.lora_fc1.linear_out.gate.weight"), 0u);
  EXPECT_EQ(megatronSplitDim("layers.1.mlp.lora_fc1.linear_out.weight"), 0u);
  // Beside row-parallel projections: linear_in's input splits, linear_out
  // whole.
  EXPECT_EQ(megatronSplitDim("layers.0.attention.lora_dense.linear_in.weight"),
            1u);
  EXPECT_EQ(megatronSplitDim("layers.0.attention.lora_dense.linear_out.weight"),
            std::nullopt);
  EXPECT_EQ(megatronSplitDim("layers.3.mlp.lora_fc2.linear_in.weight"), 1u);
  EXPECT_EQ(megatronSplitDim("layers.3.mlp.lora_fc2.linear_out.weight"),
            std::nullopt);
}

TEST(MegatronLayout, PromptTablesAndEncodersAreReplicated) {
  EXPECT_EQ(megatronSplitDim("prompt_table.moby.weight"), std::nullopt);
  EXPECT_EQ(megatronSplitDim("prompt_encoder.moby.mlp.0.weight"), std::nullopt);
  EXPECT_EQ(megatronSplitDim("prompt_encoder.moby.lstm.0.weight_ih"),
            std::nullopt);
}

TEST(MegatronLayout, Int8ScalesSplitWithOutputFeaturesOnly) {
  // Column- and vocabulary-parallel weights split their output dimension,
  // which is the scales' first: the scales split too.
  EXPECT_EQ(megatronSplitDim("layers.0.attention.query.weight_scale"), 0u);
  EXPECT_EQ(megatronSplitDim("layers.0.mlp.fc1.weight_scale"), 0u);
  EXPECT_EQ(megatronSplitDim("layers.0.mlp.gate.weight_scale"), 0u);
  EXPECT_EQ(megatronSplitDim("embedding.word_embeddings.weight_scale"), 0u);
  EXPECT_EQ(megatronSplitDim("output.weight_scale"), 0u);
  // Row-parallel weights split a contracted dimension: every rank needs
  // every output channel's scale.
  EXPECT_EQ(megatronSplitDim("layers.0.attention.output.weight_scale"),
            std::nullopt);
  EXPECT_EQ(megatronSplitDim("layers.0.mlp.fc2.weight_scale"), std::nullopt);
}
