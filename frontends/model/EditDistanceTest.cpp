//===- EditDistanceTest.cpp - Levenshtein distance and suggestions -------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "frontends/model/EditDistance.h"

#include <gtest/gtest.h>

namespace strata::frontend {
namespace {

TEST(EditDistanceTest, CountsSingleEdits) {
  EXPECT_EQ(editDistance("hidden_size", "hidden_size", 3), 0u);
  EXPECT_EQ(editDistance("hiden_size", "hidden_size", 3), 1u);   // insertion
  EXPECT_EQ(editDistance("hidddden_size", "hidden_size", 3), 2u); // deletions
  EXPECT_EQ(editDistance("hidden_sixe", "hidden_size", 3), 1u);  // substitution
  EXPECT_EQ(editDistance("kitten", "sitting", 5), 3u);
  EXPECT_EQ(editDistance("", "abc", 5), 3u);
  EXPECT_EQ(editDistance("abc", "", 5), 3u);
  EXPECT_EQ(editDistance("", "", 0), 0u);
}

TEST(EditDistanceTest, IgnoresLetterCase) {
  EXPECT_EQ(editDistance("Hidden_Size", "hidden_size", 3), 0u);
}

TEST(EditDistanceTest, StopsAtTheLimit) {
  EXPECT_EQ(editDistance("abcdef", "uvwxyz", 2), 3u);
  EXPECT_EQ(editDistance("a", "abcdefgh", 3), 4u);
  // Long inputs stay cheap: only a band around the diagonal is computed.
  std::string longA(100000, 'a'), longB(100000, 'a');
  longB[50000] = 'b';
  EXPECT_EQ(editDistance(longA, longB, 3), 1u);
}

TEST(EditDistanceTest, AgreesWithTheFullTableOnSmallStrings) {
  // Exhaustive check against the textbook O(n*m) table for short words.
  auto full = [](const std::string &a, const std::string &b) {
    std::vector<std::vector<size_t>> t(a.size() + 1,
                                       std::vector<size_t>(b.size() + 1));
    for (size_t i = 0; i <= a.size(); ++i)
      t[i][0] = i;
    for (size_t j = 0; j <= b.size(); ++j)
      t[0][j] = j;
    for (size_t i = 1; i <= a.size(); ++i)
      for (size_t j = 1; j <= b.size(); ++j)
        t[i][j] = std::min({t[i - 1][j] + 1, t[i][j - 1] + 1,
                            t[i - 1][j - 1] + (a[i - 1] != b[j - 1])});
    return t[a.size()][b.size()];
  };
  const std::vector<std::string> words = {"",     "a",     "ab",   "ba",
                                          "abc",  "acb",   "bca",  "aabb",
                                          "abab", "bbaa",  "xyz",  "abcde",
                                          "edcba", "aaaaa", "ab_cd"};
  for (const std::string &a : words)
    for (const std::string &b : words)
      for (size_t limit = 0; limit <= 5; ++limit) {
        size_t expected = std::min(full(a, b), limit + 1);
        EXPECT_EQ(editDistance(a, b, limit), expected)
            << "'" << a << "' vs '" << b << "' limit " << limit;
      }
}

TEST(EditDistanceTest, SuggestsTheClosestCandidate) {
  std::vector<std::string_view> keys = {"num_layers", "hidden_size",
                                        "num_attention_heads"};
  EXPECT_EQ(closestMatch("num_layer", keys), "num_layers");
  EXPECT_EQ(closestMatch("hiden_size", keys), "hidden_size");
  EXPECT_EQ(closestMatch("num_attention_head", keys), "num_attention_heads");
}

TEST(EditDistanceTest, SuggestsNothingWhenFar) {
  std::vector<std::string_view> keys = {"num_layers", "hidden_size"};
  EXPECT_EQ(closestMatch("optimizer", keys), "");
  EXPECT_EQ(closestMatch("x", keys), "");
  EXPECT_EQ(closestMatch("", keys), "");
}

TEST(EditDistanceTest, TheAllowanceGrowsWithTheWord) {
  std::vector<std::string_view> keys = {"seed", "model", "num_layers"};
  EXPECT_EQ(closestMatch("sed", keys), "seed");    // 3 letters: one edit
  EXPECT_EQ(closestMatch("sde", keys), "");        // ... not two
  EXPECT_EQ(closestMatch("modle", keys), "model"); // 5 letters: two edits
  EXPECT_EQ(closestMatch("nm_lyrs", keys), "num_layers"); // 7 letters: three
  EXPECT_EQ(closestMatch("n_lyrs", keys), "");     // 6 letters: not four
}

TEST(EditDistanceTest, TiesGoToTheFirstCandidate) {
  std::vector<std::string_view> keys = {"abcd_x", "abcd_y"};
  EXPECT_EQ(closestMatch("abcd_z", keys), "abcd_x");
}

} // namespace
} // namespace strata::frontend
