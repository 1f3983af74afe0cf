//===- tokenizer_test.cc - GPT-2's byte-level BPE tokenizer --------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Known ids come from OpenAI's encoder.py (tests/tokenizer/
// reference_encoder.py); test_set.jsonl holds the reference's ids of every
// case, recorded by compare_with_reference.py --record.
//
//===----------------------------------------------------------------------===//
#include "runtime/tokenizer/tokenizer.h"

#include "runtime/tokenizer/pretokenizer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <sys/stat.h>

namespace strata::runtime::tokenizer {
namespace {

using Ids = std::vector<int32_t>;

bool fileExists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::string readText(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class Gpt2TokenizerTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    StatusOr<Tokenizer> loaded = Tokenizer::load(STRATA_GPT2_TOKENIZER_DIR);
    ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
    tokenizer_ = new Tokenizer(std::move(loaded).value());
  }
  static void TearDownTestSuite() {
    delete tokenizer_;
    tokenizer_ = nullptr;
  }
  const Tokenizer &tok() { return *tokenizer_; }
  static Tokenizer *tokenizer_;
};
Tokenizer *Gpt2TokenizerTest::tokenizer_ = nullptr;

TEST_F(Gpt2TokenizerTest, Sizes) {
  EXPECT_EQ(tok().vocabSize(), 50257);
  EXPECT_EQ(tok().mergeCount(), 50000u);
  EXPECT_EQ(tok().endOfTextId(), 50256);
}

TEST_F(Gpt2TokenizerTest, KnownIds) {
  EXPECT_EQ(tok().encode("Hello world"), (Ids{15496, 995}));
  EXPECT_EQ(tok().encode(" the"), (Ids{262}));
  EXPECT_EQ(tok().encode("\n"), (Ids{198}));
  EXPECT_EQ(tok().encode("It's 2024!"), (Ids{1026, 338, 48609, 0}));
  EXPECT_EQ(tok().encode(""), Ids{});
  // "<|endoftext|>" is text unless asked for.
  EXPECT_EQ(tok().encode("<|endoftext|>"),
            (Ids{27, 91, 437, 1659, 5239, 91, 29}));
  EncodeOptions special;
  special.allowEndOfText = true;
  EXPECT_EQ(tok().encode("<|endoftext|>", special), (Ids{50256}));
  EXPECT_EQ(tok().encode("a<|endoftext|>b", special), (Ids{64, 50256, 65}));
  EXPECT_EQ(tok().encode("<|endoftext|><|endoftext|>", special),
            (Ids{50256, 50256}));
  // Invalid UTF-8: a lone 0x80 is the token of that byte.
  EXPECT_EQ(tok().encode("\x80"), (Ids{*tok().tokenId("\x80")}));
}

TEST_F(Gpt2TokenizerTest, TokenBytes) {
  EXPECT_EQ(tok().tokenBytes(262), " the");
  EXPECT_EQ(tok().tokenBytes(198), "\n");
  EXPECT_EQ(tok().tokenBytes(50256), kEndOfText);
  EXPECT_EQ(tok().tokenBytes(-1), "");
  EXPECT_EQ(tok().tokenBytes(50257), "");
  EXPECT_EQ(tok().tokenId(" the"), std::optional<int32_t>(262));
  EXPECT_EQ(tok().tokenId("no such token at all"), std::nullopt);
  for (int b = 0; b < 256; ++b) {
    std::optional<int32_t> id = tok().tokenId(std::string(1, char(b)));
    ASSERT_TRUE(id.has_value()) << b;
    EXPECT_EQ(tok().tokenBytes(*id), std::string(1, char(b)));
  }
  // bytes_to_unicode(): printable bytes spell themselves.
  EXPECT_EQ(byteToCodePoint('A'), uint32_t('A'));
  EXPECT_EQ(byteToCodePoint(0xE9), 0xE9u);
  EXPECT_EQ(byteToCodePoint(' '), 0x120u);  // "Ġ"
  EXPECT_EQ(byteToCodePoint('\n'), 0x10Au); // "Ċ"
  EXPECT_EQ(byteToCodePoint(0), 0x100u);
  EXPECT_EQ(byteToCodePoint(0xAD), 0x143u);
}

// Every case of tests/tokenizer/test_set.jsonl: the recorded reference ids,
// and the exact round trip.
TEST_F(Gpt2TokenizerTest, TestSetHasTheReferenceIds) {
  std::ifstream in(STRATA_TOKENIZER_TEST_SET);
  ASSERT_TRUE(in) << STRATA_TOKENIZER_TEST_SET;
  std::string line;
  int cases = 0;
  EncodeCache cache;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#')
      continue;
    nlohmann::json c = nlohmann::json::parse(line);
    std::string text;
    if (c.contains("hex")) {
      std::string hex = c["hex"];
      for (size_t i = 0; i < hex.size(); i += 2)
        text += char(std::stoi(hex.substr(i, 2), nullptr, 16));
    } else {
      text = c["text"];
    }
    EncodeOptions options;
    options.allowEndOfText = c.value("allow_end_of_text", false);
    Ids expected = c["ids"].get<Ids>();
    std::string name = c["name"];
    EXPECT_EQ(tok().encode(text, options), expected) << name;
    Ids cached;
    tok().encode(text, cached, cache, options);
    EXPECT_EQ(cached, expected) << name;
    StatusOr<std::string> decoded = tok().decode(expected);
    ASSERT_TRUE(decoded.isOk());
    EXPECT_EQ(*decoded, text) << name;
    ++cases;
  }
  EXPECT_GT(cases, 100);
}

