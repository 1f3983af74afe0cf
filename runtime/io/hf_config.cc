//===- hf_config.cc - Hugging Face config.json of a Strata model ----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/io/hf_config.h"

#include <nlohmann/json.hpp>

#include <vector>

namespace strata::runtime::io {

using json = nlohmann::json;

namespace {

// Reads the keys of an artifact's configuration, collecting every key that
// is missing or of the wrong type, so that one error lists them all.
class ConfigReader {
public:
  explicit ConfigReader(const json &config) : config_(config) {}

  int64_t integer(const char *key) {
    return read<int64_t>(key, &json::is_number_integer, "an integer");
  }
  double number(const char *key) {
    return read<double>(key, &json::is_number, "a number");
  }
  bool boolean(const char *key) {
    return read<bool>(key, &json::is_boolean, "true or false");
  }
  std::string text(const char *key) {
    return read<std::string>(key, &json::is_string, "a string");
  }
  const std::vector<std::string> &problems() const { return problems_; }

private:
  /// |key|'s value when |isType| holds for it; otherwise T() and a problem.
  template <typename T>
  T read(const char *key, bool (json::*isType)() const noexcept,
         const char *expected) {
    auto it = config_.find(key);
    if (it == config_.end() || !((*it).*isType)()) {
      problems_.push_back(describe(key, expected));
      return T();
    }
    return it->get<T>();
  }
  std::string describe(const char *key, const char *expected) const {
    auto it = config_.find(key);
    if (it == config_.end())
      return std::string("'") + key + "' is missing";
    return std::string("'") + key + "' is " + it->dump() + ", not " + expected;
  }

  const json &config_;
  std::vector<std::string> problems_;
};

std::string join(const std::vector<std::string> &items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i)
    out += (i ? "; " : "") + items[i];
  return out;
}

// transformers' name of a GELU variant (ACT2FN).
const char *gpt2ActivationName(Activation activation) {
  switch (activation) {
  case Activation::Gelu:
    return "gelu";
  case Activation::FastGelu:
    return "gelu_new";
  case Activation::SwiGLU:
    return nullptr;
  }
  return nullptr;
}

} // namespace

StatusOr<std::string> torchDtypeName(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return std::string("float32");
  case DType::BF16:
    return std::string("bfloat16");
  case DType::F16:
    return std::string("float16");
  default:
    return Status::invalidArgument(
        std::string("a Hugging Face checkpoint of ") + toString(dtype) +
        " tensors has no torch_dtype here");
  }
}

StatusOr<HfModelConfig> hfModelConfigFromStrata(const std::string &configJson,
                                                HfFamily family, DType dtype,
                                                const std::string &source) {
  const json config = json::parse(configJson, nullptr,
                                  /*allow_exceptions=*/false);
  if (!config.is_object())
    return Status::invalidArgument(
        source + ": the recorded model configuration is not a JSON object");
  ConfigReader read(config);
  HfModelConfig c;
  c.family = family;
  c.dtype = dtype;
  c.vocabSize = read.integer("vocab_size");
  c.hiddenSize = read.integer("hidden_size");
  c.numLayers = read.integer("num_layers");
  c.numHeads = read.integer("num_attention_heads");
  c.numKeyValueHeads = read.integer("num_query_groups");
  c.headDim = read.integer("kv_channels");
  c.ffnHiddenSize = read.integer("ffn_hidden_size");
  c.maxPositions = read.integer("max_position_embeddings");
  c.normEpsilon = read.number("layernorm_epsilon");
  c.tiedEmbeddings = read.boolean("share_embeddings_and_output_weights");
  c.bias = read.boolean("bias");
  c.initStd = read.number("init_method_std");
  c.hiddenDropout = read.number("hidden_dropout");
  c.attentionDropout = read.number("attention_dropout");
  const std::string normalization = read.text("normalization");
  const std::string positions = read.text("position_embedding_type");
  const std::string activation = read.text("activation");
  if (family == HfFamily::Llama) {
    c.ropeTheta = read.number("rotary_base");
    c.rotaryPercentage = read.number("rotary_percentage");
  }
  if (!read.problems().empty())
    return Status::invalidArgument(
        source +
        ": the recorded model configuration cannot make a "
        "config.json: " +
        join(read.problems()) +
        " (an artifact of an older strata-compile? "
        "recompile it)");

  // The family's architecture, checked: a variant (layernorm1p's w - 1
  // weights, say) would otherwise be exported as a different model.
  const bool gpt2 = family == HfFamily::Gpt2;
  const char *wantNormalization =
      toString(gpt2 ? Normalization::LayerNorm : Normalization::RMSNorm);
  const char *wantPositions = toString(gpt2 ? PositionEmbedding::LearnedAbsolute
                                            : PositionEmbedding::Rope);
  std::vector<std::string> problems;
  if (normalization != wantNormalization)
    problems.push_back("normalization " + normalization + " (" +
                       toString(family) + " has " + wantNormalization + ")");
  if (positions != wantPositions)
    problems.push_back("position_embedding_type " + positions + " (" +
                       toString(family) + " has " + wantPositions + ")");
  bool knownActivation = false;
  for (Activation a :
       {Activation::Gelu, Activation::FastGelu, Activation::SwiGLU})
    if (activation == toString(a)) {
      c.activation = a;
      knownActivation = true;
    }
  if (!knownActivation || (gpt2 != (c.activation != Activation::SwiGLU)))
    problems.push_back("activation " + activation + " (" + toString(family) +
                       " has " + (gpt2 ? "gelu or fast-gelu" : "swiglu") + ")");
  if (!problems.empty())
    return Status::invalidArgument(
        source + ": no Hugging Face " + toString(family) +
        " config.json describes this model: " + join(problems));
  return c;
}

