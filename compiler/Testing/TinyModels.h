//===- TinyModels.h - small model descriptions for compiler tests -*- C++
//-*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The GPT and Llama shapes the compiler's unit tests build IR from: odd
// sizes (hidden 30, 3 heads of 10, FFN 90, vocabulary 37, sequence 11) so
// that a confused dimension shows. Tests change what they need (layers,
// dropout, positions) on the returned description.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_TESTING_TINYMODELS_H
#define STRATA_COMPILER_TESTING_TINYMODELS_H

#include "frontends/model/ModelDescription.h"

#include <cstdint>
#include <utility>

namespace strata::testing {

/// A GPT-2 style model: layer norm, GELU, learned positions, tied
/// embeddings, biases, dropout 0.1 (the description's default).
inline frontend::ModelDescription tinyGpt(int64_t layers = 2) {
  frontend::ModelDescription d;
  d.name = "tiny";
  d.numLayers = layers;
  d.hiddenSize = 30;
  d.ffnHiddenSize = 90;
  d.numAttentionHeads = 3;
  d.numQueryGroups = 3;
  d.headDim = 10;
  d.seqLength = 11;
  d.maxPositionEmbeddings = 11;
  d.paddedVocabSize = 37;
  d.microBatchSize = 2;
  d.globalBatchSize = 2;
  return d;
}

/// The Llama variant of |base|: RMSNorm, SwiGLU, rotary positions, untied
/// output layer, no biases.
inline frontend::ModelDescription tinyLlama(frontend::ModelDescription base) {
  base.normalization = frontend::Normalization::RMSNorm;
  base.activation = frontend::Activation::SwiGLU;
  base.positionEmbedding = frontend::PositionEmbedding::Rope;
  base.shareEmbeddingsAndOutputWeights = false;
  base.bias = false;
  return base;
}

/// |d| with dropout |rate| on hidden states and attention weights.
inline frontend::ModelDescription withDropout(frontend::ModelDescription d,
                                              double rate = 0.1) {
  d.hiddenDropout = rate;
  d.attentionDropout = rate;
  return d;
}

/// |d| with two prompt-learning tasks in |style|: t0 (3 virtual tokens) and
/// t1 (2), each template "<|VIRTUAL_PROMPT_0|> {text}"; t1 is an existing
/// (frozen) task unless |bothTrained|.
inline frontend::ModelDescription withTasks(frontend::ModelDescription d,
                                            VirtualPromptStyle style,
                                            bool bothTrained = true) {
  d.virtualPromptStyle = style;
  for (auto [name, total] : {std::pair{"t0", 3}, std::pair{"t1", 2}}) {
    PromptTask task;
    task.name = name;
    task.templateText = "<|VIRTUAL_PROMPT_0|> {text}";
    task.parsed = *parsePromptTemplate(task.templateText);
    task.totalVirtualTokens = total;
    task.virtualTokenSplits = {total};
    task.trained = bothTrained || task.name == "t0";
    d.promptTasks.tasks.push_back(task);
  }
  return d;
}

} // namespace strata::testing

#endif // STRATA_COMPILER_TESTING_TINYMODELS_H
