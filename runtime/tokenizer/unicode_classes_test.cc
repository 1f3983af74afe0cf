//===- unicode_classes_test.cc - character classes and UTF-8 -------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/tokenizer/unicode_classes.h"

#include <gtest/gtest.h>

#include <string>

namespace strata::runtime::tokenizer {
namespace {

constexpr CharClass L = CharClass::kLetter;
constexpr CharClass N = CharClass::kNumber;
constexpr CharClass S = CharClass::kSpace;
constexpr CharClass O = CharClass::kOther;

TEST(UnicodeClassesTest, Ascii) {
  for (char c = 'a'; c <= 'z'; ++c)
    EXPECT_EQ(classifyCodePoint(c), L) << c;
  for (char c = 'A'; c <= 'Z'; ++c)
    EXPECT_EQ(classifyCodePoint(c), L) << c;
  for (char c = '0'; c <= '9'; ++c)
    EXPECT_EQ(classifyCodePoint(c), N) << c;
  for (char c : std::string(" \t\n\v\f\r"))
    EXPECT_EQ(classifyCodePoint(uint8_t(c)), S) << int(c);
  // The information separators are \s for str.isspace() but not for regex.
  for (uint32_t c = 0x1C; c <= 0x1F; ++c)
    EXPECT_EQ(classifyCodePoint(c), O) << c;
  for (char c : std::string("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"))
    EXPECT_EQ(classifyCodePoint(uint8_t(c)), O) << c;
  EXPECT_EQ(classifyCodePoint(0), O);
  EXPECT_EQ(classifyCodePoint(0x7F), O);
}

TEST(UnicodeClassesTest, AllOfUnicode) {
  struct Case {
    uint32_t codePoint;
    CharClass expected;
    const char *what;
  } cases[] = {
      {0x00E9, L, "e acute"},
      {0x00AA, L, "feminine ordinal (Lo)"},
      {0x02B0, L, "modifier letter h (Lm)"},
      {0x01C5, L, "Dz digraph (Lt)"},
      {0x4E2D, L, "CJK"},
      {0x20000, L, "CJK extension B"},
      {0x0627, L, "Arabic alef"},
      {0x05D0, L, "Hebrew alef"},
      {0x0915, L, "Devanagari ka"},
      {0xAC00, L, "Hangul syllable"},
      {0x1D400, L, "mathematical bold A"},
      {0x0663, N, "Arabic-Indic three (Nd)"},
      {0x0967, N, "Devanagari one"},
      {0xFF11, N, "fullwidth one"},
      {0x00B2, N, "superscript two (No)"},
      {0x00BD, N, "one half (No)"},
      {0x216B, N, "Roman numeral twelve (Nl)"},
      {0x3007, N, "ideographic zero (Nl)"},
      {0x2460, N, "circled one"},
      {0x0085, S, "next line"},
      {0x00A0, S, "no-break space"},
      {0x1680, S, "ogham space mark"},
      {0x2000, S, "en quad"},
      {0x200A, S, "hair space"},
      {0x2028, S, "line separator"},
      {0x2029, S, "paragraph separator"},
      {0x202F, S, "narrow no-break space"},
      {0x205F, S, "medium mathematical space"},
      {0x3000, S, "ideographic space"},
      {0x200B, O, "zero width space"},
      {0xFEFF, O, "byte order mark"},
      {0x180E, O, "Mongolian vowel separator"},
      {0x0301, O, "combining acute (Mn)"},
      {0x0903, O, "Devanagari visarga (Mc)"},
      {0x20AC, O, "euro sign"},
      {0x2014, O, "em dash"},
      {0x1F40D, O, "snake emoji"},
      {0x1F3FD, O, "skin tone modifier"},
      {0x200D, O, "zero width joiner"},
      {0xE000, O, "private use"},
      {0x0378, O, "unassigned"},
      {0xFFFD, O, "replacement character"},
      {0xD800, O, "surrogate"},
      {0x10FFFF, O, "last code point"},
      {0x110000, O, "beyond Unicode"},
      {0xFFFFFFFF, O, "invalid byte marker"},
  };
  for (const Case &c : cases)
    EXPECT_EQ(classifyCodePoint(c.codePoint), c.expected) << c.what;
}

TEST(UnicodeClassesTest, TableIsSortedDisjointAndMerged) {
  ASSERT_GT(detail::kCodePointRangeCount, 500u);
  for (size_t i = 0; i < detail::kCodePointRangeCount; ++i) {
    const detail::CodePointRange &r = detail::kCodePointRanges[i];
    EXPECT_LE(r.first, r.last) << i;
    EXPECT_LE(r.last, 0x10FFFFu) << i;
    EXPECT_NE(r.charClass, O) << i;
    if (i == 0)
      continue;
    const detail::CodePointRange &prev = detail::kCodePointRanges[i - 1];
    EXPECT_LT(prev.last, r.first) << i;
    EXPECT_FALSE(prev.last + 1 == r.first && prev.charClass == r.charClass)
        << "ranges " << i - 1 << " and " << i << " should be one";
  }
  // The ASCII table agrees with the ranges.
  for (uint32_t c = 0; c < 128; ++c) {
    CharClass fromRanges = O;
    for (size_t i = 0; i < detail::kCodePointRangeCount; ++i)
      if (detail::kCodePointRanges[i].first <= c &&
          c <= detail::kCodePointRanges[i].last)
        fromRanges = detail::kCodePointRanges[i].charClass;
    EXPECT_EQ(detail::kAsciiClasses[c], fromRanges) << c;
  }
  EXPECT_NE(std::string(kUnicodeTablesSource).find("Unicode"),
            std::string::npos);
}

Utf8Char decodeAt(const std::string &bytes, size_t pos = 0) {
  return decodeUtf8(bytes, pos);
}

TEST(UnicodeClassesTest, DecodesWellFormedUtf8) {
  EXPECT_EQ(decodeAt("A").codePoint, 0x41u);
  EXPECT_EQ(decodeAt("A").length, 1u);
  EXPECT_EQ(decodeAt("\xC2\x80").codePoint, 0x80u);
  EXPECT_EQ(decodeAt("\xC3\xA9").codePoint, 0xE9u);
  EXPECT_EQ(decodeAt("\xDF\xBF").codePoint, 0x7FFu);
  EXPECT_EQ(decodeAt("\xE0\xA0\x80").codePoint, 0x800u);
  EXPECT_EQ(decodeAt("\xE4\xB8\xAD").codePoint, 0x4E2Du);
  EXPECT_EQ(decodeAt("\xE4\xB8\xAD").length, 3u);
  EXPECT_EQ(decodeAt("\xED\x9F\xBF").codePoint, 0xD7FFu);
  EXPECT_EQ(decodeAt("\xEE\x80\x80").codePoint, 0xE000u);
  EXPECT_EQ(decodeAt("\xEF\xBF\xBF").codePoint, 0xFFFFu);
  EXPECT_EQ(decodeAt("\xF0\x90\x80\x80").codePoint, 0x10000u);
  EXPECT_EQ(decodeAt("\xF0\x9F\x90\x8D").codePoint, 0x1F40Du);
  EXPECT_EQ(decodeAt("\xF0\x9F\x90\x8D").length, 4u);
  EXPECT_EQ(decodeAt("\xF4\x8F\xBF\xBF").codePoint, 0x10FFFFu);
  EXPECT_EQ(decodeAt("x\xC3\xA9", 1).codePoint, 0xE9u);
}

TEST(UnicodeClassesTest, EachByteOfAnIllFormedSequenceIsInvalid) {
  // Each starts with a byte that begins no well-formed sequence; "\x41" is
  // an ASCII "A".
  const char *illFormed[] = {
      "\x80", // a lone continuation byte
      "\xBF",
      "\xC0\xAF", // overlong two-byte (C0, C1 never appear)
      "\xC1\xBF",
      "\xE0\x80\xAF", // overlong three-byte
      "\xE0\x9F\xBF",
      "\xED\xA0\x80",     // surrogate U+D800
      "\xED\xBF\xBF",     // surrogate U+DFFF
      "\xF0\x80\x80\xAF", // overlong four-byte
      "\xF0\x8F\xBF\xBF",
      "\xF4\x90\x80\x80", // above U+10FFFF
      "\xF5\x80\x80\x80", // F5..FF never appear
      "\xFF",
      "\xC3", // truncated by the end
      "\xE4\xB8",
      "\xF0\x9F\x90",
      "\xC3\x41", // truncated by an ASCII byte
      "\xE4\xB8\x41",
      "\xE4\x41\xAD",
      "\xF0\x9F\x90\x41",
  };
  for (const char *bytes : illFormed) {
    Utf8Char c = decodeAt(bytes);
    EXPECT_EQ(c.codePoint, Utf8Char::kInvalidUtf8Byte) << bytes;
    EXPECT_EQ(c.length, 1u) << bytes;
    EXPECT_EQ(classifyUtf8Char(c), O);
    EXPECT_FALSE(isValidUtf8(bytes));
  }
  EXPECT_TRUE(isValidUtf8(""));
  EXPECT_TRUE(isValidUtf8("plain \xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x90\x8D"));
}

} // namespace
} // namespace strata::runtime::tokenizer
