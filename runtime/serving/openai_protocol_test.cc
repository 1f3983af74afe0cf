//===- openai_protocol_test.cc - completions requests and responses -------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/serving/openai_protocol.h"

#include "runtime/tokenizer/tokenizer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace strata::runtime::serving {
namespace {

using nlohmann::json;

class OpenAIProtocol : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    auto t = tokenizer::Tokenizer::load(STRATA_GPT2_TOKENIZER_DIR);
    ASSERT_TRUE(t.isOk()) << t.status().toString();
    tokenizer_ = new tokenizer::Tokenizer(std::move(*t));
  }
  static void TearDownTestSuite() { delete tokenizer_; }
  ParsedRequest parse(const std::string &body) {
    ProtocolLimits limits;
    limits.modelName = "tiny";
    return parseCompletionRequest(body, limits, *tokenizer_);
  }
  /// The error's param and status for |body|, which must be refused.
  std::pair<std::string, int> refusal(const std::string &body) {
    ParsedRequest p = parse(body);
    EXPECT_FALSE(p.request.has_value()) << body;
    json e = json::parse(p.error.json());
    EXPECT_EQ(e["error"]["message"].get<std::string>(), p.error.message);
    EXPECT_FALSE(p.error.message.empty());
    return {e["error"]["param"].is_null() ? "" : e["error"]["param"].get<std::string>(),
            p.error.status};
  }
  static tokenizer::Tokenizer *tokenizer_;
};
tokenizer::Tokenizer *OpenAIProtocol::tokenizer_ = nullptr;

TEST_F(OpenAIProtocol, ReadsEveryFieldWithOpenAIDefaults) {
  ParsedRequest p = parse(R"({"model": "tiny", "prompt": "Hello world"})");
  ASSERT_TRUE(p.request) << p.error.message;
  EXPECT_EQ(p.request->prompts.size(), 1u);
  EXPECT_EQ(p.request->prompts[0], tokenizer_->encode("Hello world"));
  EXPECT_EQ(p.request->maxTokens, 16);
  EXPECT_EQ(p.request->temperature, 1.0);
  EXPECT_EQ(p.request->n, 1);
  EXPECT_FALSE(p.request->stream);
  EXPECT_EQ(p.request->logprobs, -1);
  p = parse(R"({"model": "tiny", "prompt": [[1, 2], [3]], "max_tokens": 5,
                "temperature": 0, "top_p": 0.5, "top_k": 3, "seed": -4,
                "stop": ["a", "b"], "stream": true, "n": 2, "logprobs": 2,
                "ignore_eos": true, "presence_penalty": 0, "user": "u"})");
  ASSERT_TRUE(p.request) << p.error.message;
  const CompletionRequest &r = *p.request;
  EXPECT_EQ(r.prompts, (std::vector<std::vector<int32_t>>{{1, 2}, {3}}));
  EXPECT_EQ(r.maxTokens, 5);
  EXPECT_EQ(r.temperature, 0.0);
  EXPECT_EQ(r.topP, 0.5);
  EXPECT_EQ(r.topK, 3);
  EXPECT_EQ(*r.seed, static_cast<uint64_t>(-4));
  EXPECT_EQ(r.stop, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(r.stream);
  EXPECT_EQ(r.n, 2);
  EXPECT_EQ(r.logprobs, 2);
  EXPECT_TRUE(r.ignoreEos);
  p = parse(R"({"model": "tiny", "task": "moby", "fields": {"context": "Call me"}})");
  ASSERT_TRUE(p.request) << p.error.message;
  EXPECT_EQ(p.request->task, "moby");
  EXPECT_EQ(p.request->fields, std::vector<std::string>{"context=Call me"});
  EXPECT_TRUE(p.request->prompts.empty()); // the server fills the template
  p = parse(R"({"model": "tiny", "prompt": ["a", [5, 6]], "stop": "x"})");
  ASSERT_TRUE(p.request) << p.error.message;
  EXPECT_EQ(p.request->prompts.size(), 2u);
  EXPECT_EQ(p.request->stop, std::vector<std::string>{"x"});
}

