//===- hf_config.h - Hugging Face config.json of a Strata model -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The `config.json` that transformers reads beside a checkpoint's tensors,
// made from the hyperparameters a Strata artifact records (its tfm.config,
// docs/architecture.md). Strata's keys and the Hugging Face ones:
//
//   Strata (tfm.config)        GPT2LMHeadModel         LlamaForCausalLM
//   vocab_size (unpadded)      vocab_size              vocab_size
//   hidden_size                n_embd                  hidden_size
//   num_layers                 n_layer                 num_hidden_layers
//   num_attention_heads        n_head                  num_attention_heads
//   num_query_groups           (= n_head)              num_key_value_heads
//   kv_channels                (= n_embd / n_head)     head_dim
//   ffn_hidden_size            n_inner                 intermediate_size
//   max_position_embeddings    n_positions, n_ctx      max_position_embeddings
//   layernorm_epsilon          layer_norm_epsilon      rms_norm_eps
//   activation gelu/fast-gelu  activation_function     hidden_act silu
//                              gelu / gelu_new
//   rotary_base                -                       rope_theta
//   share_embeddings_and_      tie_word_embeddings     tie_word_embeddings
//     output_weights
//   bias                       (always)                attention_bias,
//                                                      mlp_bias
//   init_method_std            initializer_range       initializer_range
//   hidden_dropout             resid_pdrop, embd_pdrop -
//   attention_dropout          attn_pdrop              attention_dropout
//   (the export's dtype)       torch_dtype             torch_dtype
//
// What a class cannot express is an error, never a silently different
// model: GPT-2 without biases or with grouped-query attention, Llama with a
// partial rotary embedding, a normalization or position embedding other
// than the family's.
//
// Usage:
//   STRATA_ASSIGN_OR_RETURN(HfModelConfig c, hfModelConfigFromStrata(
//       artifactConfigJson, HfFamily::Gpt2, DType::BF16, "gpt.strata"));
//   STRATA_ASSIGN_OR_RETURN(std::string text, hfConfigJson(c));
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_IO_HF_CONFIG_H
#define STRATA_RUNTIME_IO_HF_CONFIG_H

#include "runtime/io/hf_checkpoint.h"
#include "runtime/io/host_tensor.h"
#include "runtime/support/status.h"

#include <cstdint>
#include <string>

namespace strata::runtime::io {

/// The hyperparameters of a config.json, in Strata's terms.
struct HfModelConfig {
  HfFamily family = HfFamily::Gpt2;
  /// The tokenizer's vocabulary: the rows an export writes (no padding).
  int64_t vocabSize = 0;
  int64_t hiddenSize = 0;
  int64_t numLayers = 0;
  int64_t numHeads = 0;
  int64_t numKeyValueHeads = 0;
  int64_t headDim = 0;
  int64_t ffnHiddenSize = 0;
  int64_t maxPositions = 0;
  double normEpsilon = 1e-5;
  double ropeTheta = 10000.0;
  double rotaryPercentage = 1.0;
  Activation activation = Activation::Gelu;
  bool bias = true;
  bool tiedEmbeddings = true;
  double initStd = 0.02;
  double hiddenDropout = 0.0;
  double attentionDropout = 0.0;
  /// The tensors' element type (torch_dtype).
  DType dtype = DType::F32;
};

/// The hyperparameters from an artifact's configuration |configJson| (its
/// tfm.config as JSON) for |family|, with tensors of |dtype|. Errors name
/// |source| and every key that is missing or of the wrong type, and a
/// normalization, position embedding or activation the family does not have.
StatusOr<HfModelConfig> hfModelConfigFromStrata(const std::string &configJson,
                                                HfFamily family, DType dtype,
                                                const std::string &source);

/// The config.json text (keys sorted, two-space indent, as transformers
/// writes it) of GPT2LMHeadModel or LlamaForCausalLM. Errors for models
/// the class cannot express (see the file comment).
StatusOr<std::string> hfConfigJson(const HfModelConfig &config);

/// "float32", "bfloat16", "float16": transformers' torch_dtype of |dtype|;
/// an error for the others.
StatusOr<std::string> torchDtypeName(DType dtype);

} // namespace strata::runtime::io

#endif // STRATA_RUNTIME_IO_HF_CONFIG_H
