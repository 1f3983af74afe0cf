//===- pretokenizer_test.cc - GPT-2's split of text into pieces -----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Expected pieces are what `regex.findall` gives for GPT-2's pattern
// (tests/tokenizer/reference_encoder.py); the ctest
// tokenizer.reference-test-set compares many more strings against it live.
//
//===----------------------------------------------------------------------===//
#include "runtime/tokenizer/pretokenizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace strata::runtime::tokenizer {
namespace {

using Pieces = std::vector<std::string>;

Pieces split(const std::string &text) {
  Pieces out;
  for (std::string_view piece : splitPieces(text))
    out.emplace_back(piece);
  return out;
}

TEST(PretokenizerTest, WordsTakeTheirLeadingSpace) {
  EXPECT_EQ(split("Hello world"), (Pieces{"Hello", " world"}));
  EXPECT_EQ(split(" the"), (Pieces{" the"}));
  EXPECT_EQ(split(""), Pieces{});
  EXPECT_EQ(split("a"), (Pieces{"a"}));
}

TEST(PretokenizerTest, Contractions) {
  EXPECT_EQ(split("it's don't we're they've I'm we'll he'd"),
            (Pieces{"it", "'s", " don", "'t", " we", "'re", " they", "'ve",
                    " I", "'m", " we", "'ll", " he", "'d"}));
  // Uppercase is not a contraction; apostrophes run with punctuation; a
  // contraction is found even at the start of a longer word.
  EXPECT_EQ(split("IT'S x''s 'salt"),
            (Pieces{"IT", "'", "S", " x", "''", "s", " '", "salt"}));
  EXPECT_EQ(split("'ll'd're"), (Pieces{"'ll", "'d", "'re"}));
  EXPECT_EQ(split("'r 'l"), (Pieces{"'", "r", " '", "l"}));
  EXPECT_EQ(split("'"), (Pieces{"'"}));
  // The typographic apostrophe is only punctuation.
  EXPECT_EQ(split("it\u2019s"), (Pieces{"it", "\u2019", "s"}));
}

TEST(PretokenizerTest, RunsOfSpacesGiveBackTheirLastCharacter) {
  EXPECT_EQ(split("a   b"), (Pieces{"a", "  ", " b"}));
  EXPECT_EQ(split("  a"), (Pieces{" ", " a"}));
  EXPECT_EQ(split("a\n\n b"), (Pieces{"a", "\n\n", " b"}));
  // A single white space before a non-space is a piece of its own (unless
  // it is U+0020, which joins the word).
  EXPECT_EQ(split("\n\nb"), (Pieces{"\n", "\n", "b"}));
  EXPECT_EQ(split("x \t\ny"), (Pieces{"x", " \t", "\n", "y"}));
  EXPECT_EQ(split("a\r\nb"), (Pieces{"a", "\r", "\n", "b"}));
  // White space at the end is one piece.
  EXPECT_EQ(split("a  \n\n"), (Pieces{"a", "  \n\n"}));
  EXPECT_EQ(split("a\n"), (Pieces{"a", "\n"}));
  EXPECT_EQ(split(" "), (Pieces{" "}));
  EXPECT_EQ(split("     "), (Pieces{"     "}));
}

TEST(PretokenizerTest, UnicodeWhiteSpace) {
  // Only U+0020 joins a following word.
  EXPECT_EQ(split("a\u00a0b"), (Pieces{"a", "\u00a0", "b"}));
  EXPECT_EQ(split("a \u00a0b"), (Pieces{"a", " ", "\u00a0", "b"}));
  EXPECT_EQ(split("\u3000\u3000x"), (Pieces{"\u3000", "\u3000", "x"}));
  EXPECT_EQ(split("a\u2028\u2028b"), (Pieces{"a", "\u2028", "\u2028", "b"}));
  EXPECT_EQ(split("a\u2003\u2003 b"), (Pieces{"a", "\u2003\u2003", " b"}));
  // Not white space for regex: zero width space, the separators 1C..1F.
  EXPECT_EQ(split("a\u200bb"), (Pieces{"a", "\u200b", "b"}));
  EXPECT_EQ(split("a\x1c\x1f b"), (Pieces{"a", "\x1c\x1f", " b"}));
}

TEST(PretokenizerTest, NumbersAndPunctuation) {
  EXPECT_EQ(split("3.14 1234567 x42"),
            (Pieces{"3", ".", "14", " 1234567", " x", "42"}));
  EXPECT_EQ(split(" 42"), (Pieces{" 42"}));
  EXPECT_EQ(split(" ..."), (Pieces{" ..."}));
  EXPECT_EQ(split("?!?! ..a"), (Pieces{"?!?!", " ..", "a"}));
  // Other scripts' digits, fractions, superscripts and Roman numerals are
  // \p{N}.
  EXPECT_EQ(split("\u2168\u00bd\u00b2x"), (Pieces{"\u2168\u00bd\u00b2", "x"}));
  EXPECT_EQ(split("\u0645\u0631\u062d\u0628\u0627 \u0662\u0660\u0662"),
            (Pieces{"\u0645\u0631\u062d\u0628\u0627", " \u0662\u0660\u0662"}));
}

TEST(PretokenizerTest, ScriptsEmojiAndCombiningMarks) {
  EXPECT_EQ(split("\u4e2d\u6587\uff0c\u4e16\u754c\uff01"),
            (Pieces{"\u4e2d\u6587", "\uff0c", "\u4e16\u754c", "\uff01"}));
  EXPECT_EQ(split("\U0001f40d\U0001f680 a\U0001f642b"),
            (Pieces{"\U0001f40d\U0001f680", " a", "\U0001f642", "b"}));
  // Combining marks are not \p{L}: a decomposed accent splits the word.
  EXPECT_EQ(split("e\u0301 \u0301a"), (Pieces{"e", "\u0301", " \u0301", "a"}));
  EXPECT_EQ(split("\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440"),
            (Pieces{"\u041f\u0440\u0438\u0432\u0435\u0442", ",",
                    " \u043c\u0438\u0440"}));
}

TEST(PretokenizerTest, InvalidBytesAreOtherCharacters) {
  EXPECT_EQ(split(std::string("ab\x80\x81 \xff") + "cd"),
            (Pieces{"ab", "\x80\x81", " \xff", "cd"}));
  EXPECT_EQ(split("\xe2\x82 x"), (Pieces{"\xe2\x82", " x"}));
  // A truncated sequence does not swallow the ASCII byte after it.
  EXPECT_EQ(split(std::string("\xe4\xb8") + "a"), (Pieces{"\xe4\xb8", "a"}));
}

TEST(PretokenizerTest, PiecesTileTheText) {
  std::string text;
  for (int i = 0; i < 4000; ++i)
    text += char((i * 7919 + i / 13) & 0xFF);
  size_t total = 0;
  for (std::string_view piece : splitPieces(text)) {
    ASSERT_FALSE(piece.empty());
    ASSERT_EQ(piece.data(), text.data() + total);
    total += piece.size();
  }
  EXPECT_EQ(total, text.size());
}

} // namespace
} // namespace strata::runtime::tokenizer
