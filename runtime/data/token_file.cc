//===- token_file.cc - tokenized corpora on disk --------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/data/token_file.h"

#include "runtime/io/file_io.h"

#include <cstring>

namespace strata::runtime::data {

namespace {

constexpr char kMagic[8] = {'S', 'T', 'R', 'A', 'T', 'O', 'K', '1'};
constexpr size_t kHeaderBytes = 64;

uint64_t fnv1a(const uint8_t *data, size_t size) {
  uint64_t hash = 14695981039346656037ull;
  for (size_t i = 0; i < size; ++i) {
    hash ^= data[i];
    hash *= 1099511628211ull;
  }
  return hash;
}

void put(std::vector<uint8_t> &out, size_t at, uint64_t value, size_t bytes) {
  for (size_t i = 0; i < bytes; ++i)
    out[at + i] = static_cast<uint8_t>(value >> (8 * i));
}

uint64_t get(const std::vector<uint8_t> &in, size_t at, size_t bytes) {
  uint64_t value = 0;
  for (size_t i = 0; i < bytes; ++i)
    value |= uint64_t(in[at + i]) << (8 * i);
  return value;
}

} // namespace

Status writeTokenFile(const std::string &path, const TokenFile &file) {
  if (file.vocabSize <= 0 || file.vocabSize > (int64_t(1) << 31))
    return Status::invalidArgument(path + ": vocabulary size " +
                                   std::to_string(file.vocabSize) +
                                   " is outside [1, 2^31]");
  const size_t width = file.vocabSize <= 65536 ? 2 : 4;
  std::vector<uint8_t> bytes(kHeaderBytes + width * file.tokens.size(), 0);
  for (size_t i = 0; i < file.tokens.size(); ++i) {
    const int32_t id = file.tokens[i];
    if (id < 0 || id >= file.vocabSize)
      return Status::invalidArgument(
          path + ": token " + std::to_string(id) + " at index " +
          std::to_string(i) + " is outside the vocabulary [0, " +
          std::to_string(file.vocabSize) + ")");
    put(bytes, kHeaderBytes + width * i, static_cast<uint32_t>(id), width);
  }
  std::memcpy(bytes.data(), kMagic, sizeof(kMagic));
  put(bytes, 8, width, 4);
  put(bytes, 16, file.tokens.size(), 8);
  put(bytes, 24, static_cast<uint64_t>(file.vocabSize), 8);
  put(bytes, 32, fnv1a(bytes.data() + kHeaderBytes, bytes.size() - kHeaderBytes),
      8);
  put(bytes, 40, file.fingerprint, 8);
  return io::writeFileAtomically(path, bytes.data(), bytes.size());
}

StatusOr<TokenFile> readTokenFile(const std::string &path) {
  STRATA_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, io::readWholeFile(path));
  auto corrupt = [&](const std::string &what) {
    return Status::dataLoss(path + ": not a valid token file: " + what);
  };
  if (bytes.size() < kHeaderBytes ||
      std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0)
    return corrupt("no STRATOK1 header");
  const uint64_t width = get(bytes, 8, 4);
  const uint64_t count = get(bytes, 16, 8);
  TokenFile file;
  file.vocabSize = static_cast<int64_t>(get(bytes, 24, 8));
  file.fingerprint = get(bytes, 40, 8);
  if (width != 2 && width != 4)
    return corrupt("token width " + std::to_string(width));
  if (count > (bytes.size() - kHeaderBytes) / width ||
      kHeaderBytes + width * count != bytes.size())
    return corrupt("the header says " + std::to_string(count) + " tokens of " +
                   std::to_string(width) + " bytes but the file has " +
                   std::to_string(bytes.size()) + " bytes");
  if (fnv1a(bytes.data() + kHeaderBytes, bytes.size() - kHeaderBytes) !=
      get(bytes, 32, 8))
    return corrupt("checksum mismatch");
  if (file.vocabSize <= 0 || file.vocabSize > (int64_t(1) << 31))
    return corrupt("vocabulary size " + std::to_string(file.vocabSize));
  file.tokens.resize(count);
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t id = get(bytes, kHeaderBytes + width * i, width);
    if (id >= static_cast<uint64_t>(file.vocabSize))
      return corrupt("token " + std::to_string(id) + " at index " +
                     std::to_string(i) + " is outside the vocabulary");
    file.tokens[i] = static_cast<int32_t>(id);
  }
  return file;
}

} // namespace strata::runtime::data
