//===- tokenizer.cc - GPT-2's byte-level BPE tokenizer --------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/tokenizer/tokenizer.h"

#include "runtime/io/file_io.h"
#include "runtime/tokenizer/pretokenizer.h"
#include "runtime/tokenizer/unicode_classes.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <unordered_map>

namespace strata::runtime::tokenizer {

using json = nlohmann::json;

//===----------------------------------------------------------------------===//
// Byte alphabet
//===----------------------------------------------------------------------===//

namespace {

/// bytes_to_unicode() and its inverse (-1: not a byte's spelling).
struct ByteAlphabet {
  std::array<uint32_t, 256> codePointOf{};
  std::array<int16_t, 324> byteOf{};

  ByteAlphabet() {
    byteOf.fill(-1);
    auto printable = [](int b) {
      return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) ||
             (b >= 0xAE && b <= 0xFF);
    };
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      codePointOf[b] = printable(b) ? uint32_t(b) : next++;
      byteOf[codePointOf[b]] = int16_t(b);
    }
  }
};

const ByteAlphabet &byteAlphabet() {
  static const ByteAlphabet alphabet;
  return alphabet;
}

/// |text| in single quotes, with bytes outside printable ASCII as \xHH.
std::string quote(std::string_view text) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "'";
  for (unsigned char c : text) {
    if (c >= 0x20 && c < 0x7F && c != '\\' && c != '\'') {
      out += char(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out + "'";
}

/// Converts a token as encoder.json and vocab.bpe spell it (UTF-8 of
/// bytes_to_unicode() characters) to its raw bytes. On failure returns false
/// and describes the fault in |why|.
bool spellingToBytes(std::string_view spelling, std::string &bytes,
                     std::string &why) {
  bytes.clear();
  if (spelling.empty()) {
    why = "is empty";
    return false;
  }
  const ByteAlphabet &alphabet = byteAlphabet();
  for (size_t pos = 0; pos < spelling.size();) {
    Utf8Char c = decodeUtf8(spelling, pos);
    if (c.codePoint == Utf8Char::kInvalidUtf8Byte) {
      why = "is not valid UTF-8";
      return false;
    }
    if (c.codePoint >= alphabet.byteOf.size() ||
        alphabet.byteOf[c.codePoint] < 0) {
      char buffer[16];
      std::snprintf(buffer, sizeof buffer, "U+%04X", c.codePoint);
      why = std::string("has the character ") + buffer +
            ", which spells no byte in GPT-2's bytes_to_unicode()";
      return false;
    }
    bytes += char(alphabet.byteOf[c.codePoint]);
    pos += c.length;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Hashing
//===----------------------------------------------------------------------===//

uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

/// A fast hash of a short byte string (never 0).
uint64_t hashBytes(std::string_view bytes) {
  uint64_t h = 0x9E3779B97F4A7C15ULL ^ bytes.size();
  const char *p = bytes.data();
  size_t left = bytes.size();
  while (left >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    h = (h ^ word) * 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 31;
    p += 8;
    left -= 8;
  }
  if (left) {
    uint64_t word = 0;
    std::memcpy(&word, p, left);
    h = (h ^ word) * 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 31;
  }
  return mix64(h) | 1;
}

} // namespace

uint32_t byteToCodePoint(uint8_t b) { return byteAlphabet().codePointOf[b]; }

//===----------------------------------------------------------------------===//
// Vocabulary
//===----------------------------------------------------------------------===//

namespace detail {

/// The merges: (left id, right id) -> (rank, merged id), open addressing.
class MergeTable {
public:
  struct Merge {
    uint32_t rank;
    int32_t merged;
  };

  void reserve(size_t count) {
    size_t capacity = 16;
    while (capacity < 2 * count)
      capacity *= 2;
    slots_.assign(capacity, Slot{kEmpty, {0, 0}});
    mask_ = capacity - 1;
  }

  /// False when the pair is already there.
  bool insert(int32_t left, int32_t right, Merge merge) {
    uint64_t key = keyOf(left, right);
    for (size_t i = mix64(key) & mask_;; i = (i + 1) & mask_) {
      if (slots_[i].key == key)
        return false;
      if (slots_[i].key == kEmpty) {
        slots_[i] = Slot{key, merge};
        return true;
      }
    }
  }

  const Merge *find(int32_t left, int32_t right) const {
    uint64_t key = keyOf(left, right);
    for (size_t i = mix64(key) & mask_;; i = (i + 1) & mask_) {
      if (slots_[i].key == key)
        return &slots_[i].merge;
      if (slots_[i].key == kEmpty)
        return nullptr;
    }
  }

private:
  static constexpr uint64_t kEmpty = ~uint64_t(0);
  static uint64_t keyOf(int32_t left, int32_t right) {
    return (uint64_t(uint32_t(left)) << 32) | uint32_t(right);
  }
  struct Slot {
    uint64_t key;
    Merge merge;
  };
  std::vector<Slot> slots_;
  size_t mask_ = 0;
};

struct Vocabulary {
  std::string tokenData;            // the bytes of every token, by id
  std::vector<uint32_t> tokenStart; // token id's bytes start; size N + 1
  std::unordered_map<std::string, int32_t> idOf;
  std::array<int32_t, 256> byteToken{};
  MergeTable merges;
  size_t mergeCount = 0;
  int32_t endOfText = -1;

  std::string_view bytesOf(int32_t id) const {
    return std::string_view(tokenData).substr(
        tokenStart[id], tokenStart[id + 1] - tokenStart[id]);
  }
};

} // namespace detail

namespace {

using detail::Vocabulary;

/// Reads encoder.json as a stream of SAX events: one object whose members
/// are token -> id, nothing else.
class EncoderJsonReader {
public:
  explicit EncoderJsonReader(const std::string &file) : file_(file) {}

  std::vector<std::pair<std::string, int64_t>> entries;
  Status error = Status::ok();

  bool null() { return wrongValue("null"); }
  bool boolean(bool) { return wrongValue("a boolean"); }
  bool number_integer(json::number_integer_t value) { return id(value); }
  bool number_unsigned(json::number_unsigned_t value) {
    return id(value > uint64_t(INT64_MAX) ? INT64_MAX : int64_t(value));
  }
  bool number_float(json::number_float_t, const json::string_t &text) {
    return wrongValue("the number " + text);
  }
  bool string(json::string_t &) { return wrongValue("a string"); }
  bool binary(json::binary_t &) { return wrongValue("binary data"); }
  bool start_object(std::size_t) {
    if (depth_++ == 0)
      return true;
    return wrongValue("an object");
  }
  bool key(json::string_t &key) {
    key_ = key;
    return true;
  }
  bool end_object() {
    --depth_;
    return true;
  }
  bool start_array(std::size_t) {
    if (depth_ == 0)
      return fail("must be a JSON object of token -> id, got an array");
    return wrongValue("an array");
  }
  bool end_array() { return true; }
  bool parse_error(std::size_t, const std::string &,
                   const nlohmann::detail::exception &ex) {
    return fail(std::string("is not valid JSON: ") + ex.what());
  }

private:
  bool fail(const std::string &message) {
    error = Status::dataLoss(file_ + ": " + message);
    return false;
  }
  bool wrongValue(const std::string &what) {
    if (depth_ == 0)
      return fail("must be a JSON object of token -> id, got " + what);
    return fail("token " + quote(key_) + " has " + what +
                " where an id (an integer) belongs");
  }
  bool id(int64_t value) {
    if (depth_ == 0)
      return fail("must be a JSON object of token -> id, got a number");
    entries.emplace_back(key_, value);
    return true;
  }

  const std::string &file_;
  std::string key_;
  int depth_ = 0;
};

Status parseEncoderJson(std::string_view text, const std::string &file,
                        Vocabulary &vocab) {
  EncoderJsonReader reader(file);
  bool ok = json::sax_parse(text.begin(), text.end(), &reader);
  if (!reader.error.isOk())
    return reader.error;
  if (!ok)
    return Status::dataLoss(file + ": is not valid JSON");
  auto &entries = reader.entries;
  if (entries.empty())
    return Status::dataLoss(file + ": has no tokens");
  if (entries.size() > size_t(INT32_MAX))
    return Status::dataLoss(file + ": has " + std::to_string(entries.size()) +
                            " tokens, more than ids can number");
  const int64_t count = int64_t(entries.size());

  // Ids must be exactly 0..count-1 so that decoding is a table lookup.
  std::vector<int64_t> entryOfId(count, -1);
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto &[spelling, id] = entries[i];
    if (id < 0 || id >= count)
      return Status::dataLoss(file + ": token " + quote(spelling) +
                              " has the id " + std::to_string(id) +
                              ", outside 0.." + std::to_string(count - 1) +
                              " (ids must number the " + std::to_string(count) +
                              " tokens without gaps)");
    if (entryOfId[id] >= 0) {
      const std::string &other = entries[entryOfId[id]].first;
      if (other == spelling)
        return Status::dataLoss(file + ": token " + quote(spelling) +
                                " appears more than once");
      return Status::dataLoss(file + ": tokens " + quote(other) + " and " +
                              quote(spelling) + " have the same id " +
                              std::to_string(id));
    }
    entryOfId[id] = int64_t(i);
  }

  vocab.tokenStart.reserve(count + 1);
  vocab.idOf.reserve(count);
  std::string bytes, why;
  for (int64_t id = 0; id < count; ++id) {
    const std::string &spelling = entries[entryOfId[id]].first;
    if (!spellingToBytes(spelling, bytes, why))
      return Status::dataLoss(file + ": token " + quote(spelling) + " (id " +
                              std::to_string(id) + ") " + why);
    vocab.tokenStart.push_back(uint32_t(vocab.tokenData.size()));
    vocab.tokenData += bytes;
    if (!vocab.idOf.emplace(bytes, int32_t(id)).second)
      return Status::dataLoss(file + ": token " + quote(spelling) +
                              " appears more than once");
  }
  vocab.tokenStart.push_back(uint32_t(vocab.tokenData.size()));

  const ByteAlphabet &alphabet = byteAlphabet();
  for (int b = 0; b < 256; ++b) {
    auto it = vocab.idOf.find(std::string(1, char(b)));
    if (it == vocab.idOf.end()) {
      char buffer[48];
      std::snprintf(buffer, sizeof buffer, "0x%02X (spelled U+%04X)", b,
                    alphabet.codePointOf[b]);
      return Status::dataLoss(file + ": has no token for the byte " + buffer +
                              "; every byte needs one");
    }
    vocab.byteToken[b] = it->second;
  }
  auto eot = vocab.idOf.find(std::string(kEndOfText));
  if (eot == vocab.idOf.end())
    return Status::dataLoss(file + ": has no token " + quote(kEndOfText));
  vocab.endOfText = eot->second;
  return Status::ok();
}

Status parseVocabBpe(std::string_view text, const std::string &file,
                     Vocabulary &vocab) {
  // Count the lines first, to size the merge table.
  size_t lines = size_t(std::count(text.begin(), text.end(), '\n')) + 1;
  vocab.merges.reserve(lines);
  std::string left, right, why;
  size_t lineNumber = 0;
  uint32_t rank = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos)
      end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++lineNumber;
    auto where = [&] {
      return file + ": line " + std::to_string(lineNumber) + " " + quote(line) +
             ": ";
    };
    // The reference skips the first line ("#version: 0.2") unconditionally;
    // Strata skips it when it is a comment and reads it as a merge
    // otherwise. Empty lines carry nothing (the reference drops the one
    // after the last newline).
    if (lineNumber == 1 && !line.empty() && line[0] == '#')
      continue;
    if (line.empty())
      continue;
    size_t space = line.find(' ');
    if (space == std::string_view::npos || space == 0 ||
        space + 1 == line.size() ||
        line.find(' ', space + 1) != std::string_view::npos)
      return Status::dataLoss(where() +
                              "a merge is two tokens separated by one space");
    std::string_view leftSpelling = line.substr(0, space);
    std::string_view rightSpelling = line.substr(space + 1);
    if (!spellingToBytes(leftSpelling, left, why))
      return Status::dataLoss(where() + "token " + quote(leftSpelling) + " " +
                              why);
    if (!spellingToBytes(rightSpelling, right, why))
      return Status::dataLoss(where() + "token " + quote(rightSpelling) + " " +
                              why);
    auto leftId = vocab.idOf.find(left);
    auto rightId = vocab.idOf.find(right);
    auto mergedId = vocab.idOf.find(left + right);
    if (leftId == vocab.idOf.end())
      return Status::dataLoss(where() + "token " + quote(leftSpelling) +
                              " is not in encoder.json");
    if (rightId == vocab.idOf.end())
      return Status::dataLoss(where() + "token " + quote(rightSpelling) +
                              " is not in encoder.json");
    if (mergedId == vocab.idOf.end())
      return Status::dataLoss(
          where() + "the merged token " +
          quote(std::string(leftSpelling) + std::string(rightSpelling)) +
          " is not in encoder.json");
    if (!vocab.merges.insert(leftId->second, rightId->second,
                             {rank, mergedId->second}))
      return Status::dataLoss(where() + "the pair is merged twice");
    ++rank;
  }
  vocab.mergeCount = rank;
  return Status::ok();
}

} // namespace

