//===- pretokenizer.h - GPT-2's split of text into pieces -------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Before BPE, GPT-2 cuts text into pieces with the pattern (OpenAI gpt-2
// src/encoder.py, compiled with the Python `regex` module)
//
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// and `regex.findall`. This is that pattern written out by hand over UTF-8,
// with the same leftmost-first alternation and backtracking:
//
//  - the contractions are lowercase and use the ASCII apostrophe only;
//  - the optional leading space is U+0020 only, and it joins a following run
//    of letters, numbers or "other" characters (" hello", " 42", " ...");
//  - a run of white space followed by a non-space gives back its last
//    character, which then starts the next piece: "a   b" is "a", "  ", " b"
//    and "a\n\n b" is "a", "\n\n", " b", but "\n\nb" is "\n", "\n", "b"
//    (\s+(?!\S) needs two characters to give one back; a single one is
//    taken by the last alternative, \s+);
//  - white space at the end of the text is one piece.
//
// Every position matches one of the alternatives, so the pieces tile the
// text. Characters are classified by unicode_classes.h, which also defines
// invalid UTF-8: each invalid byte is a character of the "other" class.
//
// Usage:
//   for (size_t pos = 0; pos < text.size();) {
//     size_t end = nextPieceEnd(text, pos);
//     use(text.substr(pos, end - pos));
//     pos = end;
//   }
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_TOKENIZER_PRETOKENIZER_H
#define STRATA_RUNTIME_TOKENIZER_PRETOKENIZER_H

#include <cstddef>
#include <string_view>
#include <vector>

namespace strata::runtime::tokenizer {

/// The byte offset where the piece that starts at |pos| (< text.size())
/// ends; always > |pos|.
size_t nextPieceEnd(std::string_view text, size_t pos);

/// All pieces of |text|, in order (views into |text|).
std::vector<std::string_view> splitPieces(std::string_view text);

} // namespace strata::runtime::tokenizer

#endif // STRATA_RUNTIME_TOKENIZER_PRETOKENIZER_H
