//===- hf_checkpoint_test.cc - tests of the Hugging Face mapping ----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/io/hf_checkpoint.h"

#include "runtime/io/io_test_support.h"
#include "runtime/io/safetensors.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>

namespace strata::runtime::io {
namespace {

using testing::PythonFixtures;
using testing::randomTensor;
using testing::TempDir;

//===----------------------------------------------------------------------===//
// Parameter tables as the compiler's emitter names them
//===----------------------------------------------------------------------===//

struct Gpt2Shape {
  int64_t layers = 2, hidden = 8, heads = 2, ffn = 32, vocab = 50,
          positions = 16;
  bool tied = true;
  DType dtype = DType::F32;
};

ParameterTable gpt2Table(const Gpt2Shape &s) {
  const int64_t h = s.hidden, hd = s.hidden / s.heads;
  ParameterTable t;
  auto add = [&](std::string name, std::vector<int64_t> shape) {
    t.push_back({std::move(name), std::move(shape), s.dtype});
  };
  add("embedding.word_embeddings.weight", {s.vocab, h});
  add("embedding.position_embeddings.weight", {s.positions, h});
  for (int64_t n = 0; n < s.layers; ++n) {
    std::string p = "layers." + std::to_string(n) + ".";
    add(p + "input_norm.weight", {h});
    add(p + "input_norm.bias", {h});
    for (const char *part : {"query", "key", "value"}) {
      add(p + "attention." + part + ".weight", {s.heads, hd, h});
      add(p + "attention." + part + ".bias", {s.heads, hd});
    }
    add(p + "attention.output.weight", {h, s.heads, hd});
    add(p + "attention.output.bias", {h});
    add(p + "post_attention_norm.weight", {h});
    add(p + "post_attention_norm.bias", {h});
    add(p + "mlp.fc1.weight", {s.ffn, h});
    add(p + "mlp.fc1.bias", {s.ffn});
    add(p + "mlp.fc2.weight", {h, s.ffn});
    add(p + "mlp.fc2.bias", {h});
  }
  add("final_norm.weight", {h});
  add("final_norm.bias", {h});
  if (!s.tied)
    add("output.weight", {s.vocab, h});
  return t;
}

struct LlamaShape {
  int64_t layers = 2, hidden = 24, heads = 6, groups = 2, headDim = 4,
          ffn = 40, vocab = 50;
  bool tied = false;
  DType dtype = DType::F32;
};

ParameterTable llamaTable(const LlamaShape &s) {
  ParameterTable t;
  auto add = [&](std::string name, std::vector<int64_t> shape) {
    t.push_back({std::move(name), std::move(shape), s.dtype});
  };
  add("embedding.word_embeddings.weight", {s.vocab, s.hidden});
  for (int64_t n = 0; n < s.layers; ++n) {
    std::string p = "layers." + std::to_string(n) + ".";
    add(p + "input_norm.weight", {s.hidden});
    add(p + "attention.query.weight", {s.heads, s.headDim, s.hidden});
    add(p + "attention.key.weight", {s.groups, s.headDim, s.hidden});
    add(p + "attention.value.weight", {s.groups, s.headDim, s.hidden});
    add(p + "attention.output.weight", {s.hidden, s.heads, s.headDim});
    add(p + "post_attention_norm.weight", {s.hidden});
    add(p + "mlp.gate.weight", {s.ffn, s.hidden});
    add(p + "mlp.up.weight", {s.ffn, s.hidden});
    add(p + "mlp.fc2.weight", {s.hidden, s.ffn});
  }
  add("final_norm.weight", {s.hidden});
  if (!s.tied)
    add("output.weight", {s.vocab, s.hidden});
  return t;
}

TensorMap randomParams(const ParameterTable &table, uint64_t seed) {
  TensorMap params;
  for (const ParameterSpec &spec : table)
    params.emplace(spec.name, randomTensor(spec.dtype, spec.shape, seed++));
  return params;
}

void expectSameTensors(const TensorMap &a, const TensorMap &b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto &[name, tensor] : a) {
    auto it = b.find(name);
    ASSERT_NE(it, b.end()) << "missing " << name;
    EXPECT_TRUE(tensor.bitwiseEquals(it->second)) << name;
  }
}

float f32At(const TensorMap &m, const std::string &name, int64_t index) {
  const HostTensor &t = m.at(name);
  EXPECT_EQ(t.dtype(), DType::F32) << name;
  return t.data<float>()[index];
}

std::string errorOf(const StatusOr<TensorMap> &result) {
  EXPECT_FALSE(result.isOk());
  return result.isOk() ? "" : result.status().message();
}

//===----------------------------------------------------------------------===//
// Family choice
//===----------------------------------------------------------------------===//

TEST(HfCheckpointTest, PicksTheFamilyFromTheArchitecture) {
  auto pick = [](Normalization n, Activation a, PositionEmbedding p) {
    return pickHfFamily(n, a, p);
  };
  StatusOr<HfFamily> gpt2 = pick(Normalization::LayerNorm, Activation::Gelu,
                                 PositionEmbedding::LearnedAbsolute);
  ASSERT_TRUE(gpt2.isOk());
  EXPECT_EQ(gpt2.value(), HfFamily::Gpt2);
  EXPECT_EQ(pick(Normalization::LayerNorm, Activation::FastGelu,
                 PositionEmbedding::LearnedAbsolute)
                .value(),
            HfFamily::Gpt2);
  StatusOr<HfFamily> llama = pick(Normalization::RMSNorm, Activation::SwiGLU,
                                  PositionEmbedding::Rope);
  ASSERT_TRUE(llama.isOk());
  EXPECT_EQ(llama.value(), HfFamily::Llama);
  StatusOr<HfFamily> mixed = pick(Normalization::LayerNorm,
                                  Activation::SwiGLU, PositionEmbedding::Rope);
  ASSERT_FALSE(mixed.isOk());
  EXPECT_EQ(mixed.status().message(),
            "no Hugging Face checkpoint family has normalization layernorm "
            "with activation swiglu and position embedding rope (GPT-2: "
            "layernorm or layernorm1p, gelu or fast-gelu, learned_absolute; "
            "Llama: rmsnorm, "
            "swiglu, rope)");
  EXPECT_FALSE(pick(Normalization::RMSNorm, Activation::Gelu,
                    PositionEmbedding::LearnedAbsolute)
                   .isOk());
  EXPECT_FALSE(pick(Normalization::RMSNorm, Activation::SwiGLU,
                    PositionEmbedding::LearnedAbsolute)
                   .isOk());
  EXPECT_FALSE(pick(Normalization::LayerNorm, Activation::Gelu,
                    PositionEmbedding::Rope)
                   .isOk());
}

//===----------------------------------------------------------------------===//
// Layouts, checked element by element (no Python needed)
//===----------------------------------------------------------------------===//

TEST(HfCheckpointTest, Gpt2LayoutPlacesEveryElementAsDocumented) {
  Gpt2Shape s;
  s.heads = 2;
  s.hidden = 8;
  const int64_t H = s.hidden, heads = s.heads, hd = H / heads, F = s.ffn;
  TensorMap params = randomParams(gpt2Table(s), 1);
  StatusOr<TensorMap> hf = toHuggingFace(params, HfFamily::Gpt2);
  ASSERT_TRUE(hf.isOk()) << hf.status().toString();
  // 2 embeddings, 2 final norm, 12 per layer; no lm_head (tied).
  EXPECT_EQ(hf->size(), 4u + 12u * s.layers);
  EXPECT_FALSE(hf->count("lm_head.weight"));
  EXPECT_EQ(hf->at("h.1.attn.c_attn.weight").shape(),
            (std::vector<int64_t>{H, 3 * H}));
  const char *parts[] = {"query", "key", "value"};
  for (int part = 0; part < 3; ++part) {
    std::string w = std::string("layers.1.attention.") + parts[part];
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t d = 0; d < hd; ++d) {
        for (int64_t i = 0; i < H; ++i)
          ASSERT_EQ(f32At(params, w + ".weight", (h * hd + d) * H + i),
                    f32At(hf.value(), "h.1.attn.c_attn.weight",
                          i * 3 * H + part * H + h * hd + d));
        ASSERT_EQ(f32At(params, w + ".bias", h * hd + d),
                  f32At(hf.value(), "h.1.attn.c_attn.bias",
                        part * H + h * hd + d));
      }
  }
  for (int64_t o = 0; o < H; ++o)
    for (int64_t j = 0; j < H; ++j) // j = h * hd + d
      ASSERT_EQ(f32At(params, "layers.0.attention.output.weight", o * H + j),
                f32At(hf.value(), "h.0.attn.c_proj.weight", j * H + o));
  for (int64_t f = 0; f < F; ++f)
    for (int64_t i = 0; i < H; ++i) {
      ASSERT_EQ(f32At(params, "layers.0.mlp.fc1.weight", f * H + i),
                f32At(hf.value(), "h.0.mlp.c_fc.weight", i * F + f));
      ASSERT_EQ(f32At(params, "layers.0.mlp.fc2.weight", i * F + f),
                f32At(hf.value(), "h.0.mlp.c_proj.weight", f * H + i));
    }
  EXPECT_TRUE(params.at("layers.1.mlp.fc2.bias")
                  .bitwiseEquals(hf->at("h.1.mlp.c_proj.bias")));
  EXPECT_TRUE(params.at("embedding.word_embeddings.weight")
                  .bitwiseEquals(hf->at("wte.weight")));
  EXPECT_TRUE(params.at("final_norm.bias").bitwiseEquals(hf->at("ln_f.bias")));

