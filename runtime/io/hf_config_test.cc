//===- hf_config_test.cc - tests of config.json from a Strata config ------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/io/hf_config.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace strata::runtime::io {
namespace {

using json = nlohmann::json;

// The tfm.config of examples/tiny-gpt.yaml as an artifact records it (the
// keys config.json needs, and some it does not).
json tinyGptConfig() {
  return {{"name", "tiny-gpt"},
          {"num_layers", 4},
          {"hidden_size", 128},
          {"ffn_hidden_size", 512},
          {"num_attention_heads", 4},
          {"num_query_groups", 4},
          {"kv_channels", 32},
          {"seq_length", 128},
          {"max_position_embeddings", 128},
          {"vocab_size", 50257},
          {"padded_vocab_size", 50304},
          {"normalization", "layernorm"},
          {"activation", "fast-gelu"},
          {"position_embedding_type", "learned_absolute"},
          {"model_family", "gpt2"},
          {"rotary_percentage", 1.0},
          {"rotary_base", 10000.0},
          {"share_embeddings_and_output_weights", true},
          {"bias", true},
          {"hidden_dropout", 0.1},
          {"attention_dropout", 0.1},
          {"ffn_dropout", 0.0},
          {"init_method_std", 0.02},
          {"layernorm_epsilon", 1e-5},
          {"precision", "32"}};
}

// examples/tiny-llama.yaml's.
json tinyLlamaConfig() {
  json c = tinyGptConfig();
  c["name"] = "tiny-llama";
  c["num_layers"] = 3;
  c["hidden_size"] = 144;
  c["ffn_hidden_size"] = 384;
  c["num_attention_heads"] = 6;
  c["num_query_groups"] = 2;
  c["kv_channels"] = 24;
  c["max_position_embeddings"] = 96;
  c["normalization"] = "rmsnorm";
  c["activation"] = "swiglu";
  c["position_embedding_type"] = "rope";
  c["rotary_base"] = 500000.0;
  c["share_embeddings_and_output_weights"] = false;
  c["bias"] = false;
  c["hidden_dropout"] = 0.0;
  c["attention_dropout"] = 0.0;
  c["layernorm_epsilon"] = 1e-6;
  return c;
}

StatusOr<json> configJsonOf(const json &strata, HfFamily family,
                            DType dtype = DType::F32) {
  STRATA_ASSIGN_OR_RETURN(
      HfModelConfig c,
      hfModelConfigFromStrata(strata.dump(), family, dtype, "m.strata"));
  STRATA_ASSIGN_OR_RETURN(std::string text, hfConfigJson(c));
  return json::parse(text);
}

template <typename T> std::string errorOf(const StatusOr<T> &result) {
  EXPECT_FALSE(result.isOk());
  return result.isOk() ? "" : result.status().message();
}

TEST(HfConfigTest, Gpt2LMHeadModelKeys) {
  StatusOr<json> got = configJsonOf(tinyGptConfig(), HfFamily::Gpt2);
  ASSERT_TRUE(got.isOk()) << got.status().toString();
  const json expected = {{"architectures", {"GPT2LMHeadModel"}},
                         {"model_type", "gpt2"},
                         {"vocab_size", 50257},
                         {"n_embd", 128},
                         {"n_layer", 4},
                         {"n_head", 4},
                         {"n_inner", 512},
                         {"n_positions", 128},
                         {"n_ctx", 128},
                         {"activation_function", "gelu_new"},
                         {"layer_norm_epsilon", 1e-5},
                         {"tie_word_embeddings", true},
                         {"torch_dtype", "float32"},
                         {"initializer_range", 0.02},
                         {"resid_pdrop", 0.1},
                         {"embd_pdrop", 0.1},
                         {"attn_pdrop", 0.1},
                         {"scale_attn_weights", true},
                         {"scale_attn_by_inverse_layer_idx", false},
                         {"reorder_and_upcast_attn", false},
                         {"use_cache", true}};
  EXPECT_EQ(got.value(), expected) << got->dump(2);
  // The erf GELU is transformers' "gelu".
  json erf = tinyGptConfig();
  erf["activation"] = "gelu";
  EXPECT_EQ(configJsonOf(erf, HfFamily::Gpt2)->at("activation_function"),
            "gelu");
}

TEST(HfConfigTest, LlamaForCausalLMKeys) {
  StatusOr<json> got =
      configJsonOf(tinyLlamaConfig(), HfFamily::Llama, DType::BF16);
  ASSERT_TRUE(got.isOk()) << got.status().toString();
  const json expected = {{"architectures", {"LlamaForCausalLM"}},
                         {"model_type", "llama"},
                         {"vocab_size", 50257},
                         {"hidden_size", 144},
                         {"num_hidden_layers", 3},
                         {"num_attention_heads", 6},
                         {"num_key_value_heads", 2},
                         {"head_dim", 24},
                         {"intermediate_size", 384},
                         {"max_position_embeddings", 96},
                         {"rms_norm_eps", 1e-6},
                         {"rope_theta", 500000.0},
                         {"rope_scaling", nullptr},
                         {"hidden_act", "silu"},
                         {"attention_bias", false},
                         {"mlp_bias", false},
                         {"attention_dropout", 0.0},
                         {"pretraining_tp", 1},
                         {"tie_word_embeddings", false},
                         {"torch_dtype", "bfloat16"},
                         {"initializer_range", 0.02},
                         {"use_cache", true}};
  EXPECT_EQ(got.value(), expected) << got->dump(2);
}

TEST(HfConfigTest, WritesSortedKeysAsTransformersDoes) {
  StatusOr<HfModelConfig> c = hfModelConfigFromStrata(
      tinyGptConfig().dump(), HfFamily::Gpt2, DType::F16, "m.strata");
  ASSERT_TRUE(c.isOk());
  std::string text = hfConfigJson(c.value()).value();
  EXPECT_EQ(text.rfind("{\n  \"activation_function\": \"gelu_new\",\n", 0), 0u)
      << text;
  EXPECT_NE(text.find("\"torch_dtype\": \"float16\""), std::string::npos);
  EXPECT_EQ(text.back(), '\n');
}

TEST(HfConfigTest, ListsEveryMissingOrMistypedKey) {
  json c = tinyLlamaConfig();
  c.erase("rotary_base");
  c.erase("kv_channels");
  c["bias"] = "no";
  EXPECT_EQ(errorOf(configJsonOf(c, HfFamily::Llama)),
            "m.strata: the recorded model configuration cannot make a "
            "config.json: 'kv_channels' is missing; 'bias' is \"no\", not "
            "true or false; 'rotary_base' is missing (an artifact of an older "
            "strata-compile? recompile it)");
  EXPECT_EQ(errorOf(hfModelConfigFromStrata("[1]", HfFamily::Gpt2, DType::F32,
                                            "m.strata")),
            "m.strata: the recorded model configuration is not a JSON "
            "object");
}

TEST(HfConfigTest, RefusesArchitecturesTheFamilyDoesNotHave) {
  json c = tinyGptConfig();
  c["normalization"] = "layernorm1p";
  EXPECT_EQ(errorOf(configJsonOf(c, HfFamily::Gpt2)),
            "m.strata: no Hugging Face GPT-2 config.json describes this "
            "model: normalization layernorm1p (GPT-2 has layernorm)");
  c = tinyLlamaConfig();
  c["position_embedding_type"] = "learned_absolute";
  c["activation"] = "gelu";
  EXPECT_EQ(errorOf(configJsonOf(c, HfFamily::Llama)),
            "m.strata: no Hugging Face Llama config.json describes this "
            "model: position_embedding_type learned_absolute (Llama has "
            "rope); activation gelu (Llama has swiglu)");
}

TEST(HfConfigTest, RefusesWhatTheClassCannotExpress) {
  json c = tinyGptConfig();
  c["bias"] = false;
  c["num_query_groups"] = 2;
  EXPECT_EQ(errorOf(configJsonOf(c, HfFamily::Gpt2)),
            "no Hugging Face GPT-2 config.json describes this model: "
            "GPT2LMHeadModel has biases in every layer, and the model has "
            "none (bias: false); GPT2LMHeadModel has multi-head attention "
            "only, and the model has 4 heads in 2 key/value groups");
  c = tinyLlamaConfig();
  c["rotary_percentage"] = 0.5;
  EXPECT_EQ(errorOf(configJsonOf(c, HfFamily::Llama)),
            "no Hugging Face Llama config.json describes this model: "
            "LlamaForCausalLM rotates every dimension of a head, and the "
            "model has rotary_percentage 0.5");
  EXPECT_EQ(errorOf(configJsonOf(tinyGptConfig(), HfFamily::Gpt2, DType::I32)),
            "a Hugging Face checkpoint of I32 tensors has no torch_dtype "
            "here");
}

} // namespace
} // namespace strata::runtime::io
