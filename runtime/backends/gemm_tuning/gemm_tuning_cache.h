//===- gemm_tuning_cache.h - tuned GEMM algorithms in a file ----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// GEMM autotuning (FasterTransformer's gemm_config) times the algorithms a
// GPU library offers for a GEMM once and keeps the fastest. This file keeps
// the choices across processes: one entry per (GPU, library version, GEMM
// descriptor) with the chosen algorithm as opaque 64-bit words (cuBLASLt's
// cublasLtMatmulAlgo_t is 8 of them; this code never looks inside) and the
// measured times of the choice and of the library heuristic's first choice.
// Plain C++: it builds and is tested without CUDA.
//
// The file is text, one entry per line (format below), versioned by its
// first line. It is shared by every process on the machine: a process
// records an entry under an exclusive lock (flock of "<file>.lock"),
// re-reading the file first so that entries other processes wrote meanwhile
// are kept, and rewrites it atomically (temporary file, fsync, rename). The
// first entry recorded for a key stays (a later process adopts it instead
// of its own measurement), so every process and rank uses one algorithm
// per key and results repeat run to run.
//
// Nothing in the file can crash a reader: a corrupt line, or a file of
// another format version, is a warning naming the file and the line, and
// its GEMMs are tuned again (the next write drops the bad lines).
//
// Format (version 1):
//   # comments and blank lines anywhere
//   strata-gemm-tuning 1
//   <gpu> TAB <library version> TAB <gemm> TAB <8 hex words, space-separated>
//         TAB <tuned ms> TAB <heuristic ms> TAB <chosen>/<candidates>
// e.g. "NVIDIA H100 80GB HBM3, 132 SMs, sm_90	130100	BF16 m=8192 ...
//       align=256/256/256	0000000000000015 ...	0.105	0.121	3/16".
// A heuristic time of -1: the heuristic's first choice failed to run.
//
// Usage:
//   GemmTuningCache cache(defaultGemmTuningCachePath());
//   for (const std::string &warning : cache.load()) print(warning);
//   if (const GemmTuningEntry *e = cache.find(gpu, version, key.text())) ...
//   StatusOr<GemmTuningEntry> kept = cache.record(measured, warnings);
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_GEMM_TUNING_GEMM_TUNING_CACHE_H
#define STRATA_RUNTIME_BACKENDS_GEMM_TUNING_GEMM_TUNING_CACHE_H

#include "runtime/support/status.h"

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace strata::runtime {

/// The version the first line of a cache file states.
constexpr int kGemmTuningFormatVersion = 1;

struct GemmTuningEntry {
  /// The GPU: "NVIDIA H100 80GB HBM3, 132 SMs, sm_90" (no tab or newline).
  std::string gpu;
  /// The GEMM library's version (cublasLtGetVersion()).
  uint64_t libraryVersion = 0;
  /// GemmDescriptor::text().
  std::string gemm;
  /// The chosen algorithm, opaque.
  std::array<uint64_t, 8> algorithm{};
  /// Milliseconds per GEMM of the chosen algorithm and of the heuristic's
  /// first choice (-1: it failed to run).
  double tunedMs = 0.0;
  double heuristicMs = 0.0;
  /// The chosen algorithm's place in the heuristic's list (0: its first
  /// choice) and how many candidates the list had.
  int chosen = 0;
  int candidates = 0;

  bool operator==(const GemmTuningEntry &other) const;
};

/// What tuning one GEMM gave (Backend::tuneGemm, strata-run tune-gemms).
struct GemmTuningReport {
  GemmTuningEntry entry;
  /// Read from the cache file rather than measured now.
  bool cached = false;
  /// The cache file.
  std::string cachePath;
};

/// What a cache file holds, and a warning ("FILE:LINE: ...") per line or
/// file that was ignored.
struct GemmTuningFile {
  std::vector<GemmTuningEntry> entries;
  std::vector<std::string> warnings;
};

/// Parses |text|, named |path| in warnings. Never fails: bad lines are
/// warnings, a missing or foreign version header leaves no entries.
GemmTuningFile parseGemmTuningFile(std::string_view text,
                                   const std::string &path);

/// The file holding |entries| (in their order), header comment included.
std::string formatGemmTuningFile(const std::vector<GemmTuningEntry> &entries);

/// $STRATA_GEMM_CACHE, else $XDG_CACHE_HOME/strata/gemm-tuning.txt, else
/// $HOME/.cache/strata/gemm-tuning.txt, else /tmp/strata-cache/...
std::string defaultGemmTuningCachePath();

/// One process's view of a cache file.
class GemmTuningCache {
public:
  explicit GemmTuningCache(std::string path) : path_(std::move(path)) {}

  const std::string &path() const { return path_; }

  /// (Re)reads the file; a missing file is an empty cache. Returns the
  /// warnings (corrupt lines, another format version, an unreadable file).
  std::vector<std::string> load();

  /// The entry for (|gpu|, |libraryVersion|, |gemm|), or null. Entries of
  /// other GPUs and library versions never match.
  const GemmTuningEntry *find(const std::string &gpu, uint64_t libraryVersion,
                              const std::string &gemm) const;

  /// What record() does with an entry whose key the file already has.
  enum class Merge {
    KeepExisting, ///< the first measurement stays (determinism)
    Replace,      ///< the file's entry was unusable: overwrite it
  };

  /// Adds |entry| to the file (see the file comment) and returns the entry
  /// the file now holds for its key: |entry|, or with KeepExisting one
  /// another process recorded first. Afterwards find() sees the whole file.
  /// Warnings about the file as re-read go to |warnings|. An error (naming
  /// the file) when it cannot be locked, read or written; then nothing
  /// changed.
  StatusOr<GemmTuningEntry> record(const GemmTuningEntry &entry, Merge merge,
                                   std::vector<std::string> &warnings);

private:
  using Key = std::tuple<std::string, uint64_t, std::string>;
  void assign(const std::vector<GemmTuningEntry> &entries);

  std::string path_;
  std::map<Key, GemmTuningEntry> entries_;
};

} // namespace strata::runtime

#endif // STRATA_RUNTIME_BACKENDS_GEMM_TUNING_GEMM_TUNING_CACHE_H