  StatusOr<TensorMap> back =
      fromHuggingFace(hf.value(), gpt2Table(s), HfFamily::Gpt2);
  ASSERT_TRUE(back.isOk()) << back.status().toString();
  expectSameTensors(params, back.value());
}

TEST(HfCheckpointTest, LlamaLayoutWithGroupedQueryAttention) {
  LlamaShape s; // heads 6, groups 2
  const int64_t H = s.hidden, hd = s.headDim;
  TensorMap params = randomParams(llamaTable(s), 7);
  StatusOr<TensorMap> hf = toHuggingFace(params, HfFamily::Llama);
  ASSERT_TRUE(hf.isOk()) << hf.status().toString();
  EXPECT_EQ(hf->at("model.layers.1.self_attn.q_proj.weight").shape(),
            (std::vector<int64_t>{s.heads * hd, H}));
  EXPECT_EQ(hf->at("model.layers.1.self_attn.k_proj.weight").shape(),
            (std::vector<int64_t>{s.groups * hd, H}));
  EXPECT_EQ(hf->at("model.layers.1.self_attn.o_proj.weight").shape(),
            (std::vector<int64_t>{H, s.heads * hd}));
  for (int64_t g = 0; g < s.groups; ++g)
    for (int64_t d = 0; d < hd; ++d)
      for (int64_t i = 0; i < H; ++i)
        ASSERT_EQ(f32At(params, "layers.1.attention.key.weight",
                        (g * hd + d) * H + i),
                  f32At(hf.value(), "model.layers.1.self_attn.k_proj.weight",
                        (g * hd + d) * H + i));
  for (int64_t o = 0; o < H; ++o)
    for (int64_t h = 0; h < s.heads; ++h)
      for (int64_t d = 0; d < hd; ++d)
        ASSERT_EQ(f32At(params, "layers.0.attention.output.weight",
                        (o * s.heads + h) * hd + d),
                  f32At(hf.value(), "model.layers.0.self_attn.o_proj.weight",
                        o * s.heads * hd + h * hd + d));
  EXPECT_TRUE(params.at("layers.0.mlp.fc2.weight")
                  .bitwiseEquals(hf->at("model.layers.0.mlp.down_proj.weight")));
  EXPECT_TRUE(params.at("output.weight").bitwiseEquals(hf->at("lm_head.weight")));
  EXPECT_TRUE(params.at("final_norm.weight")
                  .bitwiseEquals(hf->at("model.norm.weight")));
  StatusOr<TensorMap> back =
      fromHuggingFace(hf.value(), llamaTable(s), HfFamily::Llama);
  ASSERT_TRUE(back.isOk()) << back.status().toString();
  expectSameTensors(params, back.value());
}

