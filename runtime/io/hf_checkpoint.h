//===- hf_checkpoint.h - Hugging Face checkpoints of Strata models -*- C++ -*-//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Strata checkpoints are safetensors files in the global (unsharded) layout
// under Hugging Face tensor names, so Hugging Face GPT-2 and Llama
// checkpoints load directly and Strata's load in transformers. This file maps
// between Strata's parameter names and layouts (docs/architecture.md) and
// Hugging Face's:
//
//   Strata                                 GPT-2 (GPT2LMHeadModel, Conv1D
//                                          weights are [in, out])
//   embedding.word_embeddings.weight [V,H] wte.weight [V,H]
//   embedding.position_embeddings.weight   wpe.weight [P,H]
//   layers.N.input_norm.{weight,bias}      h.N.ln_1.{weight,bias}
//   layers.N.attention.query.weight        h.N.attn.c_attn.weight [H,3H]:
//     [heads, head_dim, H]                   q[h][d][i] = c_attn[i][h*hd+d],
//                                            k from column H, v from 2H
//   layers.N.attention.{key,value}.weight  (same c_attn, GPT-2 is MHA)
//   layers.N.attention.*.bias [heads,hd]   h.N.attn.c_attn.bias [3H]
//   layers.N.attention.output.weight       h.N.attn.c_proj.weight [H,H]:
//     [H, heads, head_dim]                   out[o][h][d] = c_proj[h*hd+d][o]
//   layers.N.post_attention_norm.*         h.N.ln_2.*
//   layers.N.mlp.fc1.weight [F,H]          h.N.mlp.c_fc.weight [H,F]
//   layers.N.mlp.fc2.weight [H,F]          h.N.mlp.c_proj.weight [F,H]
//   final_norm.*                           ln_f.*
//   output.weight [V,H] (untied only)      lm_head.weight
//
//   Strata                                 Llama (LlamaForCausalLM)
//   embedding.word_embeddings.weight       model.embed_tokens.weight
//   layers.N.input_norm.weight             model.layers.N.input_layernorm.w..
//   layers.N.attention.query.weight        model.layers.N.self_attn.q_proj.
//     [heads, head_dim, H]                   weight [heads*head_dim, H]
//   layers.N.attention.{key,value}.weight  ...{k,v}_proj.weight [g*hd, H]
//   layers.N.attention.output.weight       ...o_proj.weight [H, heads*hd]
//   layers.N.post_attention_norm.weight    ...post_attention_layernorm.weight
//   layers.N.mlp.{gate,up}.weight [F,H]    ...mlp.{gate,up}_proj.weight
//   layers.N.mlp.fc2.weight [H,F]          ...mlp.down_proj.weight
//   final_norm.weight                      model.norm.weight
//   output.weight (untied only)            lm_head.weight
//   (linear biases, when the model has them, map to the *_proj.bias names)
//
// Llama's q/k/v are pure reshapes because Strata's rotary embedding uses the
// same "rotate half" pairing as Hugging Face's Llama (and Megatron).
//
// Loading accepts GPT-2 names with or without the `transformer.` prefix,
// Llama names with or without `model.` (LlamaForCausalLM's or LlamaModel's
// state dict), ignores the non-parameter buffers h.N.attn.bias / h.N.attn.masked_bias and
// model.layers.N.self_attn.rotary_emb.inv_freq, and accepts an lm_head.weight
// of a tied model only when it equals the embedding. Tensors are converted to
// the parameter table's dtypes (bf16/f16/f64 -> f32 and back); f32 values are
// kept bit for bit.
//
// Usage:
//   STRATA_ASSIGN_OR_RETURN(HfFamily family, pickHfFamily(
//       Normalization::LayerNorm, Activation::Gelu,
//       PositionEmbedding::LearnedAbsolute));
//   STRATA_ASSIGN_OR_RETURN(TensorMap params,
//                           loadCheckpoint("gpt2.safetensors", table, family));
//   STRATA_RETURN_IF_ERROR(saveCheckpoint("step100.safetensors", params,
//                                         family));
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_IO_HF_CHECKPOINT_H
#define STRATA_RUNTIME_IO_HF_CHECKPOINT_H

#include "common/model_family.h"
#include "runtime/io/host_tensor.h"
#include "runtime/io/safetensors.h"
#include "runtime/support/status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace strata::runtime::io {

/// The Hugging Face model classes Strata checkpoints follow (one definition
/// with the compiler, which records it in the artifact).
using HfFamily = ::strata::ModelFamily;

/// "GPT-2" or "Llama", for messages.
const char *toString(HfFamily family);

/// The architecture choices that decide the family.
using ::strata::Activation;
using ::strata::Normalization;
using ::strata::PositionEmbedding;

/// GPT-2 for layer norm + GELU (erf or tanh) + learned absolute positions;
/// Llama for RMS norm + SwiGLU + rotary positions; an error naming the
/// mixture otherwise (no Hugging Face class has, say, layer norm with RoPE).
StatusOr<HfFamily> pickHfFamily(Normalization normalization,
                                Activation activation,
                                PositionEmbedding positionEmbedding);

/// One model parameter: Strata name, global shape, element type.
struct ParameterSpec {
  std::string name;
  std::vector<int64_t> shape;
  DType dtype = DType::F32;
};
using ParameterTable = std::vector<ParameterSpec>;