TEST_F(Gpt2TokenizerTest, RoundTripOfArbitraryBytes) {
  std::mt19937 rng(7);
  EncodeCache cache;
  for (int i = 0; i < 2000; ++i) {
    std::string bytes(rng() % 64, '\0');
    for (char &b : bytes) {
      // Mostly ASCII, some high bytes, so that valid sequences occur too.
      uint32_t r = rng();
      b = char(r % 4 ? 0x20 + (r >> 8) % 0x60 : (r >> 8) & 0xFF);
    }
    Ids ids;
    tok().encode(bytes, ids, cache);
    StatusOr<std::string> decoded = tok().decode(ids);
    ASSERT_TRUE(decoded.isOk());
    ASSERT_EQ(*decoded, bytes);
    ASSERT_EQ(ids, tok().encode(bytes)); // with and without the cache
  }
}

TEST_F(Gpt2TokenizerTest, CacheStartsOverWhenFull) {
  std::string text = readText(STRATA_DATA_DIR "/corpora/moby-dick.txt");
  ASSERT_GT(text.size(), 100000u);
  text.resize(100000);
  Ids expected = tok().encode(text);
  EncodeCache small(4096);
  Ids ids;
  tok().encode(text, ids, small);
  EXPECT_EQ(ids, expected);
  EXPECT_LT(small.size(), 1000u);
  small.clear();
  EXPECT_EQ(small.size(), 0u);
  EncodeCache big;
  ids.clear();
  tok().encode(text, ids, big);
  EXPECT_EQ(ids, expected);
  EXPECT_GT(big.size(), 1000u);
}

TEST_F(Gpt2TokenizerTest, EncodePieceIsBpeOfOnePiece) {
  Ids ids;
  tok().encodePiece(" the", ids);
  EXPECT_EQ(ids, (Ids{262}));
  ids.clear();
  tok().encodePiece("Hello", ids);
  EXPECT_EQ(ids, tok().encode("Hello"));
  ids.clear();
  // A piece need not be one the pre-tokenizer would make.
  tok().encodePiece("it's 42", ids);
  EXPECT_EQ(tok().decode(ids).value(), "it's 42");
  ids.clear();
  tok().encodePiece("", ids);
  EXPECT_TRUE(ids.empty());
  // Long pieces (beyond what the cache keeps) are encoded the same way.
  std::string longWord(20000, 'a');
  Ids longIds = tok().encode(longWord);
  EXPECT_EQ(tok().decode(longIds).value(), longWord);
  ids.clear();
  tok().encodePiece(longWord, ids);
  EXPECT_EQ(ids, longIds);
}

TEST_F(Gpt2TokenizerTest, DecodeOutOfRangeIdsIsAnError) {
  StatusOr<std::string> bad = tok().decode(Ids{15496, 50257});
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("50257 at position 1"),
            std::string::npos)
      << bad.status().message();
  EXPECT_NE(bad.status().message().find("0..50256"), std::string::npos);
  EXPECT_FALSE(tok().decode(Ids{-1}).isOk());
  // Decoding makes bytes, not necessarily UTF-8.
  StatusOr<std::string> half = tok().decode(Ids{*tok().tokenId("\xe4")});
  ASSERT_TRUE(half.isOk());
  EXPECT_EQ(*half, "\xe4");
}