TEST(HfCheckpointTest, LlamaBiasesMapToProjectionBiases) {
  LlamaShape s;
  s.layers = 1;
  ParameterTable table = llamaTable(s);
  table.push_back({"layers.0.attention.query.bias", {s.heads, s.headDim}});
  table.push_back({"layers.0.attention.output.bias", {s.hidden}});
  table.push_back({"layers.0.mlp.up.bias", {s.ffn}});
  StatusOr<std::vector<HfTensorMapping>> mapping =
      huggingFaceMapping(table, HfFamily::Llama);
  ASSERT_TRUE(mapping.isOk()) << mapping.status().toString();
  std::map<std::string, std::vector<int64_t>> hfShapes;
  for (const HfTensorMapping &m : mapping.value())
    hfShapes[m.hfName] = m.hfShape;
  EXPECT_EQ(hfShapes.at("model.layers.0.self_attn.q_proj.bias"),
            (std::vector<int64_t>{s.heads * s.headDim}));
  EXPECT_EQ(hfShapes.at("model.layers.0.self_attn.o_proj.bias"),
            (std::vector<int64_t>{s.hidden}));
  EXPECT_EQ(hfShapes.at("model.layers.0.mlp.up_proj.bias"),
            (std::vector<int64_t>{s.ffn}));
}

TEST(HfCheckpointTest, ConvertsDtypesOnLoadAndKeepsThemOnExport) {
  Gpt2Shape s;
  TensorMap params = randomParams(gpt2Table(s), 3);
  StatusOr<TensorMap> hf = toHuggingFace(params, HfFamily::Gpt2);
  ASSERT_TRUE(hf.isOk());
  // A bf16 model loads the f32 checkpoint, rounding each value once.
  Gpt2Shape bf16Shape = s;
  bf16Shape.dtype = DType::BF16;
  StatusOr<TensorMap> bf16 =
      fromHuggingFace(hf.value(), gpt2Table(bf16Shape), HfFamily::Gpt2);
  ASSERT_TRUE(bf16.isOk()) << bf16.status().toString();
  const HostTensor &q = bf16->at("layers.0.attention.query.weight");
  ASSERT_EQ(q.dtype(), DType::BF16);
  const HostTensor &q32 = params.at("layers.0.attention.query.weight");
  for (int64_t i = 0; i < q.numElements(); ++i)
    ASSERT_EQ(q.data<uint16_t>()[i], doubleToBf16(q32.data<float>()[i]));
  // Exported from bf16 parameters, the checkpoint is bf16.
  StatusOr<TensorMap> hfBf16 = toHuggingFace(bf16.value(), HfFamily::Gpt2);
  ASSERT_TRUE(hfBf16.isOk());
  EXPECT_EQ(hfBf16->at("h.0.attn.c_attn.weight").dtype(), DType::BF16);
  // And an f32 model reads it back exactly.
  StatusOr<TensorMap> f32 =
      fromHuggingFace(hfBf16.value(), gpt2Table(s), HfFamily::Gpt2);
  ASSERT_TRUE(f32.isOk());
  const HostTensor &back = f32->at("layers.0.attention.query.weight");
  for (int64_t i = 0; i < back.numElements(); ++i)
    ASSERT_EQ(back.data<float>()[i], bf16ToFloat(q.data<uint16_t>()[i]));
}

//===----------------------------------------------------------------------===//
// Checkpoints torch made
//===----------------------------------------------------------------------===//

PythonFixtures hfFixtures() {
  return testing::pythonFixtures("make_hf_checkpoints.py");
}

#define REQUIRE_FIXTURES(fixtures)                                             \
  if ((fixtures).state == PythonFixtures::State::Unavailable)                  \
    GTEST_SKIP() << (fixtures).message;                                        \
  ASSERT_EQ((fixtures).state, PythonFixtures::State::Ready)                    \
      << (fixtures).message

// The raw tensors of a fixture file, minus |family|'s ignored buffers.
TensorMap readHf(const std::string &path, HfFamily family) {
  StatusOr<SafetensorsContents> contents =
      readSafetensors(path, [family](const std::string &name) {
        return !isIgnoredHfBuffer(name, family);
      });
  EXPECT_TRUE(contents.isOk()) << contents.status().toString();
  return contents.isOk() ? std::move(contents->tensors) : TensorMap{};
}

// y[t][o...] = sum_i x[t][i...] w[o...][i...] + b[o...]: how tfm.matmul
// contracts the trailing |inDims| dimensions of x with a weight laid out
// [out..., in...], computed in double.
std::vector<double> strataLinear(const HostTensor &x, const HostTensor &w,
                                 const HostTensor *b, int64_t tokens) {
  const int64_t in = x.numElements() / tokens;
  const int64_t out = w.numElements() / in;
  std::vector<double> y(tokens * out);
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t o = 0; o < out; ++o) {
      double sum = b ? b->elementAsDouble(o) : 0.0;
      for (int64_t i = 0; i < in; ++i)
        sum += x.elementAsDouble(t * in + i) * w.elementAsDouble(o * in + i);
      y[t * out + o] = sum;
    }
  return y;
}

void expectClose(const std::vector<double> &got, const HostTensor &want,
                 const std::string &what) {
  ASSERT_EQ(static_cast<int64_t>(got.size()), want.numElements()) << what;
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want.elementAsDouble(static_cast<int64_t>(i)),
                1e-9 * (1.0 + std::fabs(got[i])))
        << what << " element " << i;
}

