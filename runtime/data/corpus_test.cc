//===- corpus_test.cc - loading and caching corpora -----------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Uses a byte-level stand-in tokenizer (id = byte, end-of-text = 256) so
// the loader is tested apart from BPE.
//
//===----------------------------------------------------------------------===//
#include "runtime/data/corpus.h"

#include "runtime/io/io_test_support.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace strata::runtime::data {
namespace {

using io::testing::TempDir;

struct CountingTokenizer {
  int calls = 0;
  CorpusTokenizer get() {
    CorpusTokenizer t;
    t.encode = [this](const std::string &text) {
      ++calls;
      return std::vector<int32_t>(text.begin(), text.end());
    };
    t.endOfText = 256;
    t.vocabSize = 257;
    t.fingerprint = 77;
    return t;
  }
};

void write(const std::string &path, const std::string &text) {
  ASSERT_TRUE(io::testing::writeBytes(
      path, std::vector<uint8_t>(text.begin(), text.end())));
}

TEST(CorpusTest, ADirectoryIsItsTextFilesInOrderJoinedByEndOfText) {
  TempDir dir;
  std::filesystem::create_directories(dir.file("books/b"));
  write(dir.file("books/b/two.txt"), "cd");
  write(dir.file("books/a.txt"), "ab");
  write(dir.file("books/notes.md"), "ignored");
  CountingTokenizer tokenizer;
  auto corpus = loadCorpus(dir.file("books"), tokenizer.get(), dir.file("cache"));
  ASSERT_TRUE(corpus.isOk()) << corpus.status().toString();
  EXPECT_EQ(corpus->tokens, (std::vector<int32_t>{'a', 'b', 256, 'c', 'd'}));
  EXPECT_EQ(corpus->documents, 2);
  EXPECT_FALSE(corpus->fromCache);
}

TEST(CorpusTest, TheSecondLoadComesFromTheCacheAndAChangeInvalidatesIt) {
  TempDir dir;
  write(dir.file("c.txt"), "hello");
  CountingTokenizer tokenizer;
  auto first = loadCorpus(dir.file("c.txt"), tokenizer.get(), dir.file("cache"));
  ASSERT_TRUE(first.isOk());
  auto second = loadCorpus(dir.file("c.txt"), tokenizer.get(), dir.file("cache"));
  ASSERT_TRUE(second.isOk());
  EXPECT_TRUE(second->fromCache);
  EXPECT_EQ(tokenizer.calls, 1);
  EXPECT_EQ(second->tokens, first->tokens);
  EXPECT_EQ(second->fingerprint, first->fingerprint);
  // A damaged cache is rebuilt, not trusted.
  std::vector<uint8_t> bytes = io::testing::readBytes(first->cachePath);
  bytes.back() ^= 1;
  ASSERT_TRUE(io::testing::writeBytes(first->cachePath, bytes));
  auto third = loadCorpus(dir.file("c.txt"), tokenizer.get(), dir.file("cache"));
  ASSERT_TRUE(third.isOk());
  EXPECT_FALSE(third->fromCache);
  EXPECT_EQ(third->tokens, first->tokens);
  // Another tokenizer means another cache entry.
  CorpusTokenizer other = tokenizer.get();
  other.fingerprint = 78;
  auto fourth = loadCorpus(dir.file("c.txt"), other, dir.file("cache"));
  ASSERT_TRUE(fourth.isOk());
  EXPECT_NE(fourth->fingerprint, first->fingerprint);
}

TEST(CorpusTest, MissingEmptyAndTextlessInputsAreErrors) {
  TempDir dir;
  CountingTokenizer tokenizer;
  auto missing = loadCorpus(dir.file("none.txt"), tokenizer.get(), dir.path());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("none.txt: no such file"),
            std::string::npos);
  write(dir.file("empty.txt"), "");
  auto empty = loadCorpus(dir.file("empty.txt"), tokenizer.get(), dir.path());
  EXPECT_NE(empty.status().message().find("empty.txt: the corpus is empty"),
            std::string::npos)
      << empty.status().message();
  std::filesystem::create_directories(dir.file("bare"));
  auto bare = loadCorpus(dir.file("bare"), tokenizer.get(), dir.path());
  EXPECT_NE(bare.status().message().find("has no .txt files"),
            std::string::npos);
}

} // namespace
} // namespace strata::runtime::data
