//===- unicode_classes.h - character classes of GPT-2's pattern -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// GPT-2's pre-tokenizer splits text with the classes \p{L} (letters), \p{N}
// (numbers) and \s (white space) of the Python `regex` module, over all of
// Unicode. The tables behind classifyCodePoint are generated from `regex`
// itself by gen_unicode_tables.py (unicode_classes_table.cc names the
// module and Unicode version); no character of one class is in another.
//
// UTF-8 is decoded strictly (Unicode's well-formed sequences: no overlong
// forms, no surrogates, nothing above U+10FFFF). A byte that does not start a
// well-formed sequence is one "invalid byte" of its own, class kOther: this
// is what the reference does with `bytes.decode("utf-8", "surrogateescape")`,
// which turns each such byte into a lone surrogate U+DC80..U+DCFF, a
// character in none of the three classes.
//
// Usage:
//   Utf8Char c = decodeUtf8(text, pos);  // c.length bytes, >= 1
//   if (classifyUtf8Char(c) == CharClass::kLetter) ...
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_TOKENIZER_UNICODE_CLASSES_H
#define STRATA_RUNTIME_TOKENIZER_UNICODE_CLASSES_H

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace strata::runtime::tokenizer {

/// The class of a character in GPT-2's pattern. kOther is everything that is
/// neither \p{L}, \p{N} nor \s, and invalid UTF-8 bytes.
enum class CharClass : uint8_t { kOther = 0, kLetter, kNumber, kSpace };

/// "Python regex <version>, Unicode <version>": where the tables come from.
extern const char kUnicodeTablesSource[];

namespace detail {
/// A run of code points [first, last] of one class other than kOther.
struct CodePointRange {
  uint32_t first;
  uint32_t last;
  CharClass charClass;
};
extern const CharClass kAsciiClasses[128];
/// Sorted, disjoint, and adjacent ranges of one class are merged.
extern const CodePointRange kCodePointRanges[];
extern const size_t kCodePointRangeCount;
} // namespace detail

/// The class of |codePoint| (anything above U+10FFFF is kOther).
CharClass classifyCodePoint(uint32_t codePoint);

/// One decoded character: |length| bytes (1..4); |codePoint| is
/// kInvalidUtf8Byte when the byte at the position starts no well-formed
/// sequence (|length| is then 1).
struct Utf8Char {
  static constexpr uint32_t kInvalidUtf8Byte = 0xFFFFFFFFu;
  uint32_t codePoint;
  uint32_t length;
};

/// Decodes the character at byte |pos| < text.size() of |text|.
inline Utf8Char decodeUtf8(std::string_view text, size_t pos) {
  const auto *p = reinterpret_cast<const unsigned char *>(text.data()) + pos;
  size_t left = text.size() - pos;
  unsigned char b0 = p[0];
  if (b0 < 0x80)
    return {b0, 1};
  auto isCont = [](unsigned char b) { return (b & 0xC0) == 0x80; };
  const Utf8Char invalid{Utf8Char::kInvalidUtf8Byte, 1};
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (left < 2 || !isCont(p[1]))
      return invalid;
    return {(uint32_t(b0 & 0x1F) << 6) | (p[1] & 0x3F), 2};
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (left < 3 || !isCont(p[2]))
      return invalid;
    unsigned char b1 = p[1];
    // E0 A0..BF (no overlong), ED 80..9F (no surrogate), others 80..BF.
    unsigned char lo = b0 == 0xE0 ? 0xA0 : 0x80;
    unsigned char hi = b0 == 0xED ? 0x9F : 0xBF;
    if (b1 < lo || b1 > hi)
      return invalid;
    return {(uint32_t(b0 & 0x0F) << 12) | (uint32_t(b1 & 0x3F) << 6) |
                (p[2] & 0x3F),
            3};
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (left < 4 || !isCont(p[2]) || !isCont(p[3]))
      return invalid;
    unsigned char b1 = p[1];
    // F0 90..BF (no overlong), F4 80..8F (<= U+10FFFF), others 80..BF.
    unsigned char lo = b0 == 0xF0 ? 0x90 : 0x80;
    unsigned char hi = b0 == 0xF4 ? 0x8F : 0xBF;
    if (b1 < lo || b1 > hi)
      return invalid;
    return {(uint32_t(b0 & 0x07) << 18) | (uint32_t(b1 & 0x3F) << 12) |
                (uint32_t(p[2] & 0x3F) << 6) | (p[3] & 0x3F),
            4};
  }
  return invalid; // 80..C1 and F5..FF never start a character
}

/// The class of a decoded character; invalid bytes are kOther.
inline CharClass classifyUtf8Char(Utf8Char c) {
  if (c.codePoint < 128)
    return detail::kAsciiClasses[c.codePoint];
  return classifyCodePoint(c.codePoint);
}

/// True when all of |text| is well-formed UTF-8.
bool isValidUtf8(std::string_view text);

} // namespace strata::runtime::tokenizer

#endif // STRATA_RUNTIME_TOKENIZER_UNICODE_CLASSES_H
