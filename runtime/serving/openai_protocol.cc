//===- openai_protocol.cc - OpenAI's completions API as structs -----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/serving/openai_protocol.h"

#include "runtime/tokenizer/tokenizer.h"

#include <nlohmann/json.hpp>

#include <limits>
#include <set>

namespace strata::runtime::serving {

namespace {

using json = nlohmann::json;

/// JSON text; bytes that are not UTF-8 (a token's partial character)
/// become U+FFFD instead of an exception.
std::string dump(const json &value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

ApiError invalid(std::string param, std::string message) {
  ApiError e;
  e.param = std::move(param);
  e.message = std::move(message);
  return e;
}

const char *typeName(const json &v) {
  switch (v.type()) {
  case json::value_t::null:
    return "null";
  case json::value_t::boolean:
    return "a boolean";
  case json::value_t::string:
    return "a string";
  case json::value_t::array:
    return "an array";
  case json::value_t::object:
    return "an object";
  case json::value_t::number_float:
    return "a number";
  default:
    return "an integer";
  }
}

ApiError wrongType(const std::string &param, const json &v,
                   const std::string &expected) {
  return invalid(param, std::string("'") + param + "' should be " + expected +
                            ", got " + typeName(v) + " (" + dump(v) + ")");
}

/// The request's fields, each read with its type checked.
class Fields {
public:
  explicit Fields(const json &body) : body_(body) {}
  bool has(const char *name) const {
    return body_.contains(name) && !body_.at(name).is_null();
  }
  const json &at(const char *name) const { return body_.at(name); }

  std::optional<ApiError> integer(const char *name, int64_t lo, int64_t hi,
                                  int64_t &out) const {
    if (!has(name))
      return std::nullopt;
    const json &v = at(name);
    if (!v.is_number_integer())
      return wrongType(name, v, "an integer");
    const bool isSigned = v.is_number_unsigned() ? false : true;
    if (!isSigned && v.get<uint64_t>() > uint64_t(hi))
      return invalid(name, std::string("'") + name + "' is " + dump(v) +
                               "; it should be at most " + std::to_string(hi));
    const int64_t x = isSigned ? v.get<int64_t>() : int64_t(v.get<uint64_t>());
    if (x < lo || x > hi)
      return invalid(name, std::string("'") + name + "' is " +
                               std::to_string(x) + "; it should be in [" +
                               std::to_string(lo) + ", " + std::to_string(hi) +
                               "]");
    out = x;
    return std::nullopt;
  }
  std::optional<ApiError> number(const char *name, double lo, double hi,
                                 bool openLow, double &out) const {
    if (!has(name))
      return std::nullopt;
    const json &v = at(name);
    if (!v.is_number())
      return wrongType(name, v, "a number");
    const double x = v.get<double>();
    if (!(openLow ? x > lo : x >= lo) || !(x <= hi))
      return invalid(name, std::string("'") + name + "' is " + dump(v) +
                               "; it should be in " + (openLow ? "(" : "[") +
                               dump(json(lo)) + ", " + dump(json(hi)) + "]");
    out = x;
    return std::nullopt;
  }
  std::optional<ApiError> boolean(const char *name, bool &out) const {
    if (!has(name))
      return std::nullopt;
    const json &v = at(name);
    if (!v.is_boolean())
      return wrongType(name, v, "a boolean");
    out = v.get<bool>();
    return std::nullopt;
  }

private:
  const json &body_;
};

/// A prompt of token ids: a non-empty array of integers.
std::optional<ApiError> idsOf(const json &v, std::vector<int32_t> &out) {
  out.clear();
  for (const json &id : v) {
    if (!id.is_number_integer())
      return wrongType("prompt", v, "a string, an array of strings, an "
                                    "array of token ids or an array of such "
                                    "arrays");
    const bool negative = !id.is_number_unsigned() && id.get<int64_t>() < 0;
    const uint64_t x = negative ? 0 : id.get<uint64_t>();
    if (negative || x > uint64_t(std::numeric_limits<int32_t>::max()))
      return invalid("prompt", "token id " + dump(id) + " is not a valid id");
    out.push_back(static_cast<int32_t>(x));
  }
  return std::nullopt;
}

std::optional<ApiError> promptsOf(const json &v,
                                  const tokenizer::Tokenizer &tokenizer,
                                  std::vector<std::vector<int32_t>> &out) {
  const char *expected = "a string, an array of strings, an array of token "
                         "ids or an array of such arrays";
  if (v.is_string()) {
    out.push_back(tokenizer.encode(v.get<std::string>()));
    return std::nullopt;
  }
  if (!v.is_array() || v.empty())
    return wrongType("prompt", v, std::string("a non-empty value: ") + expected);
  if (v[0].is_number_integer()) {
    out.emplace_back();
    return idsOf(v, out.back());
  }
  for (const json &item : v) {
    if (item.is_string())
      out.push_back(tokenizer.encode(item.get<std::string>()));
    else if (item.is_array()) {
      out.emplace_back();
      if (auto e = idsOf(item, out.back()))
        return e;
    } else
      return wrongType("prompt", v, expected);
  }
  return std::nullopt;
}

std::string tokenText(const tokenizer::Tokenizer &tokenizer, int32_t id) {
  return std::string(tokenizer.tokenBytes(id));
}

json logprobsJson(const ChoiceOutput &choice,
                  const tokenizer::Tokenizer &tokenizer) {
  json tokens = json::array(), logprobs = json::array(),
       top = json::array(), offsets = json::array();
  int64_t offset = choice.textOffset;
  for (size_t i = 0; i < choice.tokens.size(); ++i) {
    const std::string text = tokenText(tokenizer, choice.tokens[i]);
    tokens.push_back(text);
    offsets.push_back(offset);
    offset += static_cast<int64_t>(text.size());
    if (i < choice.logprobs.size()) {
      logprobs.push_back(choice.logprobs[i].logprob);
      json alternatives = json::object();
      for (const auto &[id, lp] : choice.logprobs[i].top)
        alternatives[tokenText(tokenizer, id)] = lp;
      top.push_back(alternatives);
    }
  }
  return json{{"tokens", tokens},
              {"token_logprobs", logprobs},
              {"top_logprobs", top},
              {"text_offset", offsets}};
}

json choiceJson(const ChoiceOutput &choice, bool withLogprobs,
                const tokenizer::Tokenizer &tokenizer) {
  const char *finish = finishReasonName(choice.finish);
  return json{{"text", choice.text},
              {"index", choice.index},
              {"logprobs", withLogprobs ? logprobsJson(choice, tokenizer)
                                        : json(nullptr)},
              {"finish_reason", finish ? json(finish) : json(nullptr)},
              {"token_ids", choice.tokens}};
}

} // namespace

std::string ApiError::json() const {
  using nlohmann::json;
  return dump(json{{"error",
                    {{"message", message},
                     {"type", type},
                     {"param", param.empty() ? json(nullptr) : json(param)},
                     {"code", code.empty() ? json(nullptr) : json(code)}}}});
}

ParsedRequest parseCompletionRequest(const std::string &body,
                                     const ProtocolLimits &limits,
                                     const tokenizer::Tokenizer &tokenizer) {
  ParsedRequest out;
  auto fail = [&](ApiError e) {
    out.error = std::move(e);
    return out;
  };
  json root = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded())
    return fail(invalid("", "We could not parse the JSON body of your "
                            "request: it is not valid JSON"));
  if (!root.is_object())
    return fail(invalid("", std::string("the body should be a JSON object, "
                                        "got ") +
                                typeName(root)));
  static const std::set<std::string> known = {
      "model",  "prompt", "max_tokens", "temperature", "top_p",
      "top_k",  "n",      "stream",     "logprobs",    "echo",
      "stop",   "seed",   "presence_penalty", "frequency_penalty",
      "best_of", "logit_bias", "user", "suffix", "ignore_eos",
      "stream_options", "task", "fields"};
  for (const auto &item : root.items())
    if (!known.count(item.key()))
      return fail(invalid(item.key(), "Unrecognized request argument "
                                      "supplied: " +
                                          item.key()));
  Fields f(root);
  CompletionRequest r;
  if (!f.has("model"))
    return fail(invalid("model", "you must provide a model parameter"));
  if (!f.at("model").is_string())
    return fail(wrongType("model", f.at("model"), "a string"));
  r.model = f.at("model").get<std::string>();
  if (r.model != limits.modelName) {
    ApiError e = invalid("model", "The model '" + r.model +
                                      "' does not exist; this server serves '" +
                                      limits.modelName + "'");
    e.status = 404;
    e.code = "model_not_found";
    return fail(e);
  }
  if (f.has("task")) {
    if (!f.at("task").is_string() || f.at("task").get<std::string>().empty())
      return fail(wrongType("task", f.at("task"), "a task's name"));
    r.task = f.at("task").get<std::string>();
    if (f.has("prompt"))
      return fail(invalid("prompt", "give either a prompt or a task with its "
                                    "fields, not both"));
    if (f.has("fields")) {
      if (!f.at("fields").is_object())
        return fail(wrongType("fields", f.at("fields"),
                              "an object of the template's fields"));
      for (const auto &field : f.at("fields").items()) {
        if (!field.value().is_string())
          return fail(wrongType("fields", field.value(),
                                "a string (field " + field.key() + ")"));
        r.fields.push_back(field.key() + "=" +
                           field.value().get<std::string>());
      }
    }
  } else if (f.has("fields")) {
    return fail(invalid("fields", "fields fill a task's template: give task "
                                  "too"));
  } else if (!f.has("prompt")) {
    return fail(invalid("prompt", "you must provide a prompt"));
  }
  if (r.task.empty())
    if (auto e = promptsOf(f.at("prompt"), tokenizer, r.prompts))
      return fail(*e);
  for (const auto &p : r.prompts)
    if (p.empty())
      return fail(invalid("prompt", "a prompt is empty (no tokens)"));
  constexpr int64_t kIntMax = std::numeric_limits<int64_t>::max();
  if (auto e = f.integer("max_tokens", 1, kIntMax, r.maxTokens))
    return fail(*e);
  if (auto e = f.number("temperature", 0.0, 2.0, false, r.temperature))
    return fail(*e);
  if (auto e = f.number("top_p", 0.0, 1.0, true, r.topP))
    return fail(*e);
  if (auto e = f.integer("top_k", -1, kIntMax, r.topK))
    return fail(*e);
  if (r.topK < 0)
    r.topK = 0; // vLLM's -1: no limit
  if (auto e = f.integer("n", 1, limits.maxN, r.n))
    return fail(*e);
  if (auto e = f.boolean("stream", r.stream))
    return fail(*e);
  if (auto e = f.integer("logprobs", 0, limits.maxLogprobs, r.logprobs))
    return fail(*e);
  if (auto e = f.boolean("echo", r.echo))
    return fail(*e);
  if (auto e = f.boolean("ignore_eos", r.ignoreEos))
    return fail(*e);
  if (r.echo && r.logprobs >= 0)
    return fail(invalid("echo", "echo with logprobs is not supported (the "
                                "prompt's log-probabilities are not kept)"));
  if (f.has("seed")) {
    int64_t seed = 0;
    if (auto e = f.integer("seed", std::numeric_limits<int64_t>::min(),
                           kIntMax, seed))
      return fail(*e);
    r.seed = static_cast<uint64_t>(seed);
  }
  if (f.has("stop")) {
    const json &stop = f.at("stop");
    if (stop.is_string())
      r.stop.push_back(stop.get<std::string>());
    else if (stop.is_array()) {
      for (const json &s : stop) {
        if (!s.is_string())
          return fail(wrongType("stop", stop, "a string or an array of "
                                              "strings"));
        r.stop.push_back(s.get<std::string>());
      }
    } else
      return fail(wrongType("stop", stop, "a string or an array of strings"));
    if (static_cast<int64_t>(r.stop.size()) > limits.maxStopStrings)
      return fail(invalid("stop", "at most " +
                                      std::to_string(limits.maxStopStrings) +
                                      " stop strings, got " +
                                      std::to_string(r.stop.size())));
  }
  for (const char *penalty : {"presence_penalty", "frequency_penalty"}) {
    double value = 0.0;
    if (auto e = f.number(penalty, -2.0, 2.0, false, value))
      return fail(*e);
    if (value != 0.0)
      return fail(invalid(penalty, std::string("'") + penalty +
                                       "' is not supported; leave it 0"));
  }
  if (f.has("best_of")) {
    int64_t bestOf = 1;
    if (auto e = f.integer("best_of", 1, limits.maxN, bestOf))
      return fail(*e);
    if (bestOf != r.n)
      return fail(invalid("best_of", "best_of other than n is not supported"));
  }
  if (f.has("logit_bias") &&
      !(f.at("logit_bias").is_object() && f.at("logit_bias").empty()))
    return fail(invalid("logit_bias", "logit_bias is not supported"));
  if (f.has("suffix"))
    return fail(invalid("suffix", "suffix is not supported"));
  if (f.has("user") && !f.at("user").is_string())
    return fail(wrongType("user", f.at("user"), "a string"));
  if (f.has("stream_options") && !f.at("stream_options").is_object())
    return fail(wrongType("stream_options", f.at("stream_options"),
                          "an object"));
  out.request = std::move(r);
  return out;
}

std::string completionJson(const ResponseHeader &header,
                           const std::vector<ChoiceOutput> &choices,
                           bool withLogprobs, int64_t promptTokens,
                           int64_t completionTokens,
                           const tokenizer::Tokenizer &tokenizer) {
  json list = json::array();
  for (const ChoiceOutput &c : choices)
    list.push_back(choiceJson(c, withLogprobs, tokenizer));
  return dump(json{{"id", header.id},
                   {"object", "text_completion"},
                   {"created", header.created},
                   {"model", header.model},
                   {"choices", list},
                   {"usage",
                    {{"prompt_tokens", promptTokens},
                     {"completion_tokens", completionTokens},
                     {"total_tokens", promptTokens + completionTokens}}}});
}

std::string chunkEvent(const ResponseHeader &header, const ChoiceOutput &choice,
                       bool withLogprobs,
                       const tokenizer::Tokenizer &tokenizer) {
  return "data: " +
         dump(json{{"id", header.id},
                   {"object", "text_completion"},
                   {"created", header.created},
                   {"model", header.model},
                   {"choices",
                    json::array({choiceJson(choice, withLogprobs, tokenizer)})}}) +
         "\n\n";
}

std::string modelsJson(const std::string &model, int64_t created) {
  return dump(json{{"object", "list"},
                   {"data", json::array({json{{"id", model},
                                              {"object", "model"},
                                              {"created", created},
                                              {"owned_by", "strata"}}})}});
}

} // namespace strata::runtime::serving
