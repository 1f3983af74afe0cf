//===- text_stream_test.cc - UTF-8-safe incremental detokenization --------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The expected strings are Python's bytes.decode("utf-8", "replace"): the
// fixed cases were taken from it, and RandomBytesMatchPython asks
// /usr/bin/python3 itself about random byte strings split at random points.
//
//===----------------------------------------------------------------------===//
#include "runtime/tokenizer/text_stream.h"

#include "runtime/tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace strata::runtime::tokenizer {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

/// |bytes| pushed in pieces cut before each index of |cuts|, then finish():
/// each push's output kept apart, to check what was emitted when.
std::vector<std::string> streamed(const std::string &bytes,
                                  const std::vector<size_t> &cuts) {
  Utf8Stream stream;
  std::vector<std::string> outputs;
  size_t begin = 0;
  for (size_t cut : cuts) {
    outputs.push_back(stream.push(bytes.substr(begin, cut - begin)));
    begin = cut;
  }
  outputs.push_back(stream.push(bytes.substr(begin)));
  outputs.push_back(stream.finish());
  return outputs;
}

std::string joined(const std::vector<std::string> &parts) {
  std::string all;
  for (const std::string &p : parts)
    all += p;
  return all;
}

/// The whole stream's text for |bytes| pushed at once.
std::string decoded(const std::string &bytes) { return joined(streamed(bytes, {})); }

TEST(Utf8StreamTest, EmojiSplitAcrossTokensWaitsForItsLastByte) {
  const std::string smile = "\xF0\x9F\x99\x82"; // U+1F642
  std::vector<std::string> out = streamed("a" + smile + "b", {2, 4});
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0], "a");        // "a\xF0": the lead byte waits
  EXPECT_EQ(out[1], "");         // "\x9F\x99": still unfinished
  EXPECT_EQ(out[2], smile + "b");
  EXPECT_EQ(out[3], "");
}

TEST(Utf8StreamTest, InvalidBytesAreOneReplacementEach) {
  EXPECT_EQ(decoded("a\x80" "b"), "a" + kFffd + "b");
  EXPECT_EQ(decoded("\xFF\xFE"), kFffd + kFffd);
  EXPECT_EQ(decoded("\xC1\xBF"), kFffd + kFffd); // C1 never starts a character
}

TEST(Utf8StreamTest, TruncatedSequenceAtTheEndIsOneReplacement) {
  std::vector<std::string> out = streamed("ok\xF0\x9F\x99", {});
  EXPECT_EQ(out[0], "ok");
  EXPECT_EQ(out[1], kFffd);
  EXPECT_EQ(decoded("\xE2\x82"), kFffd);
}

TEST(Utf8StreamTest, LeadCutShortByAnotherByteIsOneReplacement) {
  EXPECT_EQ(decoded("\xF0\x9F" "A"), kFffd + "A");
  EXPECT_EQ(decoded("\xE2\x82\xF0\x9F\x99\x82"), kFffd + "\xF0\x9F\x99\x82");
}

TEST(Utf8StreamTest, OverlongEncodingsAreReplacedBytewise) {
  EXPECT_EQ(decoded("\xC0\xAF"), kFffd + kFffd);                 // '/' in 2
  EXPECT_EQ(decoded("\xE0\x80\xAF"), kFffd + kFffd + kFffd);     // in 3
  EXPECT_EQ(decoded("\xF0\x80\x80\xAF"), kFffd + kFffd + kFffd + kFffd);
}