//===----------------------------------------------------------------------===//
// EncodeCache
//===----------------------------------------------------------------------===//

struct EncodeCache::State {
  explicit State(size_t limit) : maxBytes(limit) { clear(); }

  /// One cached piece: its bytes in |keys|, its ids in |ids|.
  struct Slot {
    uint64_t hash = 0; // 0: empty
    uint32_t keyStart = 0;
    uint32_t keyLength = 0;
    uint32_t idStart = 0;
    uint32_t idCount = 0;
  };

  /// Pieces longer than this are encoded without the cache.
  static constexpr size_t kMaxPieceBytes = 4096;

  size_t maxBytes;
  std::vector<Slot> slots;
  size_t used = 0;
  std::string keys;
  std::vector<int32_t> ids;

  // BPE scratch.
  struct Symbol {
    int32_t id;
    int32_t prev;
    int32_t next;
  };
  struct Candidate {
    uint32_t rank;
    int32_t pos;
    int32_t left;
    int32_t right;
    int32_t merged;
  };
  std::vector<Symbol> symbols;
  std::vector<Candidate> heap;
  std::vector<Candidate> batch;

  void clear() {
    slots.clear();
    used = 0;
    keys.clear();
    ids.clear();
  }

  const Slot *find(std::string_view piece, uint64_t hash) const {
    if (slots.empty())
      return nullptr;
    size_t mask = slots.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot &slot = slots[i];
      if (slot.hash == 0)
        return nullptr;
      if (slot.hash == hash && slot.keyLength == piece.size() &&
          std::memcmp(keys.data() + slot.keyStart, piece.data(),
                      piece.size()) == 0)
        return &slot;
    }
  }

  void insert(std::string_view piece, uint64_t hash, const int32_t *pieceIds,
              size_t count) {
    if (keys.size() + piece.size() + 4 * (ids.size() + count) > maxBytes)
      clear();
    if (slots.empty())
      slots.assign(1 << 12, Slot{});
    else if (2 * (used + 1) > slots.size())
      grow();
    Slot slot{hash, uint32_t(keys.size()), uint32_t(piece.size()),
              uint32_t(ids.size()), uint32_t(count)};
    keys.append(piece.data(), piece.size());
    ids.insert(ids.end(), pieceIds, pieceIds + count);
    place(slot);
    ++used;
  }

