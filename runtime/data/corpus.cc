//===- corpus.cc - text corpora into cached token files -------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/data/corpus.h"

#include "runtime/data/token_file.h"
#include "runtime/io/file_io.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace strata::runtime::data {

namespace fs = std::filesystem;

namespace {

uint64_t mix(uint64_t hash, const void *data, size_t size) {
  const auto *bytes = static_cast<const uint8_t *>(data);
  for (size_t i = 0; i < size; ++i) {
    hash ^= bytes[i];
    hash *= 1099511628211ull;
  }
  return hash;
}

uint64_t mix(uint64_t hash, const std::string &text) {
  return mix(hash, text.data(), text.size() + 1);
}

uint64_t mix(uint64_t hash, uint64_t value) {
  return mix(hash, &value, sizeof(value));
}

std::string hex(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx",
                static_cast<unsigned long long>(value));
  return text;
}

bool isTokenFile(const std::string &path) {
  std::FILE *file = std::fopen(path.c_str(), "rb");
  if (!file)
    return false;
  char magic[8] = {};
  const size_t n = std::fread(magic, 1, sizeof(magic), file);
  std::fclose(file);
  return n == sizeof(magic) && std::memcmp(magic, "STRATOK1", 8) == 0;
}

/// The documents of |path|, in a fixed order.
StatusOr<std::vector<fs::path>> documentsOf(const std::string &path) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status))
    return Status::notFound("--data " + path + ": no such file or directory");
  if (fs::is_regular_file(status))
    return std::vector<fs::path>{fs::path(path)};
  if (!fs::is_directory(status))
    return Status::invalidArgument("--data " + path +
                                   ": not a file or a directory");
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(path, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file(ec) && it->path().extension() == ".txt")
      files.push_back(it->path());
  if (ec)
    return Status::unavailable("--data " + path + ": cannot list: " +
                               ec.message());
  if (files.empty())
    return Status::invalidArgument("--data " + path +
                                   ": the directory has no .txt files");
  std::sort(files.begin(), files.end());
  return files;
}

} // namespace

std::string defaultCacheDirectory() {
  if (const char *dir = std::getenv("STRATA_CACHE_DIR"); dir && *dir)
    return dir;
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return std::string(xdg) + "/strata";
  if (const char *home = std::getenv("HOME"); home && *home)
    return std::string(home) + "/.cache/strata";
  return "/tmp/strata-cache";
}

StatusOr<Corpus> loadCorpus(const std::string &path,
                            const CorpusTokenizer &tokenizer,
                            const std::string &cacheDirectory,
                            std::FILE *log) {
  Corpus corpus;
  if (isTokenFile(path)) {
    STRATA_ASSIGN_OR_RETURN(TokenFile file, readTokenFile(path));
    if (file.vocabSize > tokenizer.vocabSize)
      return Status::invalidArgument(
          "--data " + path + ": token file of vocabulary " +
          std::to_string(file.vocabSize) + ", the tokenizer has " +
          std::to_string(tokenizer.vocabSize));
    corpus.tokens = std::move(file.tokens);
    corpus.fingerprint = "tokens:" + hex(file.fingerprint);
    corpus.cachePath = path;
    corpus.fromCache = true;
  } else {
    STRATA_ASSIGN_OR_RETURN(std::vector<fs::path> files, documentsOf(path));
    uint64_t fingerprint = mix(14695981039346656037ull, tokenizer.fingerprint);
    for (const fs::path &file : files) {
      std::error_code ec;
      const uint64_t size = fs::file_size(file, ec);
      const auto mtime = fs::last_write_time(file, ec).time_since_epoch();
      fingerprint = mix(fingerprint, fs::absolute(file).string());
      fingerprint = mix(fingerprint, size);
      fingerprint = mix(fingerprint, static_cast<uint64_t>(mtime.count()));
      corpus.bytes += static_cast<int64_t>(size);
    }
    corpus.documents = static_cast<int64_t>(files.size());
    corpus.fingerprint = hex(fingerprint);
    corpus.cachePath = cacheDirectory + "/" +
                       fs::path(path).filename().string() + "-" +
                       corpus.fingerprint + ".tok";
    StatusOr<TokenFile> cached = readTokenFile(corpus.cachePath);
    if (cached.isOk() && cached->fingerprint == fingerprint) {
      corpus.tokens = std::move(cached->tokens);
      corpus.fromCache = true;
      if (log)
        std::fprintf(log, "data: %s: %zu tokens from the cache %s\n",
                     path.c_str(), corpus.tokens.size(),
                     corpus.cachePath.c_str());
    } else {
      if (!cached.isOk() && cached.status().code() != StatusCode::kNotFound &&
          log)
        std::fprintf(log, "data: rebuilding the cache: %s\n",
                     cached.status().message().c_str());
      const auto start = std::chrono::steady_clock::now();
      for (size_t i = 0; i < files.size(); ++i) {
        STRATA_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes,
                                io::readWholeFile(files[i].string()));
        std::vector<int32_t> ids =
            tokenizer.encode(std::string(bytes.begin(), bytes.end()));
        if (ids.empty())
          continue;
        if (!corpus.tokens.empty())
          corpus.tokens.push_back(tokenizer.endOfText);
        corpus.tokens.insert(corpus.tokens.end(), ids.begin(), ids.end());
      }
      const double seconds = std::chrono::duration<double>(
                                 std::chrono::steady_clock::now() - start)
                                 .count();
      if (!corpus.tokens.empty()) {
        std::error_code ec;
        fs::create_directories(cacheDirectory, ec);
        Status saved = writeTokenFile(
            corpus.cachePath, {corpus.tokens, tokenizer.vocabSize, fingerprint});
        if (log)
          std::fprintf(log,
                       "data: %s: %lld bytes in %lld documents -> %zu tokens "
                       "in %.2f s%s\n",
                       path.c_str(), static_cast<long long>(corpus.bytes),
                       static_cast<long long>(corpus.documents),
                       corpus.tokens.size(), seconds,
                       saved.isOk() ? (", cached in " + corpus.cachePath).c_str()
                                    : (" (not cached: " + saved.message() + ")").c_str());
      }
    }
  }
  if (corpus.tokens.empty())
    return Status::invalidArgument("--data " + path +
                                   ": the corpus is empty (no tokens)");
  return corpus;
}

} // namespace strata::runtime::data