TEST(Utf8StreamTest, SurrogatesAndCodePointsPastTheLastAreReplaced) {
  EXPECT_EQ(decoded("\xED\xA0\x80"), kFffd + kFffd + kFffd); // U+D800
  EXPECT_EQ(decoded("\xED\x9F\xBF"), "\xED\x9F\xBF");        // U+D7FF is fine
  EXPECT_EQ(decoded("\xF4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);
  EXPECT_EQ(decoded("\xF4\x8F\xBF\xBF"), "\xF4\x8F\xBF\xBF"); // U+10FFFF
}

TEST(Utf8StreamTest, FinishEmptiesTheStreamForReuse) {
  Utf8Stream stream;
  EXPECT_EQ(stream.push("\xE2\x82"), "");
  EXPECT_EQ(stream.finish(), kFffd);
  EXPECT_EQ(stream.push("\xE2\x82\xAC"), "\xE2\x82\xAC"); // U+20AC
  EXPECT_EQ(stream.finish(), "");
}

/// Random byte strings, from bytes that make every UTF-8 case likely, each
/// pushed whole and in random pieces, against Python's decoder.
TEST(Utf8StreamTest, RandomBytesMatchPython) {
  const char *python = "/usr/bin/python3";
  if (std::FILE *f = std::fopen(python, "r"))
    std::fclose(f);
  else
    GTEST_SKIP() << python << " is missing";
  const std::vector<uint8_t> alphabet = {
      'a',  0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2,
      0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4,
      0xF5, 0xFF, 0x82, 0x99, 0xA9, 0xB0};
  std::mt19937 rng(1234);
  std::vector<std::string> cases;
  std::string hexLines;
  for (int c = 0; c < 3000; ++c) {
    std::string bytes(rng() % 13, '\0');
    for (char &b : bytes)
      b = char(alphabet[rng() % alphabet.size()]);
    cases.push_back(bytes);
    for (unsigned char b : bytes) {
      char hex[3];
      std::snprintf(hex, sizeof hex, "%02x", b);
      hexLines += hex;
    }
    hexLines += "\n";
  }
  const std::string input = testing::TempDir() + "utf8_cases.txt";
  {
    std::FILE *f = std::fopen(input.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(hexLines.c_str(), f);
    std::fclose(f);
  }
  const std::string command =
      std::string(python) +
      " -c \"import sys\nfor line in open(sys.argv[1]):\n"
      "  print(bytes.fromhex(line.strip()).decode('utf-8', 'replace')"
      ".encode('utf-8').hex())\" " +
      input;
  std::FILE *pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::vector<std::string> expected;
  char line[256];
  while (std::fgets(line, sizeof line, pipe)) {
    std::string hex(line);
    while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r'))
      hex.pop_back();
    std::string bytes;
    for (size_t i = 0; i + 1 < hex.size(); i += 2)
      bytes += char(std::stoi(hex.substr(i, 2), nullptr, 16));
    expected.push_back(bytes);
  }
  ASSERT_EQ(::pclose(pipe), 0);
  ASSERT_EQ(expected.size(), cases.size());
  for (size_t c = 0; c < cases.size(); ++c) {
    const std::string &bytes = cases[c];
    std::vector<size_t> cuts;
    for (size_t i = 1; i < bytes.size(); ++i)
      if (rng() % 3 == 0)
        cuts.push_back(i);
    ASSERT_EQ(decoded(bytes), expected[c]) << "case " << c;
    ASSERT_EQ(joined(streamed(bytes, cuts)), expected[c])
        << "case " << c << " in " << cuts.size() + 1 << " pieces";
  }
}

#ifdef STRATA_GPT2_TOKENIZER_DIR
TEST(TextStreamTest, GeneratedTokensNeverSplitACharacter) {
  StatusOr<Tokenizer> tokenizer = Tokenizer::load(STRATA_GPT2_TOKENIZER_DIR);
  ASSERT_TRUE(tokenizer.isOk()) << tokenizer.status().toString();
  const std::string text = "caf\xC3\xA9 \xF0\x9F\x99\x82 \xE6\x97\xA5\xE6\x9C\xAC";
  std::vector<int32_t> ids = tokenizer->encode(text);
  TextStream stream(*tokenizer);
  std::string out;
  size_t multiByteTokens = 0;
  for (int32_t id : ids) {
    std::string piece = stream.push(id);
    // Every piece is whole characters: no lead byte without its tail.
    EXPECT_EQ(decoded(piece), piece);
    multiByteTokens += piece.size() != tokenizer->tokenBytes(id).size();
    out += piece;
  }
  out += stream.finish();
  EXPECT_EQ(out, text);
  EXPECT_GT(multiByteTokens, 0u) << "no token split a character: a weak test";
  EXPECT_EQ(stream.push(-1), kFffd);
  EXPECT_EQ(stream.push(tokenizer->vocabSize()), kFffd);
}
#endif

} // namespace
} // namespace strata::runtime::tokenizer
