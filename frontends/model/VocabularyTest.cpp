//===- VocabularyTest.cpp - Tokenizer vocabulary and padding -------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "frontends/model/Vocabulary.h"

#include "frontends/model/ParserTestSupport.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace strata::frontend {
namespace {

std::optional<int64_t> count(std::string_view json) {
  std::string error;
  return countJsonObjectMembers(json, error);
}

std::string countError(std::string_view json) {
  std::string error;
  EXPECT_FALSE(countJsonObjectMembers(json, error).has_value()) << json;
  return error;
}

TEST(VocabularyTest, CountsJsonObjectMembers) {
  EXPECT_EQ(count("{}"), 0);
  EXPECT_EQ(count(" { } \n"), 0);
  EXPECT_EQ(count("{\"!\": 0, \"\\\"\": 1, \"#\": 2}"), 3);
  EXPECT_EQ(count("{\"a\": {\"x\": [1, {\"y\": 2}]}, \"b\": \"}\", "
                  "\"c\": -1.5e3, \"d\": true, \"e\": null}"),
            5);
  EXPECT_EQ(count("{\"\\u0120the\": 262}"), 1);
}

TEST(VocabularyTest, RejectsMalformedJson) {
  EXPECT_EQ(countError("[1, 2]"), "expected '{' at byte 0");
  EXPECT_EQ(countError("{\"a\" 1}"), "expected ':' at byte 5");
  EXPECT_EQ(countError("{\"a\": 1 \"b\": 2}"), "expected ',' or '}' at byte 8");
  EXPECT_EQ(countError("{\"a\": 1"), "expected ',' or '}' at byte 7");
  EXPECT_EQ(countError("{\"a\": [1, 2}"), "invalid value at byte 11");
  EXPECT_EQ(countError("{\"a\": 1} x"), "unexpected text after the object at byte 9");
  EXPECT_EQ(countError("{a: 1}"), "expected a string key at byte 1");
  EXPECT_EQ(countError("{\"a\": \"unterminated}"), "invalid value at byte 20");
  EXPECT_EQ(countError(""), "expected '{' at byte 0");
}

TEST(VocabularyTest, DeepJsonNestingDoesNotRecurse) {
  std::string json = "{\"a\": " + std::string(100000, '[') +
                     std::string(100000, ']') + "}";
  EXPECT_EQ(count(json), 1);
}

TEST(VocabularyTest, RoundsUp) {
  EXPECT_EQ(roundUpToMultiple(50257, 128), 50304);
  EXPECT_EQ(roundUpToMultiple(50257, 1024), 51200);
  EXPECT_EQ(roundUpToMultiple(50304, 128), 50304);
  EXPECT_EQ(roundUpToMultiple(1, 1), 1);
}

class TokenizerVocabularyTest : public ::testing::Test {
protected:
  std::optional<int64_t> size(const TokenizerSettings &t,
                              const std::string &file = "model.yaml") {
    DiagnosticSink sink(diagnostics);
    return tokenizerVocabSize(t, file, sink);
  }

  static Given<std::string> text(std::string value, int line = 3) {
    Given<std::string> g;
    g.value = std::move(value);
    g.present = true;
    g.location = SourceLocation{"model.yaml", line, 5};
    return g;
  }

  std::vector<Diagnostic> diagnostics;
};

TEST_F(TokenizerVocabularyTest, KnownTokenizers) {
  TokenizerSettings t;
  t.present = true;
  EXPECT_EQ(size(t), 0);
  t.type = text("GPT2BPETokenizer");
  EXPECT_EQ(size(t), 50257);
  t.library = text("huggingface");
  t.type = text("gpt2");
  EXPECT_EQ(size(t), 50257);
  t.library = text("sentencepiece");
  EXPECT_EQ(size(t), 0);
  EXPECT_TRUE(diagnostics.empty());
}

TEST_F(TokenizerVocabularyTest, NoTokenizerSectionMeansUnknown) {
  EXPECT_EQ(size(TokenizerSettings{}), 0);
}

TEST_F(TokenizerVocabularyTest, StrataVocabSize) {
  TokenizerSettings t;
  t.present = true;
  t.vocabSize.value = 32000;
  t.vocabSize.present = true;
  EXPECT_EQ(size(t), 32000);
  t.type = text("GPT2BPETokenizer", 4);
  t.vocabSize.location = SourceLocation{"model.yaml", 5, 17};
  EXPECT_EQ(size(t), std::nullopt);
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0].location.line, 5);
  EXPECT_EQ(diagnostics[0].message,
            "tokenizer.vocab_size 32000 (line 5) does not match the 50257 "
            "tokens of tokenizer.type GPT2BPETokenizer (line 4)");
}

TEST_F(TokenizerVocabularyTest, CountsAJsonVocabFileBesideTheDescription) {
  std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) /
                              "strata-vocabulary-test";
  std::filesystem::create_directories(dir / "tok");
  std::ofstream(dir / "tok" / "encoder.json") << "{\"a\": 0, \"b\": 1, \"c\": 2}";
  std::ofstream(dir / "tok" / "vocab.txt") << "a\nb\nc\n";
  TokenizerSettings t;
  t.present = true;
  t.vocabFile = text("tok/encoder.json");
  EXPECT_EQ(size(t, (dir / "model.yaml").string()), 3);
  // A file that is not JSON says nothing about the size.
  t.vocabFile = text("tok/vocab.txt");
  EXPECT_EQ(size(t, (dir / "model.yaml").string()), 0);
  // A file beats a known name, and they must agree.
  t.vocabFile = text("tok/encoder.json");
  t.type = text("GPT2BPETokenizer", 4);
  EXPECT_EQ(size(t, (dir / "model.yaml").string()), std::nullopt);
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0].message,
            "the 50257 tokens of tokenizer.type GPT2BPETokenizer (line 4) "
            "does not match the 3 entries of tokenizer.vocab_file "
            "'tok/encoder.json' (line 3)");
  std::filesystem::remove_all(dir);
}

TEST_F(TokenizerVocabularyTest, MissingVocabFileIsAnError) {
  TokenizerSettings t;
  t.present = true;
  t.vocabFile = text("/nonexistent/encoder.json");
  EXPECT_EQ(size(t), std::nullopt);
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0].message,
            "cannot read tokenizer.vocab_file '/nonexistent/encoder.json': No "
            "such file or directory");
  EXPECT_EQ(diagnostics[0].location.line, 3);
}

TEST_F(TokenizerVocabularyTest, RealGpt2EncoderHas50257Entries) {
  const char *path = "/work/shared/data/gpt2-tokenizer/encoder.json";
  if (!std::filesystem::exists(path))
    GTEST_SKIP() << path << " is not on this machine";
  TokenizerSettings t;
  t.present = true;
  t.vocabFile = text(path);
  EXPECT_EQ(size(t), 50257);
}

} // namespace
} // namespace strata::frontend
