//===- gemm_tuning_cache.cc - tuned GEMM algorithms in a file -------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/gemm_tuning/gemm_tuning_cache.h"

#include "runtime/io/file_io.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace strata::runtime {

namespace {

constexpr std::string_view kMagic = "strata-gemm-tuning";

constexpr const char *kHeaderComment =
    "# Strata's GEMM tuning cache: the cuBLASLt algorithm chosen by timing\n"
    "# for each GEMM, per GPU and cuBLASLt version (strata-run tune-gemms,\n"
    "# or the first run of a GEMM; docs/cli.md). Safe to delete: the GEMMs\n"
    "# are tuned again. Columns, tab-separated: gpu, cuBLASLt version, gemm,\n"
    "# algorithm (8 opaque hex words), tuned ms, heuristic ms (-1: its first\n"
    "# choice failed), chosen/candidates (0: the heuristic's first choice).\n";

std::string_view trimCarriageReturn(std::string_view line) {
  if (!line.empty() && line.back() == '\r')
    line.remove_suffix(1);
  return line;
}

bool isBlankOrComment(std::string_view line) {
  const size_t first = line.find_first_not_of(" \t");
  return first == std::string_view::npos || line[first] == '#';
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string_view::npos)
      return parts;
    start = end + 1;
  }
}

template <typename T>
bool parseNumber(std::string_view text, T &value, int base = 10) {
  if (text.empty())
    return false;
  const char *end = text.data() + text.size();
  std::from_chars_result result;
  if constexpr (std::is_floating_point_v<T>)
    result = std::from_chars(text.data(), end, value);
  else
    result = std::from_chars(text.data(), end, value, base);
  return result.ec == std::errc() && result.ptr == end;
}

std::string numberText(double value) {
  char text[64];
  const auto result = std::to_chars(text, text + sizeof(text), value);
  return std::string(text, result.ptr);
}

std::string hexWord(uint64_t word) {
  static const char digits[] = "0123456789abcdef";
  std::string text(16, '0');
  for (int i = 15; i >= 0; --i, word >>= 4)
    text[size_t(i)] = digits[word & 15];
  return text;
}

/// An entry line, or the reason it is not one.
StatusOr<GemmTuningEntry> parseEntry(std::string_view line) {
  const std::vector<std::string_view> fields = split(line, '\t');
  if (fields.size() != 7)
    return Status::dataLoss("expected 7 tab-separated fields, found " +
                            std::to_string(fields.size()));
  GemmTuningEntry entry;
  entry.gpu = std::string(fields[0]);
  entry.gemm = std::string(fields[2]);
  if (entry.gpu.empty() || entry.gemm.empty())
    return Status::dataLoss("an empty gpu or gemm field");
  if (!parseNumber(fields[1], entry.libraryVersion))
    return Status::dataLoss("library version '" + std::string(fields[1]) +
                            "' is not a number");
  const std::vector<std::string_view> words = split(fields[3], ' ');
  if (words.size() != entry.algorithm.size())
    return Status::dataLoss("the algorithm has " +
                            std::to_string(words.size()) + " words, expected " +
                            std::to_string(entry.algorithm.size()));
  for (size_t i = 0; i < words.size(); ++i)
    if (words[i].size() > 16 || !parseNumber(words[i], entry.algorithm[i], 16))
      return Status::dataLoss("algorithm word '" + std::string(words[i]) +
                              "' is not a 64-bit hex number");
  if (!parseNumber(fields[4], entry.tunedMs) || !std::isfinite(entry.tunedMs) ||
      entry.tunedMs <= 0)
    return Status::dataLoss("tuned time '" + std::string(fields[4]) +
                            "' is not a positive number of milliseconds");
  if (!parseNumber(fields[5], entry.heuristicMs) ||
      !std::isfinite(entry.heuristicMs) ||
      (entry.heuristicMs <= 0 && entry.heuristicMs != -1))
    return Status::dataLoss("heuristic time '" + std::string(fields[5]) +
                            "' is neither a positive number of milliseconds "
                            "nor -1");
  const std::vector<std::string_view> rank = split(fields[6], '/');
  if (rank.size() != 2 || !parseNumber(rank[0], entry.chosen) ||
      !parseNumber(rank[1], entry.candidates) || entry.chosen < 0 ||
      entry.chosen >= entry.candidates)
    return Status::dataLoss("'" + std::string(fields[6]) +
                            "' is not <chosen>/<candidates> with chosen < "
                            "candidates");
  return entry;
}