StatusOr<std::string> hfConfigJson(const HfModelConfig &c) {
  STRATA_ASSIGN_OR_RETURN(std::string dtype, torchDtypeName(c.dtype));
  std::vector<std::string> problems;
  json out = json::object();
  out["vocab_size"] = c.vocabSize;
  out["tie_word_embeddings"] = c.tiedEmbeddings;
  out["torch_dtype"] = dtype;
  out["initializer_range"] = c.initStd;
  out["use_cache"] = true;
  if (c.family == HfFamily::Gpt2) {
    if (!c.bias)
      problems.push_back("GPT2LMHeadModel has biases in every layer, and the "
                         "model has none (bias: false)");
    if (c.numKeyValueHeads != c.numHeads)
      problems.push_back("GPT2LMHeadModel has multi-head attention only, and "
                         "the model has " +
                         std::to_string(c.numHeads) + " heads in " +
                         std::to_string(c.numKeyValueHeads) +
                         " key/value groups");
    if (c.numHeads * c.headDim != c.hiddenSize)
      problems.push_back("GPT2LMHeadModel needs heads x head_dim == hidden, "
                         "and the model has " +
                         std::to_string(c.numHeads) + " x " +
                         std::to_string(c.headDim) +
                         " != " + std::to_string(c.hiddenSize));
    const char *activation = gpt2ActivationName(c.activation);
    if (!activation)
      problems.push_back("GPT2LMHeadModel has a GELU MLP, not swiglu");
    out["architectures"] = {"GPT2LMHeadModel"};
    out["model_type"] = "gpt2";
    out["n_embd"] = c.hiddenSize;
    out["n_layer"] = c.numLayers;
    out["n_head"] = c.numHeads;
    out["n_inner"] = c.ffnHiddenSize;
    out["n_positions"] = c.maxPositions;
    out["n_ctx"] = c.maxPositions;
    out["activation_function"] = activation ? activation : "";
    out["layer_norm_epsilon"] = c.normEpsilon;
    out["resid_pdrop"] = c.hiddenDropout;
    out["embd_pdrop"] = c.hiddenDropout;
    out["attn_pdrop"] = c.attentionDropout;
    // Megatron's attention: scores scaled by 1/sqrt(head_dim), nothing more.
    out["scale_attn_weights"] = true;
    out["scale_attn_by_inverse_layer_idx"] = false;
    out["reorder_and_upcast_attn"] = false;
  } else {
    if (c.rotaryPercentage != 1.0)
      problems.push_back(
          "LlamaForCausalLM rotates every dimension of a head, and the model "
          "has rotary_percentage " +
          json(c.rotaryPercentage).dump());
    if (c.activation != Activation::SwiGLU)
      problems.push_back(
          std::string("LlamaForCausalLM has a SwiGLU MLP, not ") +
          toString(c.activation));
    out["architectures"] = {"LlamaForCausalLM"};
    out["model_type"] = "llama";
    out["hidden_size"] = c.hiddenSize;
    out["num_hidden_layers"] = c.numLayers;
    out["num_attention_heads"] = c.numHeads;
    out["num_key_value_heads"] = c.numKeyValueHeads;
    out["head_dim"] = c.headDim;
    out["intermediate_size"] = c.ffnHiddenSize;
    out["max_position_embeddings"] = c.maxPositions;
    out["rms_norm_eps"] = c.normEpsilon;
    out["rope_theta"] = c.ropeTheta;
    out["rope_scaling"] = nullptr;
    out["hidden_act"] = "silu";
    out["attention_bias"] = c.bias;
    out["mlp_bias"] = c.bias;
    out["attention_dropout"] = c.attentionDropout;
    out["pretraining_tp"] = 1;
  }
  if (!problems.empty())
    return Status::invalidArgument(
        std::string("no Hugging Face ") + toString(c.family) +
        " config.json describes this model: " + join(problems));
  return out.dump(2) + "\n";
}

} // namespace strata::runtime::io