TEST(HfCheckpointTest, LoadsATorchGpt2Checkpoint) {
  PythonFixtures fixtures = hfFixtures();
  REQUIRE_FIXTURES(fixtures);
  const std::string path = fixtures.directory + "/gpt2.safetensors";
  Gpt2Shape s; // matches make_hf_checkpoints.py
  const int64_t H = s.hidden, hd = H / s.heads;
  SafetensorsMetadata metadata;
  StatusOr<TensorMap> params =
      loadCheckpoint(path, gpt2Table(s), HfFamily::Gpt2, &metadata);
  ASSERT_TRUE(params.isOk()) << params.status().toString();
  EXPECT_EQ(metadata.at("format"), "pt");
  EXPECT_EQ(params->size(), gpt2Table(s).size());

  // Specific elements land where the documented layout says.
  TensorMap hf = readHf(path, HfFamily::Gpt2);
  ASSERT_TRUE(hf.count("transformer.h.1.attn.c_attn.weight"));
  const float *cAttn =
      hf.at("transformer.h.1.attn.c_attn.weight").data<float>();
  const float *q =
      params->at("layers.1.attention.query.weight").data<float>();
  const float *k = params->at("layers.1.attention.key.weight").data<float>();
  const float *v =
      params->at("layers.1.attention.value.weight").data<float>();
  for (int64_t h = 0; h < s.heads; ++h)
    for (int64_t d = 0; d < hd; ++d)
      for (int64_t i = 0; i < H; ++i) {
        ASSERT_EQ(q[(h * hd + d) * H + i], cAttn[i * 3 * H + h * hd + d]);
        ASSERT_EQ(k[(h * hd + d) * H + i], cAttn[i * 3 * H + H + h * hd + d]);
        ASSERT_EQ(v[(h * hd + d) * H + i],
                  cAttn[i * 3 * H + 2 * H + h * hd + d]);
      }

  // The projections compute what Hugging Face's Conv1D computes.
  StatusOr<SafetensorsContents> expected =
      readSafetensors(fixtures.directory + "/gpt2_expected.safetensors");
  ASSERT_TRUE(expected.isOk()) << expected.status().toString();
  const TensorMap &e = expected->tensors;
  const TensorMap &p = params.value();
  const int64_t T = e.at("x").shape()[0];
  expectClose(strataLinear(e.at("x"), p.at("layers.1.attention.query.weight"),
                           &p.at("layers.1.attention.query.bias"), T),
              e.at("q"), "q");
  expectClose(strataLinear(e.at("x"), p.at("layers.1.attention.key.weight"),
                           &p.at("layers.1.attention.key.bias"), T),
              e.at("k"), "k");
  expectClose(strataLinear(e.at("x"), p.at("layers.1.attention.value.weight"),
                           &p.at("layers.1.attention.value.bias"), T),
              e.at("v"), "v");
  expectClose(strataLinear(e.at("z"), p.at("layers.1.attention.output.weight"),
                           &p.at("layers.1.attention.output.bias"), T),
              e.at("attn_out"), "attention output");
  expectClose(strataLinear(e.at("x"), p.at("layers.1.mlp.fc1.weight"),
                           &p.at("layers.1.mlp.fc1.bias"), T),
              e.at("fc1"), "fc1");
  expectClose(strataLinear(e.at("u"), p.at("layers.1.mlp.fc2.weight"),
                           &p.at("layers.1.mlp.fc2.bias"), T),
              e.at("fc2"), "fc2");

  // toHuggingFace(fromHuggingFace(x)) == x, bitwise, in state_dict naming
  // (lm_head is the tied copy of wte, so it is not written back).
  HfExportOptions options;
  options.gpt2TransformerPrefix = true;
  StatusOr<TensorMap> back = toHuggingFace(p, HfFamily::Gpt2, options);
  ASSERT_TRUE(back.isOk());
  hf.erase("lm_head.weight");
  expectSameTensors(hf, back.value());
}

TEST(HfCheckpointTest, LoadsGpt2CheckpointsOfOtherDtypes) {
  PythonFixtures fixtures = hfFixtures();
  REQUIRE_FIXTURES(fixtures);
  Gpt2Shape s;
  StatusOr<TensorMap> f32 = loadCheckpoint(
      fixtures.directory + "/gpt2.safetensors", gpt2Table(s), HfFamily::Gpt2);
  ASSERT_TRUE(f32.isOk()) << f32.status().toString();
  struct Case {
    const char *file;
    uint16_t (*round)(double);
    float (*widen)(uint16_t);
  };
  for (const Case &c : {Case{"gpt2_bf16.safetensors", doubleToBf16,
                             bf16ToFloat},
                        Case{"gpt2_f16.safetensors", doubleToF16, f16ToFloat},
                        Case{"gpt2_f64.safetensors", nullptr, nullptr}}) {
    StatusOr<TensorMap> loaded = loadCheckpoint(
        fixtures.directory + "/" + c.file, gpt2Table(s), HfFamily::Gpt2);
    ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
    for (const auto &[name, tensor] : loaded.value()) {
      ASSERT_EQ(tensor.dtype(), DType::F32) << name;
      const HostTensor &exact = f32->at(name);
      for (int64_t i = 0; i < tensor.numElements(); ++i) {
        float want = exact.data<float>()[i];
        if (c.round) // torch rounded f32 -> bf16/f16 to nearest even
          want = c.widen(c.round(want));
        ASSERT_EQ(tensor.data<float>()[i], want) << c.file << " " << name;
      }
    }
  }
}

