//===- model_family.h - the architecture choices and their family -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The three architecture choices a model description makes that decide its
// family (normalization, activation, position embedding), their NeMo
// spellings, and the family they make: the Hugging Face model class whose
// checkpoint names and layouts the model's parameters follow. The frontend
// reads the choices, the compiler records the family in the artifact
// (Artifact.model_family, format 0.10), and the runtime reads it from there
// as data when it loads or writes a checkpoint.
//
// Usage:
//   Checked<ModelFamily> family = modelFamilyOf(
//       Normalization::RMSNorm, Activation::SwiGLU, PositionEmbedding::Rope);
//   // *family == ModelFamily::Llama; modelFamilyName(*family) == "Llama"
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMMON_MODEL_FAMILY_H
#define STRATA_COMMON_MODEL_FAMILY_H

#include "common/checked.h"

#include <optional>
#include <string_view>

namespace strata {

/// layernorm1p: NeMo's LayerNorm whose stored weight is w - 1 (zero at
/// init): y = (1 + w) * norm(x) + b, a GPT-2 layout.
enum class Normalization { LayerNorm, LayerNorm1P, RMSNorm };
/// gelu: erf GELU (NeMo `gelu`); fast_gelu: tanh approximation (NeMo
/// `fast-gelu`, `openai-gelu`, `approx-gelu`; GPT-2's "gelu_new").
enum class Activation { Gelu, FastGelu, SwiGLU };
enum class PositionEmbedding { LearnedAbsolute, Rope };

/// NeMo's spellings (what a description file says): "layernorm",
/// "layernorm1p", "rmsnorm"; "gelu", "fast-gelu", "swiglu"; "learned_absolute",
/// "rope".
const char *toString(Normalization v);
const char *toString(Activation v);
const char *toString(PositionEmbedding v);

/// The Hugging Face model classes Strata's checkpoints follow.
enum class ModelFamily { Gpt2, Llama };

/// "GPT-2" or "Llama", for messages.
const char *modelFamilyName(ModelFamily family);
/// "gpt2" or "llama": the family's key in machine-readable output.
const char *modelFamilyKey(ModelFamily family);
std::optional<ModelFamily> parseModelFamilyKey(std::string_view key);

/// GPT-2 for layer norm (or layernorm1p, whose checkpoints keep the stored
/// w - 1) + GELU (erf or tanh) + learned absolute positions;
/// Llama for RMS norm + SwiGLU + rotary positions; an error naming the
/// mixture otherwise (no Hugging Face class has, say, layer norm with RoPE).
Checked<ModelFamily> modelFamilyOf(Normalization normalization,
                                   Activation activation,
                                   PositionEmbedding positionEmbedding);

} // namespace strata

#endif // STRATA_COMMON_MODEL_FAMILY_H