TEST_F(Gpt2TokenizerTest, EncodeFile) {
  StatusOr<Ids> missing = tok().encodeFile("/nonexistent/corpus.txt");
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("/nonexistent/corpus.txt"),
            std::string::npos);
}

// Encodes |path| whole, checks the exact round trip and prints the speed.
void roundTripCorpus(const Tokenizer &tok, const std::string &path) {
  auto start = std::chrono::steady_clock::now();
  StatusOr<Ids> ids = tok.encodeFile(path);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  ASSERT_TRUE(ids.isOk()) << ids.status().toString();
  std::string text = readText(path);
  std::printf("[ bench    ] %s: %zu bytes -> %zu tokens in %.3f s "
              "(%.1f MB/s, file read included)\n",
              path.c_str(), text.size(), ids->size(), seconds,
              text.size() / 1e6 / seconds);
  StatusOr<std::string> decoded = tok.decode(*ids);
  ASSERT_TRUE(decoded.isOk());
  ASSERT_EQ(decoded->size(), text.size());
  EXPECT_TRUE(*decoded == text);
}

TEST_F(Gpt2TokenizerTest, MobyDickRoundTrip) {
  std::string path = STRATA_DATA_DIR "/corpora/moby-dick.txt";
  roundTripCorpus(tok(), path);
  // The count the reference gives (tokenizer.reference-moby-dick compares
  // every id).
  EXPECT_EQ(tok().encodeFile(path)->size(), 317756u);
}

TEST_F(Gpt2TokenizerTest, StateOfTheUnionRoundTrip) {
  std::string path = STRATA_SHARED_DATA_DIR "/corpora/state-of-the-union.txt";
  if (!fileExists(path))
    GTEST_SKIP() << path << " is absent (the 10.8 MB corpus is not vendored;"
                 << " it lives in ../shared/data/corpora)";
  roundTripCorpus(tok(), path);
}

//===----------------------------------------------------------------------===//
// BPE on small made-up vocabularies
//===----------------------------------------------------------------------===//

/// How encoder.json and vocab.bpe spell |bytes|.
std::string spell(const std::string &bytes) {
  std::string out;
  for (unsigned char b : bytes) {
    uint32_t cp = byteToCodePoint(b);
    if (cp < 0x80) {
      out += char(cp);
    } else {
      out += char(0xC0 | (cp >> 6));
      out += char(0x80 | (cp & 0x3F));
    }
  }
  return out;
}

/// encoder.json and vocab.bpe for the 256 bytes, |merges| (in rank order)
/// and "<|endoftext|>".
std::pair<std::string, std::string>
makeVocab(const std::vector<std::pair<std::string, std::string>> &merges) {
  std::vector<std::string> tokens;
  std::set<std::string> seen;
  for (int b = 0; b < 256; ++b) {
    tokens.push_back(std::string(1, char(b)));
    seen.insert(tokens.back());
  }
  std::string bpe = "#version: 0.2\n";
  for (const auto &[a, b] : merges) {
    if (seen.insert(a + b).second)
      tokens.push_back(a + b);
    bpe += spell(a) + " " + spell(b) + "\n";
  }
  tokens.push_back(std::string(kEndOfText));
  nlohmann::json encoder = nlohmann::json::object();
  for (size_t i = 0; i < tokens.size(); ++i)
    encoder[spell(tokens[i])] = i;
  return {encoder.dump(), bpe};
}

/// OpenAI's Encoder.bpe, transcribed: strings and a full rescan per merge.
std::vector<std::string>
referenceBpe(const std::string &piece,
             const std::map<std::pair<std::string, std::string>, int> &ranks) {
  std::vector<std::string> word;
  for (char c : piece)
    word.push_back(std::string(1, c));
  while (word.size() > 1) {
    int best = -1;
    std::pair<std::string, std::string> bigram;
    for (size_t i = 0; i + 1 < word.size(); ++i) {
      auto it = ranks.find({word[i], word[i + 1]});
      if (it != ranks.end() && (best < 0 || it->second < best)) {
        best = it->second;
        bigram = it->first;
      }
    }
    if (best < 0)
      break;
    std::vector<std::string> merged;
    for (size_t i = 0; i < word.size();) {
      if (i + 1 < word.size() && word[i] == bigram.first &&
          word[i + 1] == bigram.second) {
        merged.push_back(bigram.first + bigram.second);
        i += 2;
      } else {
        merged.push_back(word[i++]);
      }
    }
    word = std::move(merged);
  }
  return word;
}