TEST(HfCheckpointTest, LoadsATorchLlamaCheckpointWithGroupedQueryAttention) {
  PythonFixtures fixtures = hfFixtures();
  REQUIRE_FIXTURES(fixtures);
  const std::string path = fixtures.directory + "/llama.safetensors";
  LlamaShape s; // heads 6, groups 2, untied
  const int64_t H = s.hidden, hd = s.headDim;
  StatusOr<TensorMap> params =
      loadCheckpoint(path, llamaTable(s), HfFamily::Llama);
  ASSERT_TRUE(params.isOk()) << params.status().toString();
  TensorMap hf = readHf(path, HfFamily::Llama);
  const float *qProj =
      hf.at("model.layers.1.self_attn.q_proj.weight").data<float>();
  const float *q =
      params->at("layers.1.attention.query.weight").data<float>();
  for (int64_t h = 0; h < s.heads; ++h)
    for (int64_t d = 0; d < hd; ++d)
      for (int64_t i = 0; i < H; ++i)
        ASSERT_EQ(q[(h * hd + d) * H + i], qProj[(h * hd + d) * H + i]);
  const float *oProj =
      hf.at("model.layers.1.self_attn.o_proj.weight").data<float>();
  const float *o =
      params->at("layers.1.attention.output.weight").data<float>();
  for (int64_t r = 0; r < H; ++r)
    for (int64_t h = 0; h < s.heads; ++h)
      for (int64_t d = 0; d < hd; ++d)
        ASSERT_EQ(o[(r * s.heads + h) * hd + d],
                  oProj[r * s.heads * hd + h * hd + d]);

  StatusOr<SafetensorsContents> expected =
      readSafetensors(fixtures.directory + "/llama_expected.safetensors");
  ASSERT_TRUE(expected.isOk());
  const TensorMap &e = expected->tensors;
  const TensorMap &p = params.value();
  const int64_t T = e.at("x").shape()[0];
  expectClose(strataLinear(e.at("x"), p.at("layers.1.attention.query.weight"),
                           nullptr, T),
              e.at("q"), "q");
  expectClose(strataLinear(e.at("x"), p.at("layers.1.attention.key.weight"),
                           nullptr, T),
              e.at("k"), "k");
  expectClose(strataLinear(e.at("x"), p.at("layers.1.attention.value.weight"),
                           nullptr, T),
              e.at("v"), "v");
  expectClose(strataLinear(e.at("z"), p.at("layers.1.attention.output.weight"),
                           nullptr, T),
              e.at("attn_out"), "attention output");
  expectClose(strataLinear(e.at("x"), p.at("layers.1.mlp.gate.weight"),
                           nullptr, T),
              e.at("gate"), "gate");
  expectClose(strataLinear(e.at("x"), p.at("layers.1.mlp.up.weight"), nullptr,
                           T),
              e.at("up"), "up");
  expectClose(strataLinear(e.at("u"), p.at("layers.1.mlp.fc2.weight"),
                           nullptr, T),
              e.at("fc2"), "down");

  StatusOr<TensorMap> back = toHuggingFace(p, HfFamily::Llama);
  ASSERT_TRUE(back.isOk());
  expectSameTensors(hf, back.value()); // rotary inv_freq buffers left out

  // bf16 checkpoint into an f32 model.
  StatusOr<TensorMap> fromBf16 =
      loadCheckpoint(fixtures.directory + "/llama_bf16.safetensors",
                     llamaTable(s), HfFamily::Llama);
  ASSERT_TRUE(fromBf16.isOk());
  const HostTensor &k16 = fromBf16->at("layers.0.attention.key.weight");
  const HostTensor &k32 = p.at("layers.0.attention.key.weight");
  for (int64_t i = 0; i < k16.numElements(); ++i)
    ASSERT_EQ(k16.data<float>()[i],
              bf16ToFloat(doubleToBf16(k32.data<float>()[i])));
}

TEST(HfCheckpointTest, TiedLlamaCheckpoints) {
  PythonFixtures fixtures = hfFixtures();
  REQUIRE_FIXTURES(fixtures);
  LlamaShape tied;
  tied.tied = true;
  // Without lm_head (what save_pretrained writes for tied models).
  StatusOr<TensorMap> a =
      loadCheckpoint(fixtures.directory + "/llama_tied.safetensors",
                     llamaTable(tied), HfFamily::Llama);
  ASSERT_TRUE(a.isOk()) << a.status().toString();
  EXPECT_FALSE(a->count("output.weight"));
  // With an lm_head equal to the embedding: accepted and ignored.
  StatusOr<TensorMap> b =
      loadCheckpoint(fixtures.directory + "/llama_tied_with_head.safetensors",
                     llamaTable(tied), HfFamily::Llama);
  ASSERT_TRUE(b.isOk()) << b.status().toString();
  expectSameTensors(a.value(), b.value());
  // An untied checkpoint into a tied model: its lm_head differs.
  const std::string untied = fixtures.directory + "/llama.safetensors";
  std::string message =
      errorOf(loadCheckpoint(untied, llamaTable(tied), HfFamily::Llama));
  EXPECT_EQ(message.rfind(untied + ": checkpoint does not match the Llama "
                                   "model: lm_head.weight differs from "
                                   "model.embed_tokens.weight although the "
                                   "model ties them (element 0 is ",
                          0),
            0u)
      << message;
  // A tied checkpoint into an untied model: lm_head is missing.
  LlamaShape untiedShape;
  EXPECT_EQ(errorOf(loadCheckpoint(fixtures.directory +
                                       "/llama_tied.safetensors",
                                   llamaTable(untiedShape), HfFamily::Llama)),
            fixtures.directory +
                "/llama_tied.safetensors: checkpoint does not match the "
                "Llama model: missing 1 tensor: lm_head.weight");
  // A GPT-2 table cannot read a Llama checkpoint; every tensor is named.
  message = errorOf(loadCheckpoint(untied, gpt2Table(Gpt2Shape{}),
                                   HfFamily::Gpt2));
  EXPECT_NE(message.find("missing 28 tensors: h.0.attn.c_attn.bias, "),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("unexpected tensors: model.embed_tokens.weight "
                         "[50, 24], model.layers.0.input_layernorm.weight "
                         "[24], "),
            std::string::npos)
      << message;
}

//===----------------------------------------------------------------------===//
// Loading errors, built in memory
//===----------------------------------------------------------------------===//

class HfCheckpointErrorTest : public ::testing::Test {
protected:
  HfCheckpointErrorTest() {
    table = gpt2Table(shape);
    StatusOr<TensorMap> converted =
        toHuggingFace(randomParams(table, 5), HfFamily::Gpt2);
    EXPECT_TRUE(converted.isOk());
    hf = std::move(converted).value();
  }
  std::string load() {
    return errorOf(fromHuggingFace(hf, table, HfFamily::Gpt2, "x.safetensors"));
  }
  Gpt2Shape shape;
  ParameterTable table;
  TensorMap hf;
};

TEST_F(HfCheckpointErrorTest, ListsEveryMissingTensor) {
  hf.erase("h.1.ln_2.bias");
  hf.erase("h.0.attn.c_attn.weight");
  hf.erase("wpe.weight");
  EXPECT_EQ(load(), "x.safetensors: checkpoint does not match the GPT-2 "
                    "model: missing 3 tensors: h.0.attn.c_attn.weight, "
                    "h.1.ln_2.bias, wpe.weight");
}