std::string entryLine(const GemmTuningEntry &e) {
  std::string words;
  for (uint64_t word : e.algorithm)
    words += (words.empty() ? "" : " ") + hexWord(word);
  return e.gpu + "\t" + std::to_string(e.libraryVersion) + "\t" + e.gemm +
         "\t" + words + "\t" + numberText(e.tunedMs) + "\t" +
         numberText(e.heuristicMs) + "\t" + std::to_string(e.chosen) + "/" +
         std::to_string(e.candidates) + "\n";
}

bool hasLineBreakOrTab(const std::string &text) {
  return text.find_first_of("\t\r\n") != std::string::npos;
}

/// The file's text; empty when it does not exist.
StatusOr<std::string> readCacheFile(const std::string &path) {
  StatusOr<std::vector<uint8_t>> bytes = io::readWholeFile(path);
  if (!bytes.isOk()) {
    if (bytes.status().code() == StatusCode::kNotFound)
      return std::string();
    return bytes.status();
  }
  return std::string(bytes->begin(), bytes->end());
}

/// An exclusive flock on "<path>.lock", held while alive.
class FileLock {
public:
  static StatusOr<FileLock> acquire(const std::string &path) {
    const std::string lockPath = path + ".lock";
    const int fd = ::open(lockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
      return Status::unavailable(
          io::ioErrorMessage(lockPath, "cannot create the lock file", errno));
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno == EINTR)
        continue;
      const int err = errno;
      ::close(fd);
      return Status::unavailable(
          io::ioErrorMessage(lockPath, "cannot lock", err));
    }
    return FileLock(fd);
  }
  FileLock(FileLock &&other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock(const FileLock &) = delete;
  FileLock &operator=(const FileLock &) = delete;
  FileLock &operator=(FileLock &&) = delete;
  ~FileLock() {
    if (fd_ >= 0)
      ::close(fd_); // releases the lock
  }

private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

} // namespace

bool GemmTuningEntry::operator==(const GemmTuningEntry &other) const {
  return gpu == other.gpu && libraryVersion == other.libraryVersion &&
         gemm == other.gemm && algorithm == other.algorithm &&
         tunedMs == other.tunedMs && heuristicMs == other.heuristicMs &&
         chosen == other.chosen && candidates == other.candidates;
}

GemmTuningFile parseGemmTuningFile(std::string_view text,
                                   const std::string &path) {
  GemmTuningFile file;
  const std::vector<std::string_view> lines = split(text, '\n');
  bool headerSeen = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = trimCarriageReturn(lines[i]);
    if (isBlankOrComment(line))
      continue;
    const std::string where = path + ":" + std::to_string(i + 1) + ": ";
    if (!headerSeen) {
      const std::vector<std::string_view> words = split(line, ' ');
      int version = 0;
      if (words.size() != 2 || words[0] != kMagic ||
          !parseNumber(words[1], version)) {
        file.warnings.push_back(
            where +
            "not a Strata GEMM tuning file (its first line should be '" +
            std::string(kMagic) + " " +
            std::to_string(kGemmTuningFormatVersion) +
            "'): the file is ignored, its GEMMs are tuned again and it is "
            "rewritten");
        return file;
      }
      if (version != kGemmTuningFormatVersion) {
        file.warnings.push_back(
            where + "GEMM tuning format version " + std::to_string(version) +
            ", but this build reads version " +
            std::to_string(kGemmTuningFormatVersion) +
            ": the file is ignored, its GEMMs are tuned again and it is "
            "rewritten");
        return file;
      }
      headerSeen = true;
      continue;
    }
    StatusOr<GemmTuningEntry> entry = parseEntry(line);
    if (!entry.isOk()) {
      file.warnings.push_back(where + entry.status().message() +
                              ": the line is ignored");
      continue;
    }
    file.entries.push_back(std::move(*entry));
  }
  return file;
}