private:
  void place(const Slot &slot) {
    size_t mask = slots.size() - 1;
    size_t i = slot.hash & mask;
    while (slots[i].hash != 0)
      i = (i + 1) & mask;
    slots[i] = slot;
  }
  void grow() {
    std::vector<Slot> old = std::move(slots);
    slots.assign(old.size() * 2, Slot{});
    for (const Slot &slot : old)
      if (slot.hash != 0)
        place(slot);
  }
};

EncodeCache::EncodeCache(size_t maxBytes)
    : state_(std::make_unique<State>(maxBytes)) {}
EncodeCache::~EncodeCache() = default;
EncodeCache::EncodeCache(EncodeCache &&) noexcept = default;
EncodeCache &EncodeCache::operator=(EncodeCache &&) noexcept = default;
size_t EncodeCache::size() const { return state_->used; }
void EncodeCache::clear() { state_->clear(); }

//===----------------------------------------------------------------------===//
// Tokenizer
//===----------------------------------------------------------------------===//

namespace {

/// BPE of |piece| (at least 2 bytes) into |out|, exactly as the reference:
/// each round takes the pair of lowest rank present anywhere in the word
/// and merges all its occurrences left to right, then looks again. A heap of
/// candidate pairs (rank, position) makes this O(n log n) instead of the
/// reference's O(n^2) per word; candidates whose symbols have changed since
/// they were pushed are skipped when popped.
void bytePairEncode(const Vocabulary &vocab, std::string_view piece,
                    EncodeCache::State &scratch, std::vector<int32_t> &out) {
  using Symbol = EncodeCache::State::Symbol;
  using Candidate = EncodeCache::State::Candidate;
  auto &symbols = scratch.symbols;
  auto &heap = scratch.heap;
  auto &batch = scratch.batch;
  const int32_t n = int32_t(piece.size());
  symbols.resize(n);
  for (int32_t i = 0; i < n; ++i)
    symbols[i] = Symbol{vocab.byteToken[uint8_t(piece[i])], i - 1,
                        i + 1 < n ? i + 1 : -1};

  // Min-heap on (rank, position).
  auto later = [](const Candidate &a, const Candidate &b) {
    return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
  };
  auto consider = [&](int32_t pos) {
    int32_t next = symbols[pos].next;
    if (next < 0)
      return;
    int32_t left = symbols[pos].id, right = symbols[next].id;
    if (const auto *merge = vocab.merges.find(left, right)) {
      heap.push_back(Candidate{merge->rank, pos, left, right, merge->merged});
      std::push_heap(heap.begin(), heap.end(), later);
    }
  };
  heap.clear();
  for (int32_t i = 0; i + 1 < n; ++i)
    consider(i);

  while (!heap.empty()) {
    // One round: every occurrence of the lowest-ranked pair, left to right.
    // Merging never creates a pair of the same rank (the merged token is
    // longer than either half), so the round is exactly the heap entries
    // of this rank.
    const uint32_t rank = heap.front().rank;
    batch.clear();
    while (!heap.empty() && heap.front().rank == rank) {
      std::pop_heap(heap.begin(), heap.end(), later);
      batch.push_back(heap.back());
      heap.pop_back();
    }
    for (const Candidate &c : batch) {
      Symbol &s = symbols[c.pos];
      if (s.id != c.left || s.next < 0 || symbols[s.next].id != c.right)
        continue; // stale: a symbol of the pair has merged since
      Symbol &t = symbols[s.next];
      s.id = c.merged;
      s.next = t.next;
      if (t.next >= 0)
        symbols[t.next].prev = c.pos;
      t.id = -1;
      if (s.prev >= 0)
        consider(s.prev);
      consider(c.pos);
    }
  }
  for (int32_t pos = 0; pos >= 0; pos = symbols[pos].next)
    out.push_back(symbols[pos].id);
}

} // namespace

