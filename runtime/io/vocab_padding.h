//===- vocab_padding.h - checkpoints across vocabulary padding --*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Megatron pads the vocabulary to a multiple of make_vocab_size_divisible_by
// x tensor_model_parallel_size, so one model's word embedding (and untied
// output projection) has 50304 rows at tp 1, 50432 at tp 2, and a Hugging
// Face GPT-2 checkpoint has the tokenizer's 50257. Only the first V rows
// (V the tokenizer's vocabulary) are tokens; the rest are padding that the
// loss and sampling never give probability (docs/model-description.md,
// "Vocabulary"). So a checkpoint whose vocabulary tensors have R >= V rows fits
// a model of Vp rows: rows [0, V) are kept, rows >= V dropped and the
// padding [V, Vp) filled with zeros. R == Vp keeps the tensor as it is (a
// training checkpoint resumes bitwise). An export keeps rows [0, V) only.
//
// Strata models have no output bias: the vocabulary tensors are the word
// embedding and the untied output projection.
//
// Usage:
//   VocabularyRows rows{/*real=*/50257, /*padded=*/50432};
//   STRATA_RETURN_IF_ERROR(fitCheckpointVocabulary(hf, HfFamily::Gpt2, rows,
//                                                  "gpt2.safetensors"));
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_IO_VOCAB_PADDING_H
#define STRATA_RUNTIME_IO_VOCAB_PADDING_H

#include "common/model_family.h"
#include "runtime/io/host_tensor.h"
#include "runtime/support/status.h"

#include <cstdint>
#include <string>

namespace strata::runtime::io {

/// A model's vocabulary: |real| token ids stored as |padded| >= |real| rows.
struct VocabularyRows {
  int64_t real = 0;
  int64_t padded = 0;
};

/// The Strata parameters whose dimension 0 is the vocabulary:
/// embedding.word_embeddings.weight and output.weight.
bool isVocabularyParameter(const std::string &strataName);

/// |tensor| (|name| in |source|, for messages) with |rows|.padded rows on
/// dimension 0: itself when it has them, else its first |rows|.real rows
/// followed by zeros. An error naming the tensor, its rows, V, Vp and
/// |source| when it has fewer than |rows|.real rows or rank 0.
StatusOr<HostTensor> fitVocabularyRows(const HostTensor &tensor,
                                       const VocabularyRows &rows,
                                       const std::string &name,
                                       const std::string &source);

/// fitVocabularyRows on every vocabulary tensor of the Hugging Face
/// checkpoint tensors |hf| of |family|: GPT-2's wte.weight (with or without
/// "transformer."), Llama's model.embed_tokens.weight, and lm_head.weight.
/// Nothing to do when |rows|.real is 0 (unknown: every row is real).
Status fitCheckpointVocabulary(TensorMap &hf, ::strata::ModelFamily family,
                               const VocabularyRows &rows,
                               const std::string &source);

/// Cuts the vocabulary tensors of the Strata parameters |params| to their
/// first |realVocab| rows (an export's tensors have the tokenizer's
/// vocabulary, as Hugging Face's vocab_size). Nothing to do for 0.
Status stripVocabularyPadding(TensorMap &params, int64_t realVocab);

} // namespace strata::runtime::io

#endif // STRATA_RUNTIME_IO_VOCAB_PADDING_H