/// The table describing the tensors of |params| (in name order).
ParameterTable parameterTableOf(const TensorMap &params);

/// How one Strata parameter sits inside one Hugging Face tensor.
struct HfTensorMapping {
  enum class Layout {
    /// Same elements in the same order; only the shape differs.
    Reshape,
    /// View the HF tensor as [R, C] (a 1-D tensor as [1, C]) and the Strata
    /// tensor as [columnCount, R]: strata[j][r] = hf[r][columnBegin + j].
    TransposedColumns,
  };
  std::string strataName;
  std::vector<int64_t> strataShape;
  DType dtype = DType::F32; // the table's dtype
  std::string hfName;       // canonical: GPT-2 without "transformer."
  std::vector<int64_t> hfShape;
  Layout layout = Layout::Reshape;
  int64_t columnBegin = 0;
  int64_t columnCount = 0;
};

/// The mapping of every parameter in |table| for |family|, in table order.
/// Errors for names the family cannot represent (fc1 in Llama, gate in
/// GPT-2, norm biases in Llama, position embeddings in Llama), shapes of the
/// wrong rank, and GPT-2 attention that is not plain multi-head attention
/// with heads * head_dim == hidden.
StatusOr<std::vector<HfTensorMapping>>
huggingFaceMapping(const ParameterTable &table, HfFamily family);

/// Prompt-learning and LoRA parameters (prompt_table.*, prompt_encoder.*,
/// *.lora_*; docs/prompt-learning.md) have no Hugging Face name:
/// checkpoints hold them under their Strata names, beside the base's
/// Hugging Face tensors.
bool isAdapterParameter(const std::string &name);

/// Options for toHuggingFace.
struct HfExportOptions {
  /// Write GPT-2 names as GPT2LMHeadModel.state_dict() does
  /// ("transformer.h.0.ln_1.weight"); by default they are written as in the
  /// `gpt2` hub checkpoint ("h.0.ln_1.weight"). transformers loads both.
  bool gpt2TransformerPrefix = false;
};

/// Strata parameters |params| to Hugging Face tensors of |family|, each in
/// the dtype of the parameters it comes from. A tied model writes no
/// lm_head.weight (transformers re-ties it). Errors when the parameters
/// cannot form complete Hugging Face tensors (a GPT-2 layer with query but
/// no key, say) or have names the family cannot represent.
StatusOr<TensorMap> toHuggingFace(const TensorMap &params, HfFamily family,
                                  const HfExportOptions &options = {});

/// Hugging Face tensors |hf| to Strata parameters described by |table|.
/// Every problem is reported at once, in one Status naming |source| (the
/// checkpoint file): all missing tensors, unexpected extra tensors,
/// mis-shaped tensors ("h.3.attn.c_attn.weight has shape [768, 2304],
/// expected [768, 1536]"), dtypes that cannot be converted, and an
/// lm_head.weight that differs from the tied embedding.
StatusOr<TensorMap> fromHuggingFace(const TensorMap &hf,
                                    const ParameterTable &table,
                                    HfFamily family,
                                    const std::string &source = "checkpoint");

/// Reads the tensors of a Hugging Face checkpoint: one safetensors file, a
/// sharded checkpoint's `*.safetensors.index.json` (the shards sit beside
/// it; every tensor must be in the shard the index names, exactly once:
/// readShardedCheckpoint, checkpoint_directory.h), or a directory as
/// save_pretrained writes it (its model.safetensors, else its
/// model.safetensors.index.json).
/// |metadata| receives the file's "__metadata__" (the index's "metadata"
/// for a sharded checkpoint, values converted to strings) when not null.
/// Tensors |include| rejects are not read (their dtype may be one Strata
/// does not hold).
StatusOr<TensorMap>
readCheckpointTensors(const std::string &path,
                      SafetensorsMetadata *metadata = nullptr,
                      const SafetensorsFilter &include = nullptr);

/// True for the Hugging Face buffers of |family| that are not parameters and
/// that loading ignores: GPT-2's h.N.attn.bias and h.N.attn.masked_bias
/// (with or without "transformer."), Llama's
/// model.layers.N.self_attn.rotary_emb.inv_freq (with or without "model.").
bool isIgnoredHfBuffer(const std::string &name, HfFamily family);

/// toHuggingFace + writeSafetensors (atomic). |metadata| gets
/// "format": "pt" unless it sets "format" (transformers refuses safetensors
/// files without it).
Status saveCheckpoint(const std::string &path, const TensorMap &params,
                      HfFamily family,
                      const SafetensorsMetadata &metadata = {});

/// readCheckpointTensors + fromHuggingFace, messages naming the file read
/// (|path|, or the file a directory resolves to). With
/// |realVocab| > 0 (the tokenizer's vocabulary), vocabulary tensors of any
/// row count >= |realVocab| are first fitted to the table's padded rows
/// (fitCheckpointVocabulary, vocab_padding.h).
StatusOr<TensorMap> loadCheckpoint(const std::string &path,
                                   const ParameterTable &table,
                                   HfFamily family,
                                   SafetensorsMetadata *metadata = nullptr,
                                   int64_t realVocab = 0);

} // namespace strata::runtime::io

#endif // STRATA_RUNTIME_IO_HF_CHECKPOINT_H
