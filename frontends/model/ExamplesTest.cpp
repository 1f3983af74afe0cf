//===- ExamplesTest.cpp - examples/*.yaml have the published shapes ------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "frontends/model/ParserTestSupport.h"

#include <filesystem>

namespace strata::frontend {
namespace {

using namespace strata::frontend::testing;

ModelDescription example(const std::string &name) {
  std::string path = std::string(STRATA_SOURCE_DIR) + "/examples/" + name;
  ParseResult result = parseModelDescriptionFile(path);
  if (!result.succeeded()) {
    ADD_FAILURE() << path << ":\n" << dump(result);
    return ModelDescription{};
  }
  for (const Diagnostic &d : result.diagnostics)
    ADD_FAILURE() << "unexpected diagnostic: " << formatDiagnostic(d, "");
  return *result.description;
}

TEST(ExamplesTest, TinyGpt) {
  ModelDescription d = example("tiny-gpt.yaml");
  EXPECT_EQ(d.name, "tiny-gpt");
  EXPECT_EQ(d.numLayers, 4);
  EXPECT_EQ(d.hiddenSize, 128);
  EXPECT_EQ(d.numAttentionHeads, 4);
  EXPECT_EQ(d.ffnHiddenSize, 512);
  EXPECT_EQ(d.seqLength, 128);
  EXPECT_EQ(d.maxPositionEmbeddings, 128);
  EXPECT_EQ(d.vocabSize, 50257);
  EXPECT_EQ(d.paddedVocabSize, 50304);
  EXPECT_EQ(d.positionEmbedding, PositionEmbedding::LearnedAbsolute);
  EXPECT_EQ(d.normalization, Normalization::LayerNorm);
  EXPECT_EQ(d.activation, Activation::FastGelu);
  EXPECT_TRUE(d.shareEmbeddingsAndOutputWeights);
  EXPECT_TRUE(d.bias);
  EXPECT_EQ(d.microBatchSize, 8);
  EXPECT_EQ(d.globalBatchSize, 8);
  EXPECT_EQ(d.precision, Precision::FP32);
  EXPECT_EQ(d.dataParallelSize, 1);
}

TEST(ExamplesTest, Gpt2Small) {
  ModelDescription d = example("gpt2-124m.yaml");
  EXPECT_EQ(d.numLayers, 12);
  EXPECT_EQ(d.hiddenSize, 768);
  EXPECT_EQ(d.numAttentionHeads, 12);
  EXPECT_EQ(d.headDim, 64);
  EXPECT_EQ(d.ffnHiddenSize, 3072);
  EXPECT_EQ(d.seqLength, 1024);
  EXPECT_EQ(d.maxPositionEmbeddings, 1024);
  EXPECT_EQ(d.activation, Activation::FastGelu);
  EXPECT_EQ(d.layernormEpsilon, 1e-5);
  EXPECT_TRUE(d.shareEmbeddingsAndOutputWeights);
  EXPECT_TRUE(d.bias);
  EXPECT_EQ(d.paddedVocabSize, 50304);
  // 124M parameters: embeddings + 12 layers + final norm (tied output).
  int64_t h = d.hiddenSize, f = d.ffnHiddenSize;
  int64_t layer = 4 * h * h + 4 * h + 2 * h * f + f + h + 4 * h;
  int64_t params = d.vocabSize * h + d.maxPositionEmbeddings * h +
                   d.numLayers * layer + 2 * h;
  EXPECT_EQ(params, 124439808);
}

TEST(ExamplesTest, Gpt3_175B) {
  ModelDescription d = example("gpt3-175b.yaml");
  EXPECT_EQ(d.numLayers, 96);
  EXPECT_EQ(d.hiddenSize, 12288);
  EXPECT_EQ(d.numAttentionHeads, 96);
  EXPECT_EQ(d.headDim, 128);
  EXPECT_EQ(d.ffnHiddenSize, 49152);
  EXPECT_EQ(d.seqLength, 2048);
  EXPECT_EQ(d.maxPositionEmbeddings, 2048);  // through ${.encoder_seq_length}
  EXPECT_EQ(d.activation, Activation::Gelu);
  EXPECT_EQ(d.precision, Precision::BF16);
  EXPECT_EQ(d.tensorParallelSize, 8);
  EXPECT_EQ(d.pipelineParallelSize, 16);
  EXPECT_EQ(d.dataParallelSize, 1);
  EXPECT_TRUE(d.sequenceParallel);
  EXPECT_EQ(d.recomputeGranularity, RecomputeGranularity::Selective);
  EXPECT_EQ(d.microBatchSize, 1);
  EXPECT_EQ(d.globalBatchSize, 1536);
  EXPECT_EQ(d.initMethodStd, 0.006);
  EXPECT_EQ(d.paddedVocabSize, 51200);  // 50257 up to a multiple of 128 * 8
}

TEST(ExamplesTest, TinyLlama) {
  ModelDescription d = example("tiny-llama.yaml");
  EXPECT_EQ(d.normalization, Normalization::RMSNorm);
  EXPECT_EQ(d.positionEmbedding, PositionEmbedding::Rope);
  EXPECT_EQ(d.activation, Activation::SwiGLU);
  EXPECT_LT(d.numQueryGroups, d.numAttentionHeads);
  EXPECT_FALSE(d.bias);
  EXPECT_FALSE(d.shareEmbeddingsAndOutputWeights);
  EXPECT_EQ(d.vocabSize, 50257);
}

TEST(ExamplesTest, Llama2_7B) {
  ModelDescription d = example("llama2-7b.yaml");
  EXPECT_EQ(d.numLayers, 32);
  EXPECT_EQ(d.hiddenSize, 4096);
  EXPECT_EQ(d.numAttentionHeads, 32);
  EXPECT_EQ(d.numQueryGroups, 32);
  EXPECT_EQ(d.ffnHiddenSize, 11008);
  EXPECT_EQ(d.seqLength, 4096);
  EXPECT_EQ(d.normalization, Normalization::RMSNorm);
  EXPECT_EQ(d.layernormEpsilon, 1e-5);
  EXPECT_EQ(d.positionEmbedding, PositionEmbedding::Rope);
  EXPECT_EQ(d.rotaryBase, 10000.0);
  EXPECT_EQ(d.activation, Activation::SwiGLU);
  EXPECT_FALSE(d.bias);
  EXPECT_FALSE(d.shareEmbeddingsAndOutputWeights);
  EXPECT_EQ(d.paddedVocabSize, 32000);
  EXPECT_EQ(d.precision, Precision::BF16);
  // 6.74B parameters: untied embeddings, SwiGLU (3 matrices), two RMSNorms.
  int64_t h = d.hiddenSize, f = d.ffnHiddenSize;
  int64_t params = 2 * d.paddedVocabSize * h +
                   d.numLayers * (4 * h * h + 3 * h * f + 2 * h) + h;
  EXPECT_EQ(params, 6738415616);
}

TEST(ExamplesTest, GptPromptTuning) {
  ModelDescription d = example("gpt-prompt-tuning.yaml");
  EXPECT_EQ(d.hiddenSize, 128);
  ASSERT_TRUE(d.virtualPromptStyle.has_value());
  EXPECT_EQ(*d.virtualPromptStyle, VirtualPromptStyle::PromptTuning);
  EXPECT_EQ(d.languageModelPath, std::string(STRATA_SOURCE_DIR) +
                                     "/examples/../runs/tiny-gpt/step-00002000");
  ASSERT_EQ(d.promptTasks.tasks.size(), 2u);
  EXPECT_EQ(d.promptTasks.tasks[0].name, "moby");
  EXPECT_EQ(d.promptTasks.tasks[1].name, "union");
  EXPECT_EQ(d.promptTasks.tasks[1].virtualTokenSplits,
            (std::vector<int64_t>{12, 4}));
  EXPECT_TRUE(d.promptTasks.tasks[0].trained && d.promptTasks.tasks[1].trained);
  EXPECT_EQ(d.promptTasks.totalVirtualTokens(), 26);
  EXPECT_FALSE(d.lora.enabled);
  EXPECT_TRUE(d.freezesBase());
}

TEST(ExamplesTest, GptLora) {
  ModelDescription d = example("gpt-lora.yaml");
  EXPECT_FALSE(d.virtualPromptStyle.has_value());
  EXPECT_TRUE(d.lora.enabled);
  EXPECT_EQ(d.lora.adapterDim, 8);
  EXPECT_EQ(d.lora.alpha, 8.0);
  EXPECT_TRUE(d.lora.attentionQkv && d.lora.attentionDense && d.lora.mlpFc1 &&
              d.lora.mlpFc2);
  EXPECT_TRUE(d.freezesBase());
}

TEST(ExamplesTest, GptLoraTasks) {
  ModelDescription d = example("gpt-lora-tasks.yaml");
  EXPECT_FALSE(d.virtualPromptStyle.has_value());
  EXPECT_TRUE(d.lora.enabled);
  EXPECT_TRUE(d.lora.attentionQkv && d.lora.attentionDense && d.lora.mlpFc1 &&
              d.lora.mlpFc2);
  ASSERT_EQ(d.promptTasks.tasks.size(), 2u);
  EXPECT_EQ(d.promptTasks.tasks[0].name, "moby");
  EXPECT_EQ(d.promptTasks.tasks[1].name, "union");
  for (const PromptTask &task : d.promptTasks.tasks) {
    EXPECT_EQ(task.totalVirtualTokens, 0) << task.name;
    EXPECT_TRUE(task.virtualTokenSplits.empty()) << task.name;
    EXPECT_EQ(task.answerField, "answer") << task.name;
    EXPECT_TRUE(task.trained) << task.name;
  }
  EXPECT_TRUE(d.freezesBase());
}

TEST(ExamplesTest, EveryExampleParsesCleanly) {
  size_t count = 0;
  for (const auto &entry : std::filesystem::directory_iterator(
           std::string(STRATA_SOURCE_DIR) + "/examples")) {
    if (entry.path().extension() != ".yaml")
      continue;
    ++count;
    example(entry.path().filename().string());
  }
  EXPECT_GE(count, 5u);
}

} // namespace
} // namespace strata::frontend
