//===- text_stream.cc - UTF-8-safe incremental detokenization -------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/tokenizer/text_stream.h"

#include "runtime/tokenizer/tokenizer.h"

namespace strata::runtime::tokenizer {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD"; // U+FFFD

/// A lead byte's character length and the range its second byte must be in
/// (Unicode Table 3-7, "Well-Formed UTF-8 Byte Sequences"); length 0 for a
/// byte no character starts with (80..C1, F5..FF).
struct Lead {
  int length;
  uint8_t low, high;
};

Lead leadOf(uint8_t b) {
  if (b < 0x80)
    return {1, 0, 0};
  if (b >= 0xC2 && b <= 0xDF)
    return {2, 0x80, 0xBF};
  if (b == 0xE0)
    return {3, 0xA0, 0xBF}; // no overlong forms
  if (b == 0xED)
    return {3, 0x80, 0x9F}; // no surrogates
  if (b >= 0xE1 && b <= 0xEF)
    return {3, 0x80, 0xBF};
  if (b == 0xF0)
    return {4, 0x90, 0xBF}; // no overlong forms
  if (b == 0xF4)
    return {4, 0x80, 0x8F}; // nothing past U+10FFFF
  if (b >= 0xF1 && b <= 0xF3)
    return {4, 0x80, 0xBF};
  return {0, 0, 0};
}

/// Appends the valid UTF-8 of |bytes| to |out|, a U+FFFD for each maximal
/// subpart of an ill-formed sequence. The unfinished character at the end,
/// if any, is returned (not appended) when |holdTail|, else replaced.
std::string decodeInto(std::string_view bytes, bool holdTail,
                       std::string &out) {
  size_t i = 0;
  while (i < bytes.size()) {
    const auto b = static_cast<uint8_t>(bytes[i]);
    const Lead lead = leadOf(b);
    if (lead.length == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    size_t k = 1; // bytes of the character that are well formed so far
    while (k < size_t(lead.length) && i + k < bytes.size()) {
      const auto c = static_cast<uint8_t>(bytes[i + k]);
      const bool fits =
          k == 1 ? c >= lead.low && c <= lead.high : c >= 0x80 && c <= 0xBF;
      if (!fits)
        break;
      ++k;
    }
    if (k == size_t(lead.length)) {
      out.append(bytes.substr(i, k));
    } else if (i + k == bytes.size() && holdTail) {
      return std::string(bytes.substr(i)); // the next bytes may finish it
    } else {
      out += kReplacement; // the maximal subpart [i, i + k)
    }
    i += k;
  }
  return {};
}

} // namespace

std::string Utf8Stream::push(std::string_view bytes) {
  std::string out;
  if (pending_.empty()) {
    pending_ = decodeInto(bytes, /*holdTail=*/true, out);
  } else {
    const std::string joined = pending_ + std::string(bytes);
    pending_ = decodeInto(joined, /*holdTail=*/true, out);
  }
  return out;
}

std::string Utf8Stream::finish() {
  std::string out;
  decodeInto(pending_, /*holdTail=*/false, out);
  pending_.clear();
  return out;
}

std::string TextStream::push(int32_t id) {
  if (id < 0 || id >= tokenizer_->vocabSize())
    return finish() + std::string(kReplacement);
  return utf8_.push(tokenizer_->tokenBytes(id));
}

} // namespace strata::runtime::tokenizer