TEST(BpeTest, MergesLowestRankEverywhereLeftToRight) {
  auto [encoder, bpe] = makeVocab({{"a", "a"}, {"aa", "a"}, {"b", "c"}});
  StatusOr<Tokenizer> tok = Tokenizer::parse(encoder, bpe);
  ASSERT_TRUE(tok.isOk()) << tok.status().toString();
  auto pieces = [&](const std::string &text) {
    std::vector<std::string> out;
    Ids ids;
    tok->encodePiece(text, ids);
    for (int32_t id : ids)
      out.emplace_back(tok->tokenBytes(id));
    return out;
  };
  // "aaa": (a,a) merges at 0 first, leaving "aa a", then (aa,a).
  EXPECT_EQ(pieces("aaa"), (std::vector<std::string>{"aaa"}));
  // All (a,a) first: "aa aa", and (aa,a) never occurs.
  EXPECT_EQ(pieces("aaaa"), (std::vector<std::string>{"aa", "aa"}));
  // "aa aa a", then (aa,a) where it occurs: at the end only.
  EXPECT_EQ(pieces("aaaaa"), (std::vector<std::string>{"aa", "aaa"}));
  EXPECT_EQ(pieces("abca"), (std::vector<std::string>{"a", "bc", "a"}));
}

// The merge order matters even where ranks are not in "training" order: a
// pair made by a merge may rank before the merge that makes it. The
// reference merges every occurrence of the best pair before looking again,
// and so must Strata.
TEST(BpeTest, MatchesTheReferenceOnRandomMergeTables) {
  std::mt19937 rng(11);
  for (int table = 0; table < 200; ++table) {
    std::vector<std::string> tokens = {"a", "b", "c"};
    std::vector<std::pair<std::string, std::string>> merges;
    std::set<std::pair<std::string, std::string>> used;
    for (int m = 0; m < 12; ++m) {
      const std::string &x = tokens[rng() % tokens.size()];
      const std::string &y = tokens[rng() % tokens.size()];
      if (x.size() + y.size() > 6 || !used.insert({x, y}).second)
        continue;
      merges.push_back({x, y});
      tokens.push_back(x + y);
    }
    std::shuffle(merges.begin(), merges.end(), rng);
    std::map<std::pair<std::string, std::string>, int> ranks;
    for (size_t i = 0; i < merges.size(); ++i)
      ranks[merges[i]] = int(i);
    auto [encoder, bpe] = makeVocab(merges);
    StatusOr<Tokenizer> tok = Tokenizer::parse(encoder, bpe);
    ASSERT_TRUE(tok.isOk()) << tok.status().toString();
    for (int word = 0; word < 50; ++word) {
      std::string piece;
      size_t length = 1 + rng() % 24;
      for (size_t i = 0; i < length; ++i)
        piece += char('a' + rng() % 3);
      Ids ids;
      tok->encodePiece(piece, ids);
      std::vector<std::string> got;
      for (int32_t id : ids)
        got.emplace_back(tok->tokenBytes(id));
      ASSERT_EQ(got, referenceBpe(piece, ranks))
          << "table " << table << " word " << piece;
    }
  }
}

//===----------------------------------------------------------------------===//
// Loading errors
//===----------------------------------------------------------------------===//

/// The message of parsing |encoder| and |bpe|, which must fail with
/// kDataLoss.
std::string parseError(const std::string &encoder, const std::string &bpe) {
  StatusOr<Tokenizer> tok = Tokenizer::parse(encoder, bpe, "enc.json", "v.bpe");
  EXPECT_FALSE(tok.isOk());
  if (tok.isOk())
    return "";
  EXPECT_EQ(tok.status().code(), StatusCode::kDataLoss);
  return tok.status().message();
}

#define EXPECT_HAS(message, part)                                              \
  EXPECT_NE((message).find(part), std::string::npos) << (message)

TEST(TokenizerLoadTest, MissingFiles) {
  StatusOr<Tokenizer> tok = Tokenizer::load("/nonexistent/gpt2");
  ASSERT_FALSE(tok.isOk());
  EXPECT_EQ(tok.status().code(), StatusCode::kNotFound);
  EXPECT_HAS(tok.status().message(), "/nonexistent/gpt2/encoder.json");
  tok = Tokenizer::loadFiles(STRATA_GPT2_TOKENIZER_DIR "/encoder.json",
                             "/nonexistent/vocab.bpe");
  ASSERT_FALSE(tok.isOk());
  EXPECT_HAS(tok.status().message(), "/nonexistent/vocab.bpe");
}

