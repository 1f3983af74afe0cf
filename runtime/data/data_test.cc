//===- data_test.cc - token files, splits and batch order -----------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/data/batches.h"
#include "runtime/data/token_file.h"

#include "runtime/io/io_test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <set>

namespace strata::runtime::data {
namespace {

using io::testing::TempDir;

std::vector<int32_t> iota(int64_t n, int32_t modulo) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    v[i] = static_cast<int32_t>(i % modulo);
  return v;
}

TEST(TokenFileTest, RoundTripsNarrowAndWideVocabularies) {
  TempDir dir;
  for (int64_t vocab : {int64_t(50257), int64_t(100000)}) {
    TokenFile file{iota(1000, static_cast<int32_t>(vocab)), vocab, 42};
    file.tokens[7] = static_cast<int32_t>(vocab - 1);
    ASSERT_TRUE(writeTokenFile(dir.file("t.tok"), file).isOk());
    auto read = readTokenFile(dir.file("t.tok"));
    ASSERT_TRUE(read.isOk()) << read.status().toString();
    EXPECT_EQ(read->tokens, file.tokens);
    EXPECT_EQ(read->vocabSize, vocab);
    EXPECT_EQ(read->fingerprint, 42u);
    EXPECT_EQ(io::testing::readBytes(dir.file("t.tok")).size(),
              64u + (vocab <= 65536 ? 2u : 4u) * 1000u);
  }
}

TEST(TokenFileTest, DamageIsDetected) {
  TempDir dir;
  ASSERT_TRUE(
      writeTokenFile(dir.file("t.tok"), {iota(300, 50), 50, 1}).isOk());
  const std::vector<uint8_t> bytes = io::testing::readBytes(dir.file("t.tok"));
  std::vector<uint8_t> flipped = bytes;
  flipped[200] ^= 1;
  ASSERT_TRUE(io::testing::writeBytes(dir.file("f.tok"), flipped));
  auto read = readTokenFile(dir.file("f.tok"));
  ASSERT_FALSE(read.isOk());
  EXPECT_NE(read.status().message().find("f.tok: not a valid token file: "
                                         "checksum mismatch"),
            std::string::npos)
      << read.status().message();
  std::vector<uint8_t> cut(bytes.begin(), bytes.end() - 3);
  ASSERT_TRUE(io::testing::writeBytes(dir.file("c.tok"), cut));
  EXPECT_NE(readTokenFile(dir.file("c.tok")).status().message().find(
                "the header says 300 tokens"),
            std::string::npos);
  EXPECT_EQ(readTokenFile(dir.file("none.tok")).status().code(),
            StatusCode::kNotFound);
}

TEST(TokenFileTest, RefusesIdsOutsideTheVocabulary) {
  TempDir dir;
  Status status = writeTokenFile(dir.file("t.tok"), {{1, 2, 60}, 50, 0});
  EXPECT_NE(status.message().find("token 60 at index 2 is outside the "
                                  "vocabulary [0, 50)"),
            std::string::npos)
      << status.message();
}

TEST(SplitCorpusTest, SplitsOffTheTailAndCutsSamples) {
  auto split = splitCorpus(iota(1001, 1 << 20), 10, 0.1, "corpus");
  ASSERT_TRUE(split.isOk()) << split.status().toString();
  // 100 validation tokens -> 9 samples; 901 training tokens -> 90.
  EXPECT_EQ(split->validation.size(), 9);
  EXPECT_EQ(split->train.size(), 90);
  std::vector<int32_t> sample(11);
  split->validation.copySample(0, sample.data());
  EXPECT_EQ(sample.front(), 901);
  EXPECT_EQ(sample.back(), 911);
}

TEST(SplitCorpusTest, ACorpusShorterThanTwoSamplesIsAnError) {
  auto split = splitCorpus(iota(30, 50), 16, 0.1, "tiny.txt");
  ASSERT_FALSE(split.isOk());
  EXPECT_NE(split.status().message().find("tiny.txt has 30 tokens"),
            std::string::npos)
      << split.status().message();
}

TEST(ShuffledSamplerTest, EachEpochVisitsEverySampleOnce) {
  auto split = splitCorpus(iota(5001, 1 << 20), 7, 0.05, "c");
  ASSERT_TRUE(split.isOk());
  ShuffledSampler sampler(split->train, 3);
  const int64_t n = split->train.size();
  for (int64_t epoch = 0; epoch < 2; ++epoch) {
    io::HostTensor batch = sampler.batch(epoch * n, n);
    std::set<int32_t> firsts;
    for (int64_t r = 0; r < n; ++r)
      firsts.insert(batch.data<int32_t>()[r * 8]);
    EXPECT_EQ(static_cast<int64_t>(firsts.size()), n);
  }
}

TEST(ShuffledSamplerTest, SampleKDependsOnlyOnKAndTheSeed) {
  auto split = splitCorpus(iota(4001, 1 << 20), 9, 0.1, "c");
  ASSERT_TRUE(split.isOk());
  const int64_t n = split->train.size();
  ShuffledSampler straight(split->train, 11), resumed(split->train, 11),
      other(split->train, 12);
  // The straight run reads every batch; the resumed one jumps to the middle
  // of the second epoch.
  io::HostTensor expected;
  for (int64_t k = 0; k <= n + 5; k += 4)
    expected = straight.batch(k, 4);
  const int64_t last = (n + 5) / 4 * 4;
  EXPECT_TRUE(resumed.batch(last, 4).bitwiseEquals(expected));
  EXPECT_FALSE(other.batch(last, 4).bitwiseEquals(expected));
}

TEST(ShuffledSamplerTest, TheOrderIsPinned) {
  // Checkpoints store only the sample index k, so the order must not change
  // between versions: these are the first two epochs of 8 samples, seed 5.
  auto split = splitCorpus(iota(18, 1000), 1, 0.5, "c");
  ASSERT_TRUE(split.isOk());
  ASSERT_EQ(split->train.size(), 8);
  ShuffledSampler sampler(split->train, 5);
  io::HostTensor batch = sampler.batch(0, 16);
  std::vector<int32_t> firsts;
  for (int64_t r = 0; r < 16; ++r)
    firsts.push_back(batch.data<int32_t>()[r * 2]);
  EXPECT_EQ(firsts, (std::vector<int32_t>{3, 0, 6, 5, 4, 7, 1, 2, 1, 5, 4, 2,
                                          6, 3, 7, 0}));
}

} // namespace
} // namespace strata::runtime::data
