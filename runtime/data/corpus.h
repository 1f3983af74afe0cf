//===- corpus.h - text corpora into cached token files ----------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// --data PATH names a text file, a directory of text files (every regular
// *.txt file beneath it, in path order, each a document), or a token file
// written earlier. Documents are tokenized and joined with the tokenizer's
// end-of-text token between them. The result is cached as a token file
// (token_file.h) in the cache directory under a name derived from a
// fingerprint of the inputs (paths, sizes, modification times) and the
// tokenizer, so the second run on the same corpus skips tokenization; a
// damaged cache file is rebuilt.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_DATA_CORPUS_H
#define STRATA_RUNTIME_DATA_CORPUS_H

#include "runtime/support/status.h"

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace strata::runtime::data {

/// What corpus loading needs from a tokenizer.
struct CorpusTokenizer {
  std::function<std::vector<int32_t>(const std::string &text)> encode;
  int32_t endOfText = 0;
  int64_t vocabSize = 0;
  /// Changes whenever the tokenizer's vocabulary or merges change.
  uint64_t fingerprint = 0;
};

struct Corpus {
  std::vector<int32_t> tokens;
  /// Identifies the inputs and the tokenizer (checkpoints record it).
  std::string fingerprint;
  int64_t documents = 0;
  int64_t bytes = 0;
  /// The token file the tokens came from or were cached to.
  std::string cachePath;
  bool fromCache = false;
};

/// $STRATA_CACHE_DIR, else $XDG_CACHE_HOME/strata, else $HOME/.cache/strata,
/// else /tmp/strata-cache.
std::string defaultCacheDirectory();

/// Loads --data |path|. |log| (may be null) gets one line about
/// tokenization or the cache. Errors name the path: missing, unreadable,
/// a directory without text files, an empty corpus.
StatusOr<Corpus> loadCorpus(const std::string &path,
                            const CorpusTokenizer &tokenizer,
                            const std::string &cacheDirectory,
                            std::FILE *log = nullptr);

} // namespace strata::runtime::data

#endif // STRATA_RUNTIME_DATA_CORPUS_H
