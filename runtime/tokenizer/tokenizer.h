//===- tokenizer.h - GPT-2's byte-level BPE tokenizer -----------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// GPT-2's tokenizer, exact to OpenAI's reference (gpt-2 src/encoder.py):
//
//  1. the text is cut into pieces by GPT-2's pattern (pretokenizer.h);
//  2. each piece's UTF-8 bytes are the initial symbols (encoder.json spells
//     byte b as the character bytes_to_unicode()[b]; Strata keeps raw
//     bytes and converts the files' spelling once, at load);
//  3. BPE: while some adjacent pair of symbols is in vocab.bpe, every
//     occurrence of the pair of lowest rank (line in vocab.bpe) is merged,
//     left to right;
//  4. each resulting symbol is looked up in encoder.json.
//
// decode() concatenates the bytes of the ids, so decode(encode(s)) == s for
// every byte string s. Text that is not valid UTF-8 is encoded too: each
// invalid byte is a character of the "other" class (unicode_classes.h),
// which matches the reference applied to
// `s.decode("utf-8", "surrogateescape")`. The reference itself only takes
// str; Strata never rejects or replaces bytes, so the round trip is exact for
// any file. decode() of arbitrary ids may produce invalid UTF-8; it returns
// bytes and never replaces them.
//
// "<|endoftext|>" (id 50256) in the text is plain text ("<", "|",
// "endoftext", "|", ">") unless EncodeOptions::allowEndOfText is set; then
// each occurrence is the special id and the text between occurrences is
// encoded on its own (as tiktoken's allowed_special and Hugging Face's added
// tokens do).
//
// Thread safety: a Tokenizer is immutable after load; copies share its
// tables. An EncodeCache belongs to one thread at a time.
//
// Usage:
//   STRATA_ASSIGN_OR_RETURN(Tokenizer tok,
//                           Tokenizer::load("data/gpt2-tokenizer"));
//   std::vector<int32_t> ids = tok.encode("Hello world"); // {15496, 995}
//   STRATA_ASSIGN_OR_RETURN(std::string text, tok.decode(ids));
//   STRATA_ASSIGN_OR_RETURN(std::vector<int32_t> corpus,
//                           tok.encodeFile("moby-dick.txt"));
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_TOKENIZER_TOKENIZER_H
#define STRATA_RUNTIME_TOKENIZER_TOKENIZER_H

#include "runtime/support/status.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata::runtime::tokenizer {

/// The special token GPT-2 puts between documents.
inline constexpr std::string_view kEndOfText = "<|endoftext|>";

struct EncodeOptions {
  /// Encode each "<|endoftext|>" in the text as the special token instead of
  /// as the text it spells.
  bool allowEndOfText = false;
};

namespace detail {
struct Vocabulary;
} // namespace detail

/// The ids of pieces already encoded, so that each distinct piece goes
/// through BPE once (the reference's `self.cache`), plus scratch memory.
/// Reuse one across encode() calls on one thread; not thread-safe. When its
/// pieces take more than |maxBytes| it starts over empty.
class EncodeCache {
public:
  explicit EncodeCache(size_t maxBytes = size_t(256) << 20);
  ~EncodeCache();
  EncodeCache(EncodeCache &&) noexcept;
  EncodeCache &operator=(EncodeCache &&) noexcept;

  /// The number of pieces held.
  size_t size() const;
  void clear();

  struct State; // opaque, defined in tokenizer.cc

private:
  friend class Tokenizer;
  std::unique_ptr<State> state_;
};

class Tokenizer {
public:
  /// Loads `<directory>/encoder.json` and `<directory>/vocab.bpe`.
  static StatusOr<Tokenizer> load(const std::string &directory);
  /// Loads the two files from their paths.
  static StatusOr<Tokenizer> loadFiles(const std::string &encoderJsonPath,
                                       const std::string &vocabBpePath);
  /// Builds a tokenizer from the files' contents; the names prefix messages.
  /// Errors (kDataLoss), each naming the file, the line or token and the
  /// values at fault: malformed JSON, duplicate tokens, ids that are not
  /// exactly 0..N-1, characters outside GPT-2's byte alphabet, a missing
  /// single-byte token or "<|endoftext|>", a vocab.bpe line that is not two
  /// tokens, a merge of unknown tokens or into an unknown token, a pair
  /// merged twice.
  static StatusOr<Tokenizer>
  parse(std::string_view encoderJson, std::string_view vocabBpe,
        const std::string &encoderJsonName = "encoder.json",
        const std::string &vocabBpeName = "vocab.bpe");

  /// The number of ids (50257 for GPT-2): ids are 0..vocabSize()-1.
  int32_t vocabSize() const;
  /// The number of merges (lines of vocab.bpe after its header).
  size_t mergeCount() const;
  /// The id of "<|endoftext|>" (50256 for GPT-2).
  int32_t endOfTextId() const;

  /// The ids of |text|.
  std::vector<int32_t> encode(std::string_view text,
                              const EncodeOptions &options = {}) const;
  /// Appends the ids of |text| to |ids|, using and filling |cache|.
  void encode(std::string_view text, std::vector<int32_t> &ids,
              EncodeCache &cache, const EncodeOptions &options = {}) const;
  /// Reads |path| and encodes all of it (one pass, one cache). kNotFound
  /// when the file does not exist.
  StatusOr<std::vector<int32_t>>
  encodeFile(const std::string &path, const EncodeOptions &options = {}) const;

  /// Appends the BPE ids of one piece (as pretokenizer.h cuts them; any
  /// non-empty byte string works) to |ids|, without a cache.
  void encodePiece(std::string_view piece, std::vector<int32_t> &ids) const;

  /// The bytes of |ids|; kInvalidArgument naming the first id outside
  /// 0..vocabSize()-1 and its position.
  StatusOr<std::string> decode(const int32_t *ids, size_t count) const;
  StatusOr<std::string> decode(const std::vector<int32_t> &ids) const {
    return decode(ids.data(), ids.size());
  }

  /// The bytes of token |id| (raw bytes, not encoder.json's spelling);
  /// empty when |id| is out of range.
  std::string_view tokenBytes(int32_t id) const;
  /// The id of the token whose bytes are |bytes|, if there is one.
  std::optional<int32_t> tokenId(std::string_view bytes) const;

private:
  explicit Tokenizer(std::shared_ptr<const detail::Vocabulary> vocab)
      : vocab_(std::move(vocab)) {}
  void encodeSegment(std::string_view text, std::vector<int32_t> &ids,
                     EncodeCache::State &cache) const;
  std::shared_ptr<const detail::Vocabulary> vocab_;
};

/// GPT-2's bytes_to_unicode(): the code point encoder.json and vocab.bpe use
/// to spell byte |b| (printable bytes stand for themselves, the 68 others
/// for U+0100..U+0143).
uint32_t byteToCodePoint(uint8_t b);

} // namespace strata::runtime::tokenizer

#endif // STRATA_RUNTIME_TOKENIZER_TOKENIZER_H
