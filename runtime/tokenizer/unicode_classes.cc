//===- unicode_classes.cc - the character classes of GPT-2's pattern ------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/tokenizer/unicode_classes.h"

namespace strata::runtime::tokenizer {

CharClass classifyCodePoint(uint32_t codePoint) {
  if (codePoint < 128)
    return detail::kAsciiClasses[codePoint];
  // The last range whose first code point is <= codePoint.
  size_t lo = 0, hi = detail::kCodePointRangeCount;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (detail::kCodePointRanges[mid].first <= codePoint)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0)
    return CharClass::kOther;
  const detail::CodePointRange &range = detail::kCodePointRanges[lo - 1];
  return codePoint <= range.last ? range.charClass : CharClass::kOther;
}

bool isValidUtf8(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    Utf8Char c = decodeUtf8(text, pos);
    if (c.codePoint == Utf8Char::kInvalidUtf8Byte)
      return false;
    pos += c.length;
  }
  return true;
}

} // namespace strata::runtime::tokenizer
