//===- Vocabulary.cpp - Tokenizer vocabulary and embedding padding -------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The JSON reader only counts the top-level members of an object; values
// are skipped with an explicit stack, so deep nesting cannot overflow the
// call stack.
//
//===----------------------------------------------------------------------===//
#include "frontends/model/Vocabulary.h"

#include "frontends/model/ScalarValues.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace strata::frontend {

//===----------------------------------------------------------------------===//
// JSON member counting
//===----------------------------------------------------------------------===//

namespace {

class JsonScanner {
public:
  explicit JsonScanner(std::string_view text) : text(text) {}

  std::optional<int64_t> countMembers(std::string &error) {
    skipSpace();
    if (!consume('{'))
      return fail(error, "expected '{'");
    int64_t count = 0;
    skipSpace();
    if (!consume('}')) {
      while (true) {
        skipSpace();
        if (!skipString())
          return fail(error, "expected a string key");
        skipSpace();
        if (!consume(':'))
          return fail(error, "expected ':'");
        skipSpace();
        if (!skipValue())
          return fail(error, "invalid value");
        ++count;
        skipSpace();
        if (consume(','))
          continue;
        if (consume('}'))
          break;
        return fail(error, "expected ',' or '}'");
      }
    }
    skipSpace();
    if (pos != text.size())
      return fail(error, "unexpected text after the object");
    return count;
  }

private:
  std::optional<int64_t> fail(std::string &error, const char *what) const {
    error = std::string(what) + " at byte " + std::to_string(pos);
    return std::nullopt;
  }

  bool consume(char c) {
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }

  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\n' ||
                                 text[pos] == '\r' || text[pos] == '\t'))
      ++pos;
  }

  bool skipString() {
    if (!consume('"'))
      return false;
    while (pos < text.size()) {
      char c = text[pos++];
      if (c == '"')
        return true;
      if (static_cast<unsigned char>(c) < 0x20)
        return false;
      if (c == '\\') {
        if (pos >= text.size())
          return false;
        ++pos;
      }
    }
    return false;
  }

  bool skipScalar() {
    size_t start = pos;
    while (pos < text.size() && text[pos] != ',' && text[pos] != '}' &&
           text[pos] != ']' && text[pos] != ' ' && text[pos] != '\n' &&
           text[pos] != '\r' && text[pos] != '\t' && text[pos] != ':' &&
           text[pos] != '"' && text[pos] != '{' && text[pos] != '[')
      ++pos;
    return pos > start;
  }

  /// Skips one value; containers are matched with an explicit stack.
  bool skipValue() {
    std::vector<char> closers;
    do {
      skipSpace();
      if (pos >= text.size())
        return false;
      char c = text[pos];
      if (c == '"') {
        if (!skipString())
          return false;
      } else if (c == '{' || c == '[') {
        closers.push_back(c == '{' ? '}' : ']');
        ++pos;
        continue;
      } else if (c == '}' || c == ']') {
        if (closers.empty() || closers.back() != c)
          return false;
        closers.pop_back();
        ++pos;
      } else if (c == ',' || c == ':') {
        if (closers.empty())
          return false;
        ++pos;
        continue;
      } else if (!skipScalar()) {
        return false;
      }
    } while (!closers.empty());
    return true;
  }

  std::string_view text;
  size_t pos = 0;
};

} // namespace

std::optional<int64_t> countJsonObjectMembers(std::string_view json,
                                              std::string &error) {
  return JsonScanner(json).countMembers(error);
}

//===----------------------------------------------------------------------===//
// SentencePiece models
//===----------------------------------------------------------------------===//

namespace {

/// Reads a base-128 varint at |pos|; false at a truncated or overlong one.
bool readVarint(std::string_view bytes, size_t &pos, uint64_t &out) {
  out = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= bytes.size())
      return false;
    const uint8_t byte = static_cast<uint8_t>(bytes[pos++]);
    out |= uint64_t(byte & 0x7f) << shift;
    if (!(byte & 0x80))
      return true;
  }
  return false;
}

} // namespace

