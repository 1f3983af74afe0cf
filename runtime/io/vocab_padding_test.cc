//===- vocab_padding_test.cc - checkpoints across vocabulary padding ------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/io/vocab_padding.h"

#include "runtime/io/hf_checkpoint.h"
#include "runtime/io/io_test_support.h"
#include "runtime/io/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>

namespace strata::runtime::io {
namespace {

using testing::randomTensor;
using testing::TempDir;

constexpr int64_t kHidden = 8;
// A vocabulary of 10 tokens padded to 16 rows (as 50257 to 50304).
constexpr VocabularyRows kRows{/*real=*/10, /*padded=*/16};

/// Row |r| of a [rows, kHidden] f32 tensor.
std::vector<float> row(const HostTensor &t, int64_t r) {
  const float *p = t.data<float>() + r * kHidden;
  return std::vector<float>(p, p + kHidden);
}

TEST(VocabPaddingTest, FewerRowsAreKeptAndThePaddingZeroed) {
  HostTensor hf = randomTensor(DType::F32, {10, kHidden}, 1);
  StatusOr<HostTensor> fit = fitVocabularyRows(hf, kRows, "wte.weight", "f");
  ASSERT_TRUE(fit.isOk()) << fit.status().toString();
  ASSERT_EQ(fit->shape(), (std::vector<int64_t>{16, kHidden}));
  for (int64_t r = 0; r < 10; ++r)
    EXPECT_EQ(row(*fit, r), row(hf, r)) << "row " << r;
  for (int64_t r = 10; r < 16; ++r)
    EXPECT_EQ(row(*fit, r), std::vector<float>(kHidden, 0.0f)) << "row " << r;
}

TEST(VocabPaddingTest, MoreRowsDropAllButTheRealOnes) {
  // A checkpoint padded for a larger tensor-parallel size: 24 rows.
  HostTensor wide = randomTensor(DType::BF16, {24, kHidden}, 2);
  StatusOr<HostTensor> fit = fitVocabularyRows(wide, kRows, "lm_head.weight", "f");
  ASSERT_TRUE(fit.isOk()) << fit.status().toString();
  ASSERT_EQ(fit->shape(), (std::vector<int64_t>{16, kHidden}));
  const size_t realBytes = 10 * kHidden * 2;
  EXPECT_EQ(std::memcmp(fit->bytes(), wide.bytes(), realBytes), 0);
  for (size_t b = realBytes; b < fit->byteSize(); ++b)
    ASSERT_EQ(fit->bytes()[b], 0) << "byte " << b;
}

TEST(VocabPaddingTest, TheModelsOwnRowCountIsKeptBitwise) {
  // A training checkpoint: its padding rows are state (weight decay moves
  // them), so a resume must see them unchanged.
  HostTensor same = randomTensor(DType::F32, {16, kHidden}, 3);
  StatusOr<HostTensor> fit = fitVocabularyRows(same, kRows, "wte.weight", "f");
  ASSERT_TRUE(fit.isOk());
  EXPECT_TRUE(fit->bitwiseEquals(same));
}

TEST(VocabPaddingTest, FewerRowsThanTheVocabularyIsAnErrorNamingAll) {
  HostTensor small = randomTensor(DType::F32, {9, kHidden}, 4);
  StatusOr<HostTensor> fit =
      fitVocabularyRows(small, kRows, "wte.weight", "ckpt.safetensors");
  ASSERT_FALSE(fit.isOk());
  EXPECT_EQ(fit.status().message(),
            "ckpt.safetensors: wte.weight has 9 vocabulary rows, fewer than "
            "the model's vocabulary of 10 tokens (padded to 16 rows); the "
            "checkpoint is of another vocabulary");
}

/// A GPT-2 parameter table of one layer with |vocab| rows.
ParameterTable gpt2Table(int64_t vocab, bool tied) {
  const int64_t h = kHidden, heads = 2, hd = h / heads;
  ParameterTable t;
  auto add = [&](std::string name, std::vector<int64_t> shape) {
    t.push_back({std::move(name), std::move(shape), DType::F32});
  };
  add("embedding.word_embeddings.weight", {vocab, h});
  add("embedding.position_embeddings.weight", {4, h});
  const std::string p = "layers.0.";
  add(p + "input_norm.weight", {h});
  add(p + "input_norm.bias", {h});
  for (const char *part : {"query", "key", "value"}) {
    add(p + "attention." + part + ".weight", {heads, hd, h});
    add(p + "attention." + part + ".bias", {heads, hd});
  }
  add(p + "attention.output.weight", {h, heads, hd});
  add(p + "attention.output.bias", {h});
  add(p + "post_attention_norm.weight", {h});
  add(p + "post_attention_norm.bias", {h});
  add(p + "mlp.fc1.weight", {4 * h, h});
  add(p + "mlp.fc1.bias", {4 * h});
  add(p + "mlp.fc2.weight", {h, 4 * h});
  add(p + "mlp.fc2.bias", {h});
  add("final_norm.weight", {h});
  add("final_norm.bias", {h});
  if (!tied)
    add("output.weight", {vocab, h});
  return t;
}

TensorMap randomParams(const ParameterTable &table) {
  TensorMap params;
  uint64_t seed = 10;
  for (const ParameterSpec &spec : table)
    params.emplace(spec.name, randomTensor(spec.dtype, spec.shape, seed++));
  return params;
}

TEST(VocabPaddingTest, HuggingFaceCheckpointOfTheRealVocabularyLoadsPadded) {
  TempDir dir;
  const std::string path = dir.file("gpt2.safetensors");
  TensorMap saved = randomParams(gpt2Table(10, /*tied=*/false));
  ASSERT_TRUE(saveCheckpoint(path, saved, HfFamily::Gpt2).isOk());

  const ParameterTable model = gpt2Table(16, /*tied=*/false);
  // Without the real vocabulary the row counts must match, as before.
  StatusOr<TensorMap> strict = loadCheckpoint(path, model, HfFamily::Gpt2);
  ASSERT_FALSE(strict.isOk());
  EXPECT_NE(strict.status().message().find(
                "wte.weight has shape [10, 8], expected [16, 8]"),
            std::string::npos)
      << strict.status().toString();

  StatusOr<TensorMap> loaded =
      loadCheckpoint(path, model, HfFamily::Gpt2, nullptr, /*realVocab=*/10);
  ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
  for (const char *name : {"embedding.word_embeddings.weight", "output.weight"}) {
    const HostTensor &t = loaded->at(name);
    ASSERT_EQ(t.shape(), (std::vector<int64_t>{16, kHidden})) << name;
    for (int64_t r = 0; r < 10; ++r)
      EXPECT_EQ(row(t, r), row(saved.at(name), r)) << name << " row " << r;
    for (int64_t r = 10; r < 16; ++r)
      EXPECT_EQ(row(t, r), std::vector<float>(kHidden, 0.0f)) << name;
  }
  EXPECT_TRUE(loaded->at("layers.0.mlp.fc1.weight")
                  .bitwiseEquals(saved.at("layers.0.mlp.fc1.weight")));
}

TEST(VocabPaddingTest, TiedCheckpointWithALmHeadCopyLoadsPadded) {
  // GPT2LMHeadModel.state_dict() carries lm_head.weight beside wte.weight.
  TempDir dir;
  const std::string path = dir.file("tied.safetensors");
  TensorMap saved = randomParams(gpt2Table(24, /*tied=*/true));
  StatusOr<TensorMap> hf = toHuggingFace(saved, HfFamily::Gpt2);
  ASSERT_TRUE(hf.isOk());
  hf->emplace("lm_head.weight", hf->at("wte.weight"));
  ASSERT_TRUE(writeSafetensors(path, *hf, {{"format", "pt"}}).isOk());
  StatusOr<TensorMap> loaded = loadCheckpoint(
      path, gpt2Table(16, /*tied=*/true), HfFamily::Gpt2, nullptr, 10);
  ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
  EXPECT_EQ(loaded->at("embedding.word_embeddings.weight").shape()[0], 16);
}

TEST(VocabPaddingTest, ExportKeepsTheRealRowsOnly) {
  TensorMap params = randomParams(gpt2Table(16, /*tied=*/false));
  const HostTensor before = params.at("output.weight");
  ASSERT_TRUE(stripVocabularyPadding(params, 10).isOk());
  EXPECT_EQ(params.at("embedding.word_embeddings.weight").shape()[0], 10);
  EXPECT_EQ(params.at("output.weight").shape()[0], 10);
  EXPECT_EQ(row(params.at("output.weight"), 9), row(before, 9));
  EXPECT_EQ(params.at("embedding.position_embeddings.weight").shape()[0], 4);
  // 0: the model records no real vocabulary; nothing changes.
  TensorMap same = randomParams(gpt2Table(16, /*tied=*/true));
  ASSERT_TRUE(stripVocabularyPadding(same, 0).isOk());
  EXPECT_EQ(same.at("embedding.word_embeddings.weight").shape()[0], 16);
}

} // namespace
} // namespace strata::runtime::io