TEST_F(HfCheckpointErrorTest, NamesUnexpectedTensors) {
  hf.emplace("h.2.ln_1.weight", HostTensor(DType::F32, {8}));
  hf.emplace("score.weight", HostTensor(DType::F32, {2, 8}));
  EXPECT_EQ(load(), "x.safetensors: checkpoint does not match the GPT-2 "
                    "model: unexpected tensors: h.2.ln_1.weight [8], "
                    "score.weight [2, 8]");
}

TEST_F(HfCheckpointErrorTest, NamesMisshapedTensorsWithBothShapes) {
  hf["h.1.attn.c_attn.weight"] = HostTensor(DType::F32, {8, 36});
  hf["wte.weight"] = HostTensor(DType::F32, {51, 8});
  EXPECT_EQ(load(), "x.safetensors: checkpoint does not match the GPT-2 "
                    "model: h.1.attn.c_attn.weight has shape [8, 36], "
                    "expected [8, 24]; wte.weight has shape [51, 8], "
                    "expected [50, 8]");
}

TEST_F(HfCheckpointErrorTest, NamesDtypesThatCannotBeConverted) {
  hf["ln_f.weight"] = HostTensor(DType::I64, {8});
  EXPECT_EQ(load(), "x.safetensors: checkpoint does not match the GPT-2 "
                    "model: ln_f.weight has dtype I64, which cannot be "
                    "converted to F32");
}

TEST_F(HfCheckpointErrorTest, ReportsAllProblemsAtOnce) {
  hf.erase("h.0.ln_1.weight");
  hf["h.0.mlp.c_fc.weight"] = HostTensor(DType::F32, {32, 8});
  hf.emplace("extra", HostTensor(DType::F32, {1}));
  EXPECT_EQ(load(), "x.safetensors: checkpoint does not match the GPT-2 "
                    "model: missing 1 tensor: h.0.ln_1.weight; "
                    "h.0.mlp.c_fc.weight has shape [32, 8], expected [8, 32]; "
                    "unexpected tensor: extra [1]");
}

TEST_F(HfCheckpointErrorTest, AcceptsPrefixesBuffersAndAnEqualLmHead) {
  TensorMap prefixed;
  for (const auto &[name, tensor] : hf)
    prefixed.emplace("transformer." + name, tensor);
  prefixed.emplace("lm_head.weight", hf.at("wte.weight"));
  prefixed.emplace("transformer.h.0.attn.bias", HostTensor(DType::F32, {1}));
  prefixed.emplace("h.1.attn.masked_bias", HostTensor(DType::F32, {}));
  StatusOr<TensorMap> loaded =
      fromHuggingFace(prefixed, table, HfFamily::Gpt2, "x.safetensors");
  ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
  StatusOr<TensorMap> plain = fromHuggingFace(hf, table, HfFamily::Gpt2);
  ASSERT_TRUE(plain.isOk());
  expectSameTensors(plain.value(), loaded.value());
}

TEST_F(HfCheckpointErrorTest, RejectsAnLmHeadThatDiffersFromTheTiedEmbedding) {
  HostTensor head = hf.at("wte.weight");
  head.data<float>()[17] += 1.0f;
  hf.emplace("lm_head.weight", head);
  std::string message = load();
  EXPECT_EQ(message.rfind("x.safetensors: checkpoint does not match the "
                          "GPT-2 model: lm_head.weight differs from "
                          "wte.weight although the model ties them (element "
                          "17 is ",
                          0),
            0u)
      << message;
  EXPECT_NE(message.find("load it as an untied model (with output.weight) "
                         "instead"),
            std::string::npos);
}

TEST_F(HfCheckpointErrorTest, RejectsAPrefixedAndUnprefixedPair) {
  hf.emplace("transformer.wte.weight", hf.at("wte.weight"));
  EXPECT_EQ(load(), "x.safetensors: checkpoint does not match the GPT-2 "
                    "model: both transformer.wte.weight and wte.weight are "
                    "present");
}

TEST_F(HfCheckpointErrorTest, UntiedGpt2NeedsLmHead) {
  shape.tied = false;
  table = gpt2Table(shape);
  EXPECT_EQ(load(), "x.safetensors: checkpoint does not match the GPT-2 "
                    "model: missing 1 tensor: lm_head.weight");
  hf.emplace("lm_head.weight", HostTensor(DType::F32, {50, 8}));
  StatusOr<TensorMap> loaded = fromHuggingFace(hf, table, HfFamily::Gpt2);
  ASSERT_TRUE(loaded.isOk());
  EXPECT_TRUE(loaded->count("output.weight"));
}

TEST(HfCheckpointTest, LlamaLoadsWithAndWithoutTheModelPrefix) {
  LlamaShape s;
  const ParameterTable table = llamaTable(s);
  const TensorMap params = randomParams(table, 41);
  StatusOr<TensorMap> hf = toHuggingFace(params, HfFamily::Llama);
  ASSERT_TRUE(hf.isOk());
  // A LlamaModel's state dict (no "model.") with the untied head beside it,
  // and its rotary buffers.
  TensorMap bare;
  for (const auto &[name, tensor] : hf.value())
    bare.emplace(name.rfind("model.", 0) == 0 ? name.substr(6) : name, tensor);
  bare.emplace("layers.1.self_attn.rotary_emb.inv_freq",
               HostTensor(DType::F32, {2}));
  EXPECT_TRUE(isIgnoredHfBuffer("layers.1.self_attn.rotary_emb.inv_freq",
                                HfFamily::Llama));
  EXPECT_TRUE(bare.count("embed_tokens.weight"));
  EXPECT_TRUE(bare.count("lm_head.weight"));
  StatusOr<TensorMap> loaded = fromHuggingFace(bare, table, HfFamily::Llama);
  ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
  expectSameTensors(params, loaded.value());
  // Both spellings of one tensor is an error.
  bare.emplace("model.norm.weight", bare.at("norm.weight"));
  EXPECT_EQ(errorOf(fromHuggingFace(bare, table, HfFamily::Llama, "x")),
            "x: checkpoint does not match the Llama model: both "
            "model.norm.weight and norm.weight are present");
}

