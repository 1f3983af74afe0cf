//===- openai_protocol.h - OpenAI's completions API as structs --*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// POST /v1/completions bodies in, completion objects, stream chunks and
// errors out, with OpenAI's field names (https://platform.openai.com/docs/
// api-reference/completions). Every field is type-checked; a bad one is an
// ApiError that names it, in OpenAI's error shape:
//   {"error": {"message": ..., "type": "invalid_request_error",
//              "param": "max_tokens", "code": null}}
// Strata additions: `top_k`, `ignore_eos`, and `token_ids` in each choice
// (the generated ids, so that clients compare tokens, not text).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_SERVING_OPENAI_PROTOCOL_H
#define STRATA_RUNTIME_SERVING_OPENAI_PROTOCOL_H

#include "runtime/serving/completion_stream.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace strata::runtime::tokenizer {
class Tokenizer;
}

namespace strata::runtime::serving {

struct ApiError {
  int status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string param;  // empty: null
  std::string code;   // empty: null
  /// The error object's JSON text.
  std::string json() const;
};

/// A parsed, checked completions request.
struct CompletionRequest {
  std::string model;
  /// One or more prompts (a string, a list of strings, a list of ids or a
  /// list of lists of ids), as token ids.
  std::vector<std::vector<int32_t>> prompts;
  int64_t maxTokens = 16;
  double temperature = 1.0;
  double topP = 1.0;
  int64_t topK = 0;
  std::optional<uint64_t> seed;
  std::vector<std::string> stop;
  bool stream = false;
  int64_t n = 1;
  int64_t logprobs = -1; // -1: null
  bool echo = false;
  bool ignoreEos = false;
  /// A prompt-learning model's request (Strata addition): the task and its
  /// template's fields as NAME=VALUE, instead of `prompt`.
  std::string task;
  std::vector<std::string> fields;
};

struct ProtocolLimits {
  std::string modelName;
  int64_t maxN = 16;
  int64_t maxLogprobs = 5;
  int64_t maxStopStrings = 4;
};

/// Parses and checks |body|; text prompts are encoded with |tokenizer|.
/// A `task` request leaves |prompts| empty: its prompt comes from the
/// model's task template (the server fills it in).
/// Limits that depend on the model (context, vocabulary) are the engine's.
/// The result holds either the request or the error.
struct ParsedRequest {
  std::optional<CompletionRequest> request;
  ApiError error;
};
ParsedRequest parseCompletionRequest(const std::string &body,
                                     const ProtocolLimits &limits,
                                     const tokenizer::Tokenizer &tokenizer);

/// One choice's result, for the final object or a stream chunk.
struct ChoiceOutput {
  int64_t index = 0;
  std::string text;
  std::vector<int32_t> tokens;
  std::vector<TokenLogprob> logprobs;
  /// Offset of the choice's first character in the response text (the
  /// prompt's length with echo).
  int64_t textOffset = 0;
  FinishReason finish = FinishReason::None;
};

struct ResponseHeader {
  std::string id;    // "cmpl-..."
  int64_t created = 0;
  std::string model;
};

/// The completion object: choices, usage.
std::string completionJson(const ResponseHeader &header,
                           const std::vector<ChoiceOutput> &choices,
                           bool withLogprobs, int64_t promptTokens,
                           int64_t completionTokens,
                           const tokenizer::Tokenizer &tokenizer);
/// One server-sent event `data: {...}\n\n` of a streamed completion.
std::string chunkEvent(const ResponseHeader &header, const ChoiceOutput &choice,
                       bool withLogprobs, const tokenizer::Tokenizer &tokenizer);
/// GET /v1/models.
std::string modelsJson(const std::string &model, int64_t created);

} // namespace strata::runtime::serving

#endif // STRATA_RUNTIME_SERVING_OPENAI_PROTOCOL_H
