//===- text_stream.h - UTF-8-safe incremental detokenization ----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// GPT-2's byte-level BPE tokens are byte strings: one token can end in the
// middle of a UTF-8 character ("🙂" is F0 9F 99 82, often two tokens), and
// arbitrary ids can make bytes that are no UTF-8 at all. A TextStream turns
// tokens, as they are generated, into text that is always valid UTF-8:
//
//  - push() returns the text the token completes; the bytes of a character
//    still unfinished (at most 3) wait for the next token;
//  - bytes that can never start or continue a character come out as U+FFFD,
//    one per maximal subpart of an ill-formed sequence (Unicode 15, §3.9
//    "U+FFFD Substitution of Maximal Subparts"; what Python's
//    bytes.decode("utf-8", "replace") does): overlong forms (C0 AF -> 2),
//    surrogates (ED A0 80 -> 3), code points past U+10FFFF (F4 90 80 80 -> 4),
//    a lead byte cut short by another (F0 9F 41 -> U+FFFD "A");
//  - finish() returns what is left: an unfinished character at the end is
//    one U+FFFD. The stream is then empty and can be reused.
//
// So the concatenation of every push() and the finish() is exactly
// decode(all ids) passed through bytes.decode("utf-8", "replace"), however
// the bytes were split into tokens. An id outside the vocabulary (no bytes)
// ends an unfinished character (U+FFFD) and is itself one U+FFFD.
//
// Not thread-safe; one stream per generated sequence. The tokenizer must
// outlive the stream.
//
// Usage (streaming a completion):
//   TextStream text(tokenizer);
//   for (int32_t id : generatedIds) send(text.push(id));  // maybe ""
//   send(text.finish());
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_TOKENIZER_TEXT_STREAM_H
#define STRATA_RUNTIME_TOKENIZER_TEXT_STREAM_H

#include <cstdint>
#include <string>
#include <string_view>

namespace strata::runtime::tokenizer {

class Tokenizer;

/// Bytes in, valid UTF-8 out, with the rules above; no tokenizer needed.
class Utf8Stream {
public:
  /// The text |bytes| complete (after the bytes held from earlier calls).
  std::string push(std::string_view bytes);
  /// The held bytes of an unfinished character as one U+FFFD ("" when none).
  std::string finish();

private:
  std::string pending_; // a proper prefix of a well-formed character
};

/// Token ids in, valid UTF-8 out.
class TextStream {
public:
  explicit TextStream(const Tokenizer &tokenizer) : tokenizer_(&tokenizer) {}
  /// The text token |id| completes.
  std::string push(int32_t id);
  /// The rest (see Utf8Stream::finish).
  std::string finish() { return utf8_.finish(); }

private:
  const Tokenizer *tokenizer_;
  Utf8Stream utf8_;
};

} // namespace strata::runtime::tokenizer

#endif // STRATA_RUNTIME_TOKENIZER_TEXT_STREAM_H
