//===- token_file.h - tokenized corpora on disk -----------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A token file holds one tokenized corpus as a flat array after a 64-byte
// header (all little-endian):
//
//   offset size field
//        0    8 magic "STRATOK1"
//        8    4 bytes per token: 2 (vocabulary <= 65536) or 4
//       12    4 reserved, 0
//       16    8 token count
//       24    8 vocabulary size (every id is below it)
//       32    8 FNV-1a 64 of the token bytes
//       40    8 fingerprint of what was tokenized (the cache key)
//       48   16 reserved, 0
//       64      the tokens
//
// Files are written atomically; reading checks the size, every id against
// the vocabulary and the checksum, so a damaged cache is detected (and
// rebuilt by the corpus loader) instead of training on garbage.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_DATA_TOKEN_FILE_H
#define STRATA_RUNTIME_DATA_TOKEN_FILE_H

#include "runtime/support/status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace strata::runtime::data {

struct TokenFile {
  std::vector<int32_t> tokens;
  int64_t vocabSize = 0;
  uint64_t fingerprint = 0;
};

/// Writes |file| to |path| atomically; every token must be in
/// [0, vocabSize).
Status writeTokenFile(const std::string &path, const TokenFile &file);

/// Reads and checks a token file; kNotFound when it does not exist,
/// kDataLoss naming the file and the fault otherwise.
StatusOr<TokenFile> readTokenFile(const std::string &path);

} // namespace strata::runtime::data

#endif // STRATA_RUNTIME_DATA_TOKEN_FILE_H