TEST(TokenizerLoadTest, MalformedEncoderJson) {
  auto [good, bpe] = makeVocab({{"a", "b"}});
  ASSERT_TRUE(Tokenizer::parse(good, bpe).isOk());
  EXPECT_HAS(parseError("{\"a\": 0,", bpe), "enc.json: is not valid JSON");
  EXPECT_HAS(parseError("", bpe), "enc.json: is not valid JSON");
  EXPECT_HAS(parseError("[1, 2]", bpe),
             "enc.json: must be a JSON object of token -> id, got an array");
  EXPECT_HAS(parseError("{}", bpe), "enc.json: has no tokens");
  EXPECT_HAS(parseError("{\"a\": \"0\"}", bpe),
             "token 'a' has a string where an id (an integer) belongs");
  EXPECT_HAS(parseError("{\"a\": 0.5}", bpe), "token 'a' has the number 0.5");
  EXPECT_HAS(parseError("{\"a\": {}}", bpe), "token 'a' has an object");
  EXPECT_HAS(parseError("{\"a\": 0, \"b\": 5}", bpe),
             "token 'b' has the id 5, outside 0..1");
  EXPECT_HAS(parseError("{\"a\": 0, \"b\": -1}", bpe),
             "token 'b' has the id -1");
  EXPECT_HAS(parseError("{\"a\": 0, \"b\": 0}", bpe),
             "tokens 'a' and 'b' have the same id 0");
  EXPECT_HAS(parseError("{\"a\": 0, \"a\": 1}", bpe),
             "token 'a' appears more than once");
  // A character that spells no byte (a space is spelled "Ġ").
  EXPECT_HAS(parseError("{\"a b\": 0}", bpe),
             "token 'a b' (id 0) has the character U+0020, which spells no "
             "byte");
  EXPECT_HAS(parseError("{\"\": 0}", bpe), "token '' (id 0) is empty");
  // Every byte needs a token, and "<|endoftext|>" must be there.
  EXPECT_HAS(parseError("{\"a\": 0}", bpe),
             "enc.json: has no token for the byte 0x00 (spelled U+0100)");
  nlohmann::json noEot = nlohmann::json::parse(good);
  noEot.erase(spell(std::string(kEndOfText)));
  EXPECT_HAS(parseError(noEot.dump(), bpe),
             "enc.json: has no token '<|endoftext|>'");
}

TEST(TokenizerLoadTest, MalformedVocabBpe) {
  auto [encoder, bpe] = makeVocab({{"a", "b"}, {"ab", "c"}, {" ", "a"}});
  ASSERT_TRUE(Tokenizer::parse(encoder, bpe).isOk());
  EXPECT_HAS(parseError(encoder, "#version: 0.2\na b\nab\n"),
             "v.bpe: line 3 'ab': a merge is two tokens separated by one "
             "space");
  EXPECT_HAS(parseError(encoder, "#version: 0.2\na  b\n"),
             "line 2 'a  b': a merge is two tokens");
  EXPECT_HAS(parseError(encoder, "#version: 0.2\na b c\n"),
             "line 2 'a b c': a merge is two tokens");
  EXPECT_HAS(parseError(encoder, "#version: 0.2\na b\r\n"),
             "line 2 'a b\\x0d': token 'b\\x0d' has the character U+000D");
  EXPECT_HAS(parseError(encoder, "#version: 0.2\nab ab\n"),
             "line 2 'ab ab': the merged token 'abab' is not in encoder.json");
  EXPECT_HAS(parseError(encoder, "#version: 0.2\nxyz a\n"),
             "line 2 'xyz a': token 'xyz' is not in encoder.json");
  EXPECT_HAS(parseError(encoder, "#version: 0.2\na xyz\n"),
             "token 'xyz' is not in encoder.json");
  EXPECT_HAS(parseError(encoder, "#version: 0.2\na b\nab c\na b\n"),
             "line 4 'a b': the pair is merged twice");
  // The header is optional; blank lines and a missing final newline are
  // fine.
  EXPECT_TRUE(Tokenizer::parse(encoder, "a b\n\nab c").isOk());
  StatusOr<Tokenizer> tok = Tokenizer::parse(encoder, "a b\n\nab c");
  EXPECT_EQ(tok->mergeCount(), 2u);
  EXPECT_EQ(tok->encode("abc"), (Ids{*tok->tokenId("abc")}));
}

} // namespace
} // namespace strata::runtime::tokenizer
