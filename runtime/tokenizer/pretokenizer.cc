//===- pretokenizer.cc - GPT-2's split of text into pieces ----------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/tokenizer/pretokenizer.h"

#include "runtime/tokenizer/unicode_classes.h"

namespace strata::runtime::tokenizer {
namespace {

/// The end of the run of characters of class |cls| that starts at |pos|.
size_t runEnd(std::string_view text, size_t pos, CharClass cls) {
  while (pos < text.size()) {
    Utf8Char c = decodeUtf8(text, pos);
    if (classifyUtf8Char(c) != cls)
      break;
    pos += c.length;
  }
  return pos;
}

/// The length of the contraction ('s 't 're 've 'm 'll 'd) at |pos|, which
/// holds an apostrophe; 0 when there is none.
size_t contractionLength(std::string_view text, size_t pos) {
  if (pos + 1 >= text.size())
    return 0;
  char a = text[pos + 1];
  if (a == 's' || a == 't' || a == 'm' || a == 'd')
    return 2;
  if (pos + 2 >= text.size())
    return 0;
  char b = text[pos + 2];
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') ||
      (a == 'l' && b == 'l'))
    return 3;
  return 0;
}

} // namespace

size_t nextPieceEnd(std::string_view text, size_t pos) {
  // 's|'t|'re|'ve|'m|'ll|'d
  if (text[pos] == '\'') {
    if (size_t length = contractionLength(text, pos))
      return pos + length;
  }
  Utf8Char first = decodeUtf8(text, pos);
  CharClass cls = classifyUtf8Char(first);
  //  ?\p{L}+|  ?\p{N}+|  ?[^\s\p{L}\p{N}]+ with the space: U+0020 followed
  // by a character of one of those classes.
  if (first.codePoint == ' ' && pos + 1 < text.size()) {
    CharClass next = classifyUtf8Char(decodeUtf8(text, pos + 1));
    if (next != CharClass::kSpace)
      return runEnd(text, pos + 1, next);
  }
  // The same alternatives without the space.
  if (cls != CharClass::kSpace)
    return runEnd(text, pos + first.length, cls);
  // \s+(?!\S)|\s+ : the whole run of white space when it ends the text;
  // otherwise the run without its last character when that leaves one or
  // more; otherwise (a single white space before a non-space) that one.
  size_t end = pos + first.length;
  size_t lastStart = pos;
  while (end < text.size()) {
    Utf8Char c = decodeUtf8(text, end);
    if (classifyUtf8Char(c) != CharClass::kSpace)
      break;
    lastStart = end;
    end += c.length;
  }
  if (end < text.size() && lastStart > pos)
    return lastStart;
  return end;
}

std::vector<std::string_view> splitPieces(std::string_view text) {
  std::vector<std::string_view> pieces;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = nextPieceEnd(text, pos);
    pieces.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  return pieces;
}

} // namespace strata::runtime::tokenizer
