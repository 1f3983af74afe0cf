//===- model_family.cc - the architecture choices and their family --------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "common/model_family.h"

#include <string>

namespace strata {

const char *toString(Normalization v) {
  switch (v) {
  case Normalization::LayerNorm:
    return "layernorm";
  case Normalization::LayerNorm1P:
    return "layernorm1p";
  case Normalization::RMSNorm:
    return "rmsnorm";
  }
  return "unknown";
}

const char *toString(Activation v) {
  switch (v) {
  case Activation::Gelu:
    return "gelu";
  case Activation::FastGelu:
    return "fast-gelu";
  case Activation::SwiGLU:
    return "swiglu";
  }
  return "unknown";
}

const char *toString(PositionEmbedding v) {
  switch (v) {
  case PositionEmbedding::LearnedAbsolute:
    return "learned_absolute";
  case PositionEmbedding::Rope:
    return "rope";
  }
  return "unknown";
}

const char *modelFamilyName(ModelFamily family) {
  switch (family) {
  case ModelFamily::Gpt2:
    return "GPT-2";
  case ModelFamily::Llama:
    return "Llama";
  }
  return "unknown";
}

const char *modelFamilyKey(ModelFamily family) {
  switch (family) {
  case ModelFamily::Gpt2:
    return "gpt2";
  case ModelFamily::Llama:
    return "llama";
  }
  return "unknown";
}

std::optional<ModelFamily> parseModelFamilyKey(std::string_view key) {
  for (ModelFamily family : {ModelFamily::Gpt2, ModelFamily::Llama})
    if (key == modelFamilyKey(family))
      return family;
  return std::nullopt;
}

Checked<ModelFamily> modelFamilyOf(Normalization normalization,
                                   Activation activation,
                                   PositionEmbedding positionEmbedding) {
  const bool gelu =
      activation == Activation::Gelu || activation == Activation::FastGelu;
  const bool layerNorm = normalization == Normalization::LayerNorm ||
                         normalization == Normalization::LayerNorm1P;
  if (layerNorm && gelu &&
      positionEmbedding == PositionEmbedding::LearnedAbsolute)
    return ModelFamily::Gpt2;
  if (normalization == Normalization::RMSNorm &&
      activation == Activation::SwiGLU &&
      positionEmbedding == PositionEmbedding::Rope)
    return ModelFamily::Llama;
  return checkFailed(
      std::string("no Hugging Face checkpoint family has normalization ") +
      toString(normalization) + " with activation " + toString(activation) +
      " and position embedding " + toString(positionEmbedding) +
      " (GPT-2: layernorm or layernorm1p, gelu or fast-gelu, learned_absolute; "
      "Llama: "
      "rmsnorm, swiglu, rope)");
}

} // namespace strata