StatusOr<Tokenizer> Tokenizer::parse(std::string_view encoderJson,
                                     std::string_view vocabBpe,
                                     const std::string &encoderJsonName,
                                     const std::string &vocabBpeName) {
  auto vocab = std::make_shared<Vocabulary>();
  STRATA_RETURN_IF_ERROR(
      parseEncoderJson(encoderJson, encoderJsonName, *vocab));
  STRATA_RETURN_IF_ERROR(parseVocabBpe(vocabBpe, vocabBpeName, *vocab));
  return Tokenizer(std::move(vocab));
}

StatusOr<Tokenizer> Tokenizer::loadFiles(const std::string &encoderJsonPath,
                                         const std::string &vocabBpePath) {
  STRATA_ASSIGN_OR_RETURN(std::vector<uint8_t> encoderJson,
                          io::readWholeFile(encoderJsonPath));
  STRATA_ASSIGN_OR_RETURN(std::vector<uint8_t> vocabBpe,
                          io::readWholeFile(vocabBpePath));
  return parse(
      std::string_view(reinterpret_cast<const char *>(encoderJson.data()),
                       encoderJson.size()),
      std::string_view(reinterpret_cast<const char *>(vocabBpe.data()),
                       vocabBpe.size()),
      encoderJsonPath, vocabBpePath);
}