TEST_F(OpenAIProtocol, RefusesBadRequestsNamingTheField) {
  EXPECT_EQ(refusal("{not json"), std::make_pair(std::string(), 400));
  EXPECT_EQ(refusal("[1, 2]"), std::make_pair(std::string(), 400));
  EXPECT_EQ(refusal(R"({"prompt": "x"})"), std::make_pair(std::string("model"), 400));
  EXPECT_EQ(refusal(R"({"model": "gpt-4", "prompt": "x"})"),
            std::make_pair(std::string("model"), 404));
  EXPECT_EQ(refusal(R"({"model": "tiny"})").first, "prompt");
  EXPECT_EQ(refusal(R"({"model": "tiny", "prompt": ""})").first, "prompt");
  EXPECT_EQ(refusal(R"({"model": "tiny", "prompt": []})").first, "prompt");
  EXPECT_EQ(refusal(R"({"model": "tiny", "prompt": 5})").first, "prompt");
  EXPECT_EQ(refusal(R"({"model": "tiny", "prompt": [1, "a"]})").first, "prompt");
  EXPECT_EQ(refusal(R"({"model": "tiny", "prompt": [-1]})").first, "prompt");
  EXPECT_EQ(refusal(R"({"model": "tiny", "prompt": "x", "max_tokens": -3})").first,
            "max_tokens");
  EXPECT_EQ(refusal(R"({"model": "tiny", "prompt": "x", "max_tokens": "8"})").first,
            "max_tokens");
  EXPECT_EQ(refusal(R"({"model": "tiny", "prompt": "x", "max_tokens": 1.5})").first,
            "max_tokens");
  EXPECT_EQ(refusal(R"({"model": "tiny", "prompt": "x", "max_tokens": 18446744073709551615})")
                .first,
            "max_tokens");
  EXPECT_EQ(refusal(R"({"model": "tiny", "prompt": "x", "temperature": -1})").first,
            "temperature");
  EXPECT_EQ(refusal(R"({"model": "tiny", "prompt": "x", "top_p": 0})").first, "top_p");
  EXPECT_EQ(refusal(R"({"model": "tiny", "prompt": "x", "n": 0})").first, "n");
  EXPECT_EQ(refusal(R"({"model": "tiny", "prompt": "x", "stream": "yes"})").first,
            "stream");
  EXPECT_EQ(refusal(R"({"model": "tiny", "prompt": "x", "logprobs": 9})").first,
            "logprobs");
  EXPECT_EQ(refusal(R"({"model": "tiny", "prompt": "x", "stop": [1]})").first, "stop");
  EXPECT_EQ(refusal(R"({"model": "tiny", "prompt": "x", "stop": ["a","b","c","d","e"]})")
                .first,
            "stop");
  EXPECT_EQ(refusal(R"({"model": "tiny", "prompt": "x", "frequency_penalty": 1})").first,
            "frequency_penalty");
  EXPECT_EQ(refusal(R"({"model": "tiny", "prompt": "x", "best_of": 3})").first,
            "best_of");
  EXPECT_EQ(refusal(R"({"model": "tiny", "prompt": "x", "bogus": 1})").first, "bogus");
  EXPECT_EQ(refusal(R"({"model": "tiny", "prompt": "x", "task": "t"})").first, "prompt");
  EXPECT_EQ(refusal(R"({"model": "tiny", "task": 3})").first, "task");
  EXPECT_EQ(refusal(R"({"model": "tiny", "task": "t", "fields": {"a": 1}})").first,
            "fields");
  EXPECT_EQ(refusal(R"({"model": "tiny", "prompt": "x", "fields": {}})").first, "fields");
}

TEST_F(OpenAIProtocol, WritesCompletionsChunksAndModels) {
  ResponseHeader header{"cmpl-1", 1700000000, "tiny"};
  ChoiceOutput c;
  c.text = " world";
  c.tokens = {995};
  TokenLogprob lp;
  lp.logprob = -0.5f;
  lp.top = {{995, -0.5f}, {1, -2.0f}};
  c.logprobs = {lp};
  c.finish = FinishReason::Length;
  json full = json::parse(completionJson(header, {c}, true, 2, 1, *tokenizer_));
  EXPECT_EQ(full["object"], "text_completion");
  EXPECT_EQ(full["choices"][0]["text"], " world");
  EXPECT_EQ(full["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(full["choices"][0]["token_ids"], json::array({995}));
  EXPECT_EQ(full["choices"][0]["logprobs"]["tokens"][0],
            std::string(tokenizer_->tokenBytes(995)));
  EXPECT_EQ(full["choices"][0]["logprobs"]["token_logprobs"][0], -0.5);
  EXPECT_EQ(full["choices"][0]["logprobs"]["top_logprobs"][0].size(), 2u);
  EXPECT_EQ(full["usage"]["total_tokens"], 3);
  c.finish = FinishReason::None;
  const std::string event = chunkEvent(header, c, false, *tokenizer_);
  ASSERT_EQ(event.rfind("data: ", 0), 0u);
  ASSERT_EQ(event.substr(event.size() - 2), "\n\n");
  json chunk = json::parse(event.substr(6));
  EXPECT_TRUE(chunk["choices"][0]["finish_reason"].is_null());
  EXPECT_TRUE(chunk["choices"][0]["logprobs"].is_null());
  json models = json::parse(modelsJson("tiny", 5));
  EXPECT_EQ(models["data"][0]["id"], "tiny");
  // A token that is part of a character is shown with U+FFFD, not a throw.
  ChoiceOutput partial;
  partial.text = std::string("\xe2\x82", 2);
  EXPECT_NO_THROW(json::parse(completionJson(header, {partial}, false, 1, 1,
                                             *tokenizer_)));
}

} // namespace
} // namespace strata::runtime::serving