std::string formatGemmTuningFile(const std::vector<GemmTuningEntry> &entries) {
  std::string text = kHeaderComment;
  text += std::string(kMagic) + " " + std::to_string(kGemmTuningFormatVersion) +
          "\n";
  for (const GemmTuningEntry &entry : entries)
    text += entryLine(entry);
  return text;
}

std::string defaultGemmTuningCachePath() {
  if (const char *path = std::getenv("STRATA_GEMM_CACHE"); path && *path)
    return path;
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return std::string(xdg) + "/strata/gemm-tuning.txt";
  if (const char *home = std::getenv("HOME"); home && *home)
    return std::string(home) + "/.cache/strata/gemm-tuning.txt";
  return "/tmp/strata-cache/gemm-tuning.txt";
}

void GemmTuningCache::assign(const std::vector<GemmTuningEntry> &entries) {
  entries_.clear();
  // The first line of a key wins, as the first recorded entry does.
  for (const GemmTuningEntry &entry : entries)
    entries_.emplace(Key(entry.gpu, entry.libraryVersion, entry.gemm), entry);
}

std::vector<std::string> GemmTuningCache::load() {
  StatusOr<std::string> text = readCacheFile(path_);
  if (!text.isOk()) {
    entries_.clear();
    return {text.status().message() + ": the GEMMs are tuned again"};
  }
  GemmTuningFile file = parseGemmTuningFile(*text, path_);
  assign(file.entries);
  return std::move(file.warnings);
}

const GemmTuningEntry *GemmTuningCache::find(const std::string &gpu,
                                             uint64_t libraryVersion,
                                             const std::string &gemm) const {
  auto it = entries_.find(Key(gpu, libraryVersion, gemm));
  return it == entries_.end() ? nullptr : &it->second;
}

StatusOr<GemmTuningEntry>
GemmTuningCache::record(const GemmTuningEntry &entry, Merge merge,
                        std::vector<std::string> &warnings) {
  if (entry.gpu.empty() || entry.gemm.empty() || hasLineBreakOrTab(entry.gpu) ||
      hasLineBreakOrTab(entry.gemm))
    return Status::invalidArgument(
        path_ +
        ": a GEMM tuning entry needs a gpu and a gemm without tabs or "
        "line breaks, got '" +
        entry.gpu + "' and '" + entry.gemm + "'");
  const std::filesystem::path parent =
      std::filesystem::path(path_).parent_path();
  if (!parent.empty()) {
    std::error_code error;
    std::filesystem::create_directories(parent, error);
    if (error)
      return Status::unavailable(parent.string() +
                                 ": cannot create the GEMM tuning cache's "
                                 "directory: " +
                                 error.message());
  }
  STRATA_ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(path_));
  // Under the lock: what other processes recorded so far.
  STRATA_ASSIGN_OR_RETURN(const std::string text, readCacheFile(path_));
  GemmTuningFile file = parseGemmTuningFile(text, path_);
  for (std::string &warning : file.warnings)
    warnings.push_back(std::move(warning));
  assign(file.entries);
  const Key key(entry.gpu, entry.libraryVersion, entry.gemm);
  auto it = entries_.find(key);
  if (it != entries_.end() && merge == Merge::KeepExisting)
    return it->second;
  entries_[key] = entry;
  std::vector<GemmTuningEntry> all;
  all.reserve(entries_.size());
  for (const auto &[unused, kept] : entries_)
    all.push_back(kept);
  const std::string updated = formatGemmTuningFile(all);
  if (Status written =
          io::writeFileAtomically(path_, updated.data(), updated.size());
      !written.isOk()) {
    assign(file.entries); // the file is unchanged
    return written;
  }
  return entry;
}

} // namespace strata::runtime