StatusOr<Tokenizer> Tokenizer::load(const std::string &directory) {
  return loadFiles(directory + "/encoder.json", directory + "/vocab.bpe");
}

int32_t Tokenizer::vocabSize() const {
  return int32_t(vocab_->tokenStart.size() - 1);
}
size_t Tokenizer::mergeCount() const { return vocab_->mergeCount; }
int32_t Tokenizer::endOfTextId() const { return vocab_->endOfText; }

void Tokenizer::encodePiece(std::string_view piece,
                            std::vector<int32_t> &ids) const {
  if (piece.empty())
    return;
  if (piece.size() == 1) {
    ids.push_back(vocab_->byteToken[uint8_t(piece[0])]);
    return;
  }
  EncodeCache::State scratch(0);
  bytePairEncode(*vocab_, piece, scratch, ids);
}

void Tokenizer::encodeSegment(std::string_view text, std::vector<int32_t> &ids,
                              EncodeCache::State &cache) const {
  const Vocabulary &vocab = *vocab_;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = nextPieceEnd(text, pos);
    std::string_view piece = text.substr(pos, end - pos);
    pos = end;
    if (piece.size() == 1) {
      ids.push_back(vocab.byteToken[uint8_t(piece[0])]);
      continue;
    }
    if (piece.size() > EncodeCache::State::kMaxPieceBytes) {
      bytePairEncode(vocab, piece, cache, ids);
      continue;
    }
    uint64_t hash = hashBytes(piece);
    if (const auto *slot = cache.find(piece, hash)) {
      const int32_t *cached = cache.ids.data() + slot->idStart;
      ids.insert(ids.end(), cached, cached + slot->idCount);
      continue;
    }
    size_t first = ids.size();
    bytePairEncode(vocab, piece, cache, ids);
    cache.insert(piece, hash, ids.data() + first, ids.size() - first);
  }
}

