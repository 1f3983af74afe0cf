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

//===----------------------------------------------------------------------===//
// SentencePiece models
//===----------------------------------------------------------------------===//

/// A serialized ModelProto with |pieces| pieces (field 1, each a message
/// with a piece string and a float score) and a trainer_spec (field 2).
std::string sentencePieceModel(int pieces) {
  std::string out;
  for (int i = 0; i < pieces; ++i) {
    std::string text = "p" + std::to_string(i);
    std::string piece = "\x0a" + std::string(1, char(text.size())) + text +
                        std::string("\x15\x00\x00\x80\xbf", 5); // -1.0f
    out += "\x0a" + std::string(1, char(piece.size())) + piece;
  }
  out += std::string("\x12\x03\x20\x80\x01", 5); // vocab_size 128
  return out;
}

TEST(VocabularyTest, CountsSentencePiecePieces) {
  std::string error;
  EXPECT_EQ(countSentencePiecePieces(sentencePieceModel(3), error), 3);
  EXPECT_EQ(countSentencePiecePieces(sentencePieceModel(300), error), 300);
  // Field 1 with a varint payload of 300 (two bytes) elsewhere.
  std::string multiByte =
      sentencePieceModel(1) + std::string("\x18\xac\x02", 3);
  EXPECT_EQ(countSentencePiecePieces(multiByte, error), 1);
}

TEST(VocabularyTest, RejectsWhatIsNotASentencePieceModel) {
  auto fails = [](std::string_view bytes) {
    std::string error;
    EXPECT_FALSE(countSentencePiecePieces(bytes, error).has_value());
    return error;
  };
  EXPECT_EQ(fails(""), "it has no pieces");
  EXPECT_EQ(fails(std::string("\x12\x00", 2)), "it has no pieces");
  std::string model = sentencePieceModel(2);
  EXPECT_EQ(fails(model.substr(0, model.size() - 1)),
            "truncated length-delimited field at byte 22");
  EXPECT_EQ(fails("{\"a\": 0}"),
            "wire type 3 at byte 0 is not a protobuf field");
  EXPECT_EQ(fails(std::string("\x08\xff", 2)), "truncated varint at byte 0");
}

TEST_F(TokenizerVocabularyTest, CountsASentencePieceModel) {
  std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / "strata-sentencepiece-test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "tok.model", std::ios::binary) << sentencePieceModel(7);
  TokenizerSettings t;
  t.present = true;
  t.library = text("sentencepiece", 2);
  t.model = text("tok.model");
  const std::string description = (dir / "model.yaml").string();
  EXPECT_EQ(size(t, description), 7);
  // Another library does not read it.
  t.library = text("huggingface", 2);
  EXPECT_EQ(size(t, description), 0);
  // Beside tokenizer.vocab_size the two must agree.
  t.library = text("sentencepiece", 2);
  t.vocabSize.value = 8;
  t.vocabSize.present = true;
  t.vocabSize.location = SourceLocation{"model.yaml", 4, 17};
  EXPECT_EQ(size(t, description), std::nullopt);
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0].message,
            "tokenizer.vocab_size 8 (line 4) does not match the 7 pieces of "
            "tokenizer.model 'tok.model' (line 3)");
  // With vocab_size, a model file that is not there is not looked for.
  diagnostics.clear();
  t.model = text("absent.model");
  EXPECT_EQ(size(t, description), 8);
  EXPECT_TRUE(diagnostics.empty());
  // A file that is there but not a model is an error naming it.
  std::ofstream(dir / "bad.model") << "{\"a\": 0}";
  t.model = text("bad.model");
  EXPECT_EQ(size(t, description), std::nullopt);
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0].message,
            "tokenizer.model '" + (dir / "bad.model").string() +
                "' is not a SentencePiece model: wire type 3 at byte 0 is not "
                "a protobuf field");
  std::filesystem::remove_all(dir);
}

} // namespace
} // namespace strata::frontend