TEST(HfCheckpointTest, LlamaAdapterParametersKeepTheirStrataNames) {
  // Adapters pass through under their Strata names, which begin like a
  // LlamaModel's (layers.N.): they must not take the "model." prefix.
  LlamaShape s;
  ParameterTable table = llamaTable(s);
  table.push_back({"layers.0.attention.lora_dense.linear_in.weight",
                   {4, s.hidden},
                   DType::F32});
  const TensorMap params = randomParams(table, 43);
  StatusOr<TensorMap> hf = toHuggingFace(params, HfFamily::Llama);
  ASSERT_TRUE(hf.isOk()) << hf.status().toString();
  EXPECT_TRUE(hf->count("layers.0.attention.lora_dense.linear_in.weight"));
  StatusOr<TensorMap> loaded =
      fromHuggingFace(hf.value(), table, HfFamily::Llama);
  ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
  expectSameTensors(params, loaded.value());
}

//===----------------------------------------------------------------------===//
// Tables a family cannot represent
//===----------------------------------------------------------------------===//

TEST(HfCheckpointTest, Gpt2IsMultiHeadAttentionOnly) {
  LlamaShape gqa;
  ParameterTable table = gpt2Table(Gpt2Shape{});
  // Give layer 0 grouped-query key/value weights.
  for (ParameterSpec &spec : table)
    if (spec.name == "layers.0.attention.key.weight")
      spec.shape = {1, 4, 8};
  StatusOr<std::vector<HfTensorMapping>> mapping =
      huggingFaceMapping(table, HfFamily::Gpt2);
  ASSERT_FALSE(mapping.isOk());
  EXPECT_EQ(mapping.status().message(),
            "GPT-2 has multi-head attention only, but layer 0 has 2 query "
            "heads and 1 key/value groups (layers.0.attention.key.weight "
            "[1, 4, 8])");
  ParameterTable wide = gpt2Table(Gpt2Shape{});
  for (ParameterSpec &spec : wide)
    if (spec.name.find("layers.1.attention.query") == 0 ||
        spec.name.find("layers.1.attention.key") == 0 ||
        spec.name.find("layers.1.attention.value") == 0)
      spec.shape[1] = 8; // head_dim 8 with 2 heads and hidden 8
  mapping = huggingFaceMapping(wide, HfFamily::Gpt2);
  ASSERT_FALSE(mapping.isOk());
  EXPECT_EQ(mapping.status().message(),
            "GPT-2 needs heads * head_dim == hidden, but "
            "layers.1.attention.query.weight has shape [2, 8, 8]");
  // And a whole Llama table cannot become GPT-2.
  EXPECT_FALSE(huggingFaceMapping(llamaTable(gqa), HfFamily::Gpt2).isOk());
}

TEST(HfCheckpointTest, RejectsParametersAFamilyCannotName) {
  auto messageFor = [](ParameterTable table, HfFamily family) {
    StatusOr<std::vector<HfTensorMapping>> m =
        huggingFaceMapping(table, family);
    EXPECT_FALSE(m.isOk());
    return m.isOk() ? "" : m.status().message();
  };
  EXPECT_EQ(messageFor({{"layers.0.mlp.fc1.weight", {4, 2}}}, HfFamily::Llama),
            "parameter 'layers.0.mlp.fc1.weight' has no Hugging Face Llama "
            "equivalent");
  EXPECT_EQ(messageFor({{"layers.0.mlp.gate.weight", {4, 2}}}, HfFamily::Gpt2),
            "parameter 'layers.0.mlp.gate.weight' has no Hugging Face GPT-2 "
            "equivalent");
  EXPECT_EQ(messageFor({{"layers.0.input_norm.bias", {2}}}, HfFamily::Llama),
            "parameter 'layers.0.input_norm.bias' has no Hugging Face Llama "
            "equivalent");
  EXPECT_EQ(messageFor({{"embedding.position_embeddings.weight", {4, 2}}},
                       HfFamily::Llama),
            "parameter 'embedding.position_embeddings.weight' has no Hugging "
            "Face Llama equivalent");
  EXPECT_EQ(messageFor({{"layers.01.input_norm.weight", {2}}},
                       HfFamily::Gpt2),
            "parameter 'layers.01.input_norm.weight' has no Hugging Face "
            "GPT-2 equivalent");
  EXPECT_EQ(messageFor({{"layers.0.attention.output.weight", {8, 8}}},
                       HfFamily::Llama),
            "parameter 'layers.0.attention.output.weight' has shape [8, 8]; "
            "expected rank 3 [hidden, heads, head_dim]");
  EXPECT_EQ(messageFor({{"layers.0.attention.key.weight", {2, 4, 8}}},
                       HfFamily::Gpt2),
            "parameter 'layers.0.attention.key.weight' needs "
            "'layers.0.attention.query.weight' to place it in "
            "h.0.attn.c_attn, but the table has no such parameter");
  EXPECT_EQ(messageFor({{"final_norm.weight", {2}}, {"final_norm.weight", {2}}},
                       HfFamily::Gpt2),
            "parameter 'final_norm.weight' appears twice in the table");
  EXPECT_EQ(messageFor({{"final_norm.weight", {-2}}}, HfFamily::Gpt2),
            "parameter 'final_norm.weight': shape [-2] has a negative "
            "dimension -2");
}

TEST(HfCheckpointTest, ExportNeedsCompleteFusedTensors) {
  TensorMap params = randomParams(gpt2Table(Gpt2Shape{}), 9);
  params.erase("layers.1.attention.key.weight");
  StatusOr<TensorMap> hf = toHuggingFace(params, HfFamily::Gpt2);
  ASSERT_FALSE(hf.isOk());
  EXPECT_EQ(hf.status().message(),
            "cannot build h.1.attn.c_attn.weight [8, 24]: the parameters "
            "cover 16 of its 24 columns (only "
            "layers.1.attention.query.weight, "
            "layers.1.attention.value.weight)");
  params = randomParams(gpt2Table(Gpt2Shape{}), 9);
  params["layers.0.attention.value.weight"] =
      randomTensor(DType::BF16, {2, 4, 8}, 1);
  hf = toHuggingFace(params, HfFamily::Gpt2);
  ASSERT_FALSE(hf.isOk());
  EXPECT_EQ(hf.status().message(),
            "h.0.attn.c_attn.weight would combine "
            "layers.0.attention.key.weight (F32) with "
            "layers.0.attention.value.weight (BF16); convert them to one "
            "dtype first");
}

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