// Only the top level of ModelProto is walked (protobuf's wire format: a
// varint key = field << 3 | wire type, then the value); each piece is one
// length-delimited field 1, whose contents are not needed.
std::optional<int64_t> countSentencePiecePieces(std::string_view bytes,
                                                std::string &error) {
  int64_t pieces = 0;
  size_t pos = 0;
  while (pos < bytes.size()) {
    const size_t at = pos;
    uint64_t key = 0, length = 0;
    if (!readVarint(bytes, pos, key)) {
      error = "truncated field key at byte " + std::to_string(at);
      return std::nullopt;
    }
    const uint64_t field = key >> 3, wire = key & 7;
    if (field == 0) {
      error = "field number 0 at byte " + std::to_string(at);
      return std::nullopt;
    }
    switch (wire) {
    case 0: // varint
      if (!readVarint(bytes, pos, length)) {
        error = "truncated varint at byte " + std::to_string(at);
        return std::nullopt;
      }
      break;
    case 1: // 64-bit
    case 5: // 32-bit
      length = wire == 1 ? 8 : 4;
      if (bytes.size() - pos < length) {
        error = "truncated fixed-size field at byte " + std::to_string(at);
        return std::nullopt;
      }
      pos += length;
      break;
    case 2: // length-delimited
      if (!readVarint(bytes, pos, length) || bytes.size() - pos < length) {
        error =
            "truncated length-delimited field at byte " + std::to_string(at);
        return std::nullopt;
      }
      pos += length;
      if (field == 1)
        ++pieces;
      break;
    default:
      error = "wire type " + std::to_string(wire) + " at byte " +
              std::to_string(at) + " is not a protobuf field";
      return std::nullopt;
    }
  }
  if (pieces == 0) {
    error = "it has no pieces";
    return std::nullopt;
  }
  return pieces;
}

//===----------------------------------------------------------------------===//
// Tokenizer vocabulary
//===----------------------------------------------------------------------===//

namespace {

struct VocabularySource {
  int64_t size;
  std::string what; // "the 50257 entries of tokenizer.vocab_file 'x'"
  SourceLocation location;
};

/// Reads |path| into |out|; false with |error| set otherwise.
bool readFile(const std::filesystem::path &path, std::string &out,
              std::string &error) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    error = "it is a directory";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::strerror(errno);
    return false;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    error = "read error";
    return false;
  }
  out = buffer.str();
  return true;
}

std::optional<VocabularySource>
vocabularyFromFile(const Given<std::string> &vocabFile,
                   const std::string &descriptionFile, DiagnosticSink &sink,
                   bool &failed) {
  std::filesystem::path path(*vocabFile.value);
  if (path.is_relative() && !descriptionFile.empty())
    path = std::filesystem::path(descriptionFile).parent_path() / path;
  std::string content, error;
  if (!readFile(path, content, error)) {
    sink.error(vocabFile.location, "cannot read tokenizer.vocab_file '" +
                                       path.string() + "': " + error);
    failed = true;
    return std::nullopt;
  }
  size_t first = content.find_first_not_of(" \t\r\n");
  // Only JSON vocabularies (GPT-2's encoder.json) are counted; a
  // SentencePiece model or a one-token-per-line file says nothing here.
  if (first == std::string::npos || content[first] != '{')
    return std::nullopt;
  std::optional<int64_t> count = countJsonObjectMembers(content, error);
  if (!count) {
    sink.error(vocabFile.location, "tokenizer.vocab_file '" + path.string() +
                                       "' is not a valid JSON object: " +
                                       error);
    failed = true;
    return std::nullopt;
  }
  return VocabularySource{*count,
                          "the " + std::to_string(*count) +
                              " entries of tokenizer.vocab_file '" +
                              *vocabFile.value + "'" +
                              describeLine(vocabFile.location),
                          vocabFile.location};
}