void Tokenizer::encode(std::string_view text, std::vector<int32_t> &ids,
                       EncodeCache &cache, const EncodeOptions &options) const {
  if (!options.allowEndOfText) {
    encodeSegment(text, ids, *cache.state_);
    return;
  }
  for (size_t pos = 0;;) {
    size_t special = text.find(kEndOfText, pos);
    if (special == std::string_view::npos) {
      encodeSegment(text.substr(pos), ids, *cache.state_);
      return;
    }
    encodeSegment(text.substr(pos, special - pos), ids, *cache.state_);
    ids.push_back(vocab_->endOfText);
    pos = special + kEndOfText.size();
  }
}

std::vector<int32_t> Tokenizer::encode(std::string_view text,
                                       const EncodeOptions &options) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 4 + 16);
  EncodeCache cache;
  encode(text, ids, cache, options);
  return ids;
}

StatusOr<std::vector<int32_t>>
Tokenizer::encodeFile(const std::string &path,
                      const EncodeOptions &options) const {
  STRATA_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, io::readWholeFile(path));
  return encode(std::string_view(reinterpret_cast<const char *>(bytes.data()),
                                 bytes.size()),
                options);
}

StatusOr<std::string> Tokenizer::decode(const int32_t *ids,
                                        size_t count) const {
  const Vocabulary &vocab = *vocab_;
  const int32_t size = vocabSize();
  size_t total = 0;
  for (size_t i = 0; i < count; ++i) {
    if (ids[i] < 0 || ids[i] >= size)
      return Status::invalidArgument("token id " + std::to_string(ids[i]) +
                                     " at position " + std::to_string(i) +
                                     " is outside the vocabulary 0.." +
                                     std::to_string(size - 1));
    total += vocab.tokenStart[ids[i] + 1] - vocab.tokenStart[ids[i]];
  }
  std::string text;
  text.reserve(total);
  for (size_t i = 0; i < count; ++i)
    text += vocab.bytesOf(ids[i]);
  return text;
}

std::string_view Tokenizer::tokenBytes(int32_t id) const {
  if (id < 0 || id >= vocabSize())
    return {};
  return vocab_->bytesOf(id);
}

std::optional<int32_t> Tokenizer::tokenId(std::string_view bytes) const {
  auto it = vocab_->idOf.find(std::string(bytes));
  if (it == vocab_->idOf.end())
    return std::nullopt;
  return it->second;
}

} // namespace strata::runtime::tokenizer