TEST(HfCheckpointTest, SaveAndLoadRoundTrip) {
  TempDir dir;
  const std::string path = dir.file("step100.safetensors");
  LlamaShape s;
  TensorMap params = randomParams(llamaTable(s), 21);
  ASSERT_TRUE(saveCheckpoint(path, params, HfFamily::Llama, {{"step", "100"}})
                  .isOk());
  SafetensorsMetadata metadata;
  StatusOr<TensorMap> loaded =
      loadCheckpoint(path, llamaTable(s), HfFamily::Llama, &metadata);
  ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
  expectSameTensors(params, loaded.value());
  EXPECT_EQ(metadata, (SafetensorsMetadata{{"format", "pt"}, {"step", "100"}}));
  // The file holds Hugging Face names only.
  StatusOr<SafetensorsHeader> header = inspectSafetensors(path);
  ASSERT_TRUE(header.isOk());
  for (const SafetensorsEntry &entry : header->entries)
    EXPECT_TRUE(entry.name == "lm_head.weight" ||
                entry.name.rfind("model.", 0) == 0)
        << entry.name;
  // A bad parameter set is refused before anything is written.
  TensorMap bad = params;
  bad.emplace("layers.0.mlp.fc1.weight", HostTensor(DType::F32, {2, 2}));
  Status status = saveCheckpoint(dir.file("bad.safetensors"), bad,
                                 HfFamily::Llama);
  EXPECT_EQ(status.message(),
            "while saving " + dir.file("bad.safetensors") +
                ": parameter 'layers.0.mlp.fc1.weight' has no Hugging Face "
                "Llama equivalent");
}

TEST(HfCheckpointTest, LoadsShardedCheckpoints) {
  TempDir dir;
  Gpt2Shape s;
  TensorMap params = randomParams(gpt2Table(s), 31);
  StatusOr<TensorMap> hf = toHuggingFace(params, HfFamily::Gpt2);
  ASSERT_TRUE(hf.isOk());
  TensorMap first, second;
  std::string weightMap;
  int i = 0;
  for (const auto &[name, tensor] : hf.value()) {
    bool one = i++ % 2 == 0;
    (one ? first : second).emplace(name, tensor);
    weightMap += std::string(weightMap.empty() ? "" : ",") + "\"" + name +
                 "\":\"model-0000" + (one ? "1" : "2") + "-of-00002."
                                                         "safetensors\"";
  }
  ASSERT_TRUE(writeSafetensors(dir.file("model-00001-of-00002.safetensors"),
                               first)
                  .isOk());
  ASSERT_TRUE(writeSafetensors(dir.file("model-00002-of-00002.safetensors"),
                               second)
                  .isOk());
  const std::string index = dir.file("model.safetensors.index.json");
  auto writeIndex = [&](const std::string &map) {
    std::ofstream(index) << "{\"metadata\":{\"total_size\":1234},"
                         << "\"weight_map\":{" << map << "}}";
  };
  writeIndex(weightMap);
  SafetensorsMetadata metadata;
  StatusOr<TensorMap> loaded =
      loadCheckpoint(index, gpt2Table(s), HfFamily::Gpt2, &metadata);
  ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
  expectSameTensors(params, loaded.value());
  EXPECT_EQ(metadata.at("total_size"), "1234");

  // The index places a tensor in the wrong shard.
  std::string moved = weightMap;
  size_t at = moved.find("\"wte.weight\":\"model-0000");
  ASSERT_NE(at, std::string::npos);
  char &shardDigit = moved[at + std::strlen("\"wte.weight\":\"model-0000")];
  shardDigit = shardDigit == '1' ? '2' : '1';
  writeIndex(moved);
  StatusOr<TensorMap> wrong = loadCheckpoint(index, gpt2Table(s),
                                             HfFamily::Gpt2);
  ASSERT_FALSE(wrong.isOk());
  EXPECT_NE(wrong.status().message().find("lacks wte.weight, which " + index +
                                          " places there"),
            std::string::npos)
      << wrong.status().message();
  // Shard names must stay beside the index.
  writeIndex("\"wte.weight\":\"../elsewhere.safetensors\"");
  wrong = loadCheckpoint(index, gpt2Table(s), HfFamily::Gpt2);
  ASSERT_FALSE(wrong.isOk());
  EXPECT_EQ(wrong.status().message(),
            index + ": weight_map entry 'wte.weight' names "
                    "'../elsewhere.safetensors', which is not a file beside "
                    "the index");
  std::ofstream(index) << "{\"weight_map\": [";
  EXPECT_FALSE(loadCheckpoint(index, gpt2Table(s), HfFamily::Gpt2).isOk());
}

TEST(HfCheckpointTest, LoadErrorsNameTheFile) {
  TempDir dir;
  EXPECT_EQ(errorOf(loadCheckpoint(dir.file("none.safetensors"),
                                   gpt2Table(Gpt2Shape{}), HfFamily::Gpt2)),
            dir.file("none.safetensors") +
                ": cannot open: No such file or directory");
  TensorMap tiny;
  tiny.emplace("wte.weight", HostTensor(DType::F32, {50, 8}));
  ASSERT_TRUE(writeSafetensors(dir.file("tiny.safetensors"), tiny).isOk());
  std::string message = errorOf(loadCheckpoint(
      dir.file("tiny.safetensors"), gpt2Table(Gpt2Shape{}), HfFamily::Gpt2));
  EXPECT_EQ(message.rfind(dir.file("tiny.safetensors") +
                              ": checkpoint does not match the GPT-2 model: "
                              "missing 27 tensors: h.0.attn.c_attn.bias, ",
                          0),
            0u)
      << message;
}

} // namespace
} // namespace strata::runtime::io
