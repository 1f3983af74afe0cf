//===- Vocabulary.h - Tokenizer vocabulary and embedding padding ---------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Internal to the model-description frontend. The embedding table has one
// row per token, padded (Megatron's rule) to a multiple of
// make_vocab_size_divisible_by * tensor_model_parallel_size so each tensor-
// parallel shard is equal and GEMM-friendly. The vocabulary itself comes from
// the tokenizer section.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_FRONTENDS_MODEL_VOCABULARY_H
#define STRATA_FRONTENDS_MODEL_VOCABULARY_H

#include "frontends/model/DiagnosticSink.h"
#include "frontends/model/Settings.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace strata::frontend {

/// The GPT-2 byte-level BPE vocabulary: 50000 merges, 256 bytes, and
/// <|endoftext|>.
inline constexpr int64_t kGpt2VocabSize = 50257;

/// Counts the members of the single JSON object |json| (GPT-2's encoder.json
/// maps each token to its id). nullopt, with |error| set, when |json| is not
/// one well-formed JSON object.
std::optional<int64_t> countJsonObjectMembers(std::string_view json,
                                              std::string &error);

/// Counts the pieces of the serialized SentencePiece ModelProto |bytes|
/// (its repeated field 1; Llama's tokenizer.model has 32000). nullopt, with
/// |error| set, when |bytes| is not a well-formed protobuf message with at
/// least one piece.
std::optional<int64_t> countSentencePiecePieces(std::string_view bytes,
                                                std::string &error);

/// The vocabulary size the tokenizer section implies, from (all that are
/// given must agree): vocab_file when it holds a JSON object, model when
/// library is sentencepiece (relative paths are relative to
/// |descriptionFile|'s directory), a tokenizer Strata
/// knows (GPT2BPETokenizer, huggingface gpt2), and Strata's
/// tokenizer.vocab_size. 0 when none says; nullopt after an error.
std::optional<int64_t> tokenizerVocabSize(const TokenizerSettings &tokenizer,
                                          const std::string &descriptionFile,
                                          DiagnosticSink &sink);

/// |value| rounded up to a multiple of |multiple| (both positive and at
/// most 2^62).
int64_t roundUpToMultiple(int64_t value, int64_t multiple);

} // namespace strata::frontend

#endif // STRATA_FRONTENDS_MODEL_VOCABULARY_H