/// |file| relative to the description's directory unless absolute.
std::filesystem::path resolvePath(const std::string &file,
                                  const std::string &descriptionFile) {
  std::filesystem::path path(file);
  if (path.is_relative() && !descriptionFile.empty())
    path = std::filesystem::path(descriptionFile).parent_path() / path;
  return path;
}

std::optional<VocabularySource>
vocabularyFromSentencePiece(const Given<std::string> &model,
                            const std::string &descriptionFile,
                            DiagnosticSink &sink, bool &failed) {
  const std::filesystem::path path = resolvePath(*model.value, descriptionFile);
  std::string content, error;
  if (!readFile(path, content, error)) {
    sink.error(model.location,
               "cannot read tokenizer.model '" + path.string() + "': " + error);
    failed = true;
    return std::nullopt;
  }
  std::optional<int64_t> count = countSentencePiecePieces(content, error);
  if (!count) {
    sink.error(model.location, "tokenizer.model '" + path.string() +
                                   "' is not a SentencePiece model: " + error);
    failed = true;
    return std::nullopt;
  }
  return VocabularySource{*count,
                          "the " + std::to_string(*count) +
                              " pieces of tokenizer.model '" + *model.value +
                              "'" + describeLine(model.location),
                          model.location};
}

std::optional<VocabularySource>
knownTokenizer(const TokenizerSettings &tokenizer) {
  std::string type = tokenizer.type.has() ? *tokenizer.type.value : "";
  std::string library =
      tokenizer.library.has() ? toLower(*tokenizer.library.value) : "";
  bool gpt2 = toLower(type) == "gpt2bpetokenizer" ||
              (library == "huggingface" &&
               (type == "gpt2" || type == "openai-community/gpt2"));
  if (!gpt2)
    return std::nullopt;
  return VocabularySource{kGpt2VocabSize,
                          "the " + std::to_string(kGpt2VocabSize) +
                              " tokens of tokenizer.type " + type +
                              describeLine(tokenizer.type.location),
                          tokenizer.type.location};
}

} // namespace

std::optional<int64_t> tokenizerVocabSize(const TokenizerSettings &tokenizer,
                                          const std::string &descriptionFile,
                                          DiagnosticSink &sink) {
  if (!tokenizer.present)
    return 0;
  std::vector<VocabularySource> sources;
  bool failed = false;
  if (tokenizer.vocabFile.has())
    if (auto source = vocabularyFromFile(tokenizer.vocabFile, descriptionFile,
                                         sink, failed))
      sources.push_back(*source);
  const bool sentencePiece =
      tokenizer.library.has() &&
      toLower(*tokenizer.library.value) == "sentencepiece";
  // tokenizer.vocab_size exists for a tokenizer file Strata does not have:
  // with it, a SentencePiece model that is not there is not looked for.
  std::error_code ec;
  if (sentencePiece && tokenizer.model.has() &&
      !(tokenizer.vocabSize.has() &&
        !std::filesystem::exists(
            resolvePath(*tokenizer.model.value, descriptionFile), ec)))
    if (auto source = vocabularyFromSentencePiece(
            tokenizer.model, descriptionFile, sink, failed))
      sources.push_back(*source);
  if (auto source = knownTokenizer(tokenizer))
    sources.push_back(*source);
  if (tokenizer.vocabSize.has())
    sources.push_back(VocabularySource{
        *tokenizer.vocabSize.value,
        "tokenizer.vocab_size " + std::to_string(*tokenizer.vocabSize.value) +
            describeLine(tokenizer.vocabSize.location),
        tokenizer.vocabSize.location});
  if (failed)
    return std::nullopt;
  if (sources.empty())
    return 0;
  // Point at the later source: the earlier ones are more authoritative
  // (a file beats a name, a name beats a hand-written number).
  for (size_t i = 1; i < sources.size(); ++i) {
    if (sources[i].size == sources[0].size)
      continue;
    sink.error(sources[i].location, sources[i].what + " does not match " +
                                        sources[0].what);
    return std::nullopt;
  }
  return sources[0].size;
}

int64_t roundUpToMultiple(int64_t value, int64_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

} // namespace strata::frontend
