//===- gemm_tuning_cache_test.cc - the GEMM tuning cache file -------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/gemm_tuning/gemm_tuning_cache.h"

#include "runtime/io/io_test_support.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

namespace strata::runtime {
namespace {

using io::testing::TempDir;

const std::string kH100 = "NVIDIA H100 80GB HBM3, 132 SMs, sm_90";
const std::string kA100 = "NVIDIA A100-SXM4-80GB, 108 SMs, sm_80";
const std::string kGemm =
    "BF16 m=8192 n=2304 k=768 (A, B^T) lda=768 ldb=768 ldc=2304 "
    "align=256/256/256";

GemmTuningEntry entry(const std::string &gpu, const std::string &gemm,
                      uint64_t seed) {
  GemmTuningEntry e;
  e.gpu = gpu;
  e.libraryVersion = 130100;
  e.gemm = gemm;
  for (size_t i = 0; i < e.algorithm.size(); ++i)
    e.algorithm[i] = seed * 0x9e3779b97f4a7c15ull + i;
  e.tunedMs = 0.1 + double(seed) / 1000.0;
  e.heuristicMs = 0.123456789;
  e.chosen = int(seed % 4);
  e.candidates = 16;
  return e;
}

std::string readText(const std::string &path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void writeText(const std::string &path, const std::string &text) {
  std::ofstream(path) << text;
}

TEST(GemmTuningFileTest, RoundTripKeepsEveryField) {
  GemmTuningEntry failedHeuristic = entry(kA100, kGemm, 7);
  failedHeuristic.heuristicMs = -1;
  failedHeuristic.algorithm[7] = ~uint64_t(0);
  const std::vector<GemmTuningEntry> entries = {entry(kH100, kGemm, 1),
                                                failedHeuristic};
  const GemmTuningFile parsed =
      parseGemmTuningFile(formatGemmTuningFile(entries), "cache.txt");
  EXPECT_TRUE(parsed.warnings.empty());
  EXPECT_EQ(parsed.entries, entries);
}

TEST(GemmTuningFileTest, EmptyTextIsAnEmptyCache) {
  const GemmTuningFile parsed = parseGemmTuningFile("", "cache.txt");
  EXPECT_TRUE(parsed.entries.empty());
  EXPECT_TRUE(parsed.warnings.empty());
}

TEST(GemmTuningFileTest, CorruptLinesAreWarningsNamingFileAndLine) {
  const std::string good = formatGemmTuningFile({entry(kH100, kGemm, 1)});
  const std::string text =
      good + "just some words\n" +                                     // 9
      kH100 + "\tx\t" + kGemm + "\t0 0 0 0 0 0 0 0\t1\t1\t0/1\n" +     // 10
      kH100 + "\t1\t" + kGemm + "\t0 0 0 zz 0 0 0 0\t1\t1\t0/1\n" +    // 11
      kH100 + "\t1\t" + kGemm + "\t0 0 0\t1\t1\t0/1\n" +               // 12
      kH100 + "\t1\t" + kGemm + "\t0 0 0 0 0 0 0 0\t-3\t1\t0/1\n" +    // 13
      kH100 + "\t1\t" + kGemm + "\t0 0 0 0 0 0 0 0\t1\tnan\t0/1\n" +   // 14
      kH100 + "\t1\t" + kGemm + "\t0 0 0 0 0 0 0 0\t1\t1\t4/4\n" +     // 15
      std::string("\x01\xff\t\xfe garbage\n") +                        // 16
      kA100 + "\t2\t" + kGemm + "\t0 0 0 0 0 0 0 1\t0.5\t0.75\t1/2\n"; // 17
  const GemmTuningFile parsed = parseGemmTuningFile(text, "/c/cache.txt");
  ASSERT_EQ(parsed.entries.size(), 2u);
  EXPECT_EQ(parsed.entries[0], entry(kH100, kGemm, 1));
  EXPECT_EQ(parsed.entries[1].gpu, kA100);
  EXPECT_EQ(parsed.entries[1].algorithm[7], 1u);
  const std::vector<std::string> expected = {
      "/c/cache.txt:9: expected 7 tab-separated fields, found 1: the line is "
      "ignored",
      "/c/cache.txt:10: library version 'x' is not a number: the line is "
      "ignored",
      "/c/cache.txt:11: algorithm word 'zz' is not a 64-bit hex number: the "
      "line is ignored",
      "/c/cache.txt:12: the algorithm has 3 words, expected 8: the line is "
      "ignored",
      "/c/cache.txt:13: tuned time '-3' is not a positive number of "
      "milliseconds: the line is ignored",
      "/c/cache.txt:14: heuristic time 'nan' is neither a positive number of "
      "milliseconds nor -1: the line is ignored",
      "/c/cache.txt:15: '4/4' is not <chosen>/<candidates> with chosen < "
      "candidates: the line is ignored",
      "/c/cache.txt:16: expected 7 tab-separated fields, found 2: the line is "
      "ignored",
  };
  EXPECT_EQ(parsed.warnings, expected);
}

TEST(GemmTuningFileTest, AnotherVersionIsIgnoredWithAWarning) {
  std::string text = formatGemmTuningFile({entry(kH100, kGemm, 1)});
  const std::string header = "strata-gemm-tuning 1\n";
  text.replace(text.find(header), header.size(), "strata-gemm-tuning 2\n");
  const GemmTuningFile parsed = parseGemmTuningFile(text, "cache.txt");
  EXPECT_TRUE(parsed.entries.empty());
  ASSERT_EQ(parsed.warnings.size(), 1u);
  EXPECT_EQ(parsed.warnings[0],
            "cache.txt:7: GEMM tuning format version 2, but this build reads "
            "version 1: the file is ignored, its GEMMs are tuned again and it "
            "is rewritten");
}

TEST(GemmTuningFileTest, AForeignFileIsIgnoredWithAWarning) {
  const GemmTuningFile parsed =
      parseGemmTuningFile("\n# a comment\n{\"json\": true}\n", "x.json");
  EXPECT_TRUE(parsed.entries.empty());
  ASSERT_EQ(parsed.warnings.size(), 1u);
  EXPECT_EQ(parsed.warnings[0],
            "x.json:3: not a Strata GEMM tuning file (its first line should be "
            "'strata-gemm-tuning 1'): the file is ignored, its GEMMs are tuned "
            "again and it is rewritten");
}

TEST(GemmTuningCacheTest, MissingFileIsEmptyWithoutWarnings) {
  TempDir dir;
  GemmTuningCache cache(dir.file("absent/gemm-tuning.txt"));
  EXPECT_TRUE(cache.load().empty());
  EXPECT_EQ(cache.find(kH100, 130100, kGemm), nullptr);
}

TEST(GemmTuningCacheTest, UnreadablePathIsAWarning) {
  TempDir dir;
  GemmTuningCache cache(dir.path()); // a directory
  const std::vector<std::string> warnings = cache.load();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find(dir.path()), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("tuned again"), std::string::npos) << warnings[0];
}

TEST(GemmTuningCacheTest, RecordWritesAFileAnotherProcessReads) {
  TempDir dir;
  const std::string path = dir.file("nested/dir/gemm-tuning.txt");
  GemmTuningCache writer(path);
  std::vector<std::string> warnings;
  StatusOr<GemmTuningEntry> kept = writer.record(
      entry(kH100, kGemm, 1), GemmTuningCache::Merge::KeepExisting, warnings);
  ASSERT_TRUE(kept.isOk()) << kept.status().message();
  EXPECT_EQ(*kept, entry(kH100, kGemm, 1));
  EXPECT_TRUE(warnings.empty());
  ASSERT_NE(writer.find(kH100, 130100, kGemm), nullptr);

  GemmTuningCache reader(path);
  EXPECT_TRUE(reader.load().empty());
  const GemmTuningEntry *found = reader.find(kH100, 130100, kGemm);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(*found, entry(kH100, kGemm, 1));
  // No temporary file is left beside it.
  for (const auto &file :
       std::filesystem::directory_iterator(dir.file("nested/dir")))
    EXPECT_TRUE(file.path().filename() == "gemm-tuning.txt" ||
                file.path().filename() == "gemm-tuning.txt.lock")
        << file.path();
}

TEST(GemmTuningCacheTest, RecordMergesEntriesOfOtherProcesses) {
  TempDir dir;
  const std::string path = dir.file("gemm-tuning.txt");
  const std::string other = "F32 m=1 n=2 k=3 (A, B) lda=3 ldb=2 ldc=2 "
                            "align=256/256/256";
  GemmTuningCache first(path), second(path);
  first.load();
  second.load(); // before the first records: an old view
  std::vector<std::string> warnings;
  ASSERT_TRUE(first
                  .record(entry(kH100, kGemm, 1),
                          GemmTuningCache::Merge::KeepExisting, warnings)
                  .isOk());
  ASSERT_TRUE(second
                  .record(entry(kH100, other, 2),
                          GemmTuningCache::Merge::KeepExisting, warnings)
                  .isOk());
  GemmTuningCache reader(path);
  reader.load();
  EXPECT_NE(reader.find(kH100, 130100, kGemm), nullptr);
  EXPECT_NE(reader.find(kH100, 130100, other), nullptr);
  // The second now also sees the first's entry.
  EXPECT_NE(second.find(kH100, 130100, kGemm), nullptr);
}

TEST(GemmTuningCacheTest, TheFirstRecordedEntryOfAKeyStays) {
  TempDir dir;
  const std::string path = dir.file("gemm-tuning.txt");
  GemmTuningCache first(path), second(path);
  std::vector<std::string> warnings;
  ASSERT_TRUE(first
                  .record(entry(kH100, kGemm, 1),
                          GemmTuningCache::Merge::KeepExisting, warnings)
                  .isOk());
  // A process that measured the same GEMM later adopts the first choice.
  StatusOr<GemmTuningEntry> kept = second.record(
      entry(kH100, kGemm, 2), GemmTuningCache::Merge::KeepExisting, warnings);
  ASSERT_TRUE(kept.isOk());
  EXPECT_EQ(*kept, entry(kH100, kGemm, 1));
  // Replace overwrites it (the entry was unusable).
  kept = second.record(entry(kH100, kGemm, 3), GemmTuningCache::Merge::Replace,
                       warnings);
  ASSERT_TRUE(kept.isOk());
  EXPECT_EQ(*kept, entry(kH100, kGemm, 3));
  GemmTuningCache reader(path);
  reader.load();
  ASSERT_NE(reader.find(kH100, 130100, kGemm), nullptr);
  EXPECT_EQ(*reader.find(kH100, 130100, kGemm), entry(kH100, kGemm, 3));
}

TEST(GemmTuningCacheTest, EntriesOfOtherGpusAndVersionsNeverMatchButStay) {
  TempDir dir;
  const std::string path = dir.file("gemm-tuning.txt");
  writeText(path, formatGemmTuningFile({entry(kA100, kGemm, 1)}));
  GemmTuningCache cache(path);
  EXPECT_TRUE(cache.load().empty());
  EXPECT_EQ(cache.find(kH100, 130100, kGemm), nullptr);
  EXPECT_EQ(cache.find(kA100, 130000, kGemm), nullptr);
  EXPECT_NE(cache.find(kA100, 130100, kGemm), nullptr);
  std::vector<std::string> warnings;
  ASSERT_TRUE(cache
                  .record(entry(kH100, kGemm, 2),
                          GemmTuningCache::Merge::KeepExisting, warnings)
                  .isOk());
  const GemmTuningFile file = parseGemmTuningFile(readText(path), path);
  ASSERT_EQ(file.entries.size(), 2u);
  EXPECT_EQ(file.entries[0], entry(kA100, kGemm, 1));
  EXPECT_EQ(file.entries[1], entry(kH100, kGemm, 2));
}

TEST(GemmTuningCacheTest, ACorruptFileIsRewrittenWithoutItsBadLines) {
  TempDir dir;
  const std::string path = dir.file("gemm-tuning.txt");
  writeText(path,
            formatGemmTuningFile({entry(kA100, kGemm, 1)}) + "truncated li");
  GemmTuningCache cache(path);
  const std::vector<std::string> loaded = cache.load();
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded[0].rfind(path + ":9: ", 0), 0u) << loaded[0];
  std::vector<std::string> warnings;
  ASSERT_TRUE(cache
                  .record(entry(kH100, kGemm, 2),
                          GemmTuningCache::Merge::KeepExisting, warnings)
                  .isOk());
  EXPECT_EQ(warnings, loaded); // seen again under the lock
  const GemmTuningFile file = parseGemmTuningFile(readText(path), path);
  EXPECT_TRUE(file.warnings.empty());
  EXPECT_EQ(file.entries.size(), 2u);
}

TEST(GemmTuningCacheTest, AFileOfAnotherVersionIsReplaced) {
  TempDir dir;
  const std::string path = dir.file("gemm-tuning.txt");
  writeText(path, "strata-gemm-tuning 9\nwhatever version 9 holds\n");
  GemmTuningCache cache(path);
  const std::vector<std::string> loaded = cache.load();
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded[0].rfind(path + ":1: GEMM tuning format version 9", 0), 0u)
      << loaded[0];
  std::vector<std::string> warnings;
  ASSERT_TRUE(cache
                  .record(entry(kH100, kGemm, 2),
                          GemmTuningCache::Merge::KeepExisting, warnings)
                  .isOk());
  const GemmTuningFile file = parseGemmTuningFile(readText(path), path);
  EXPECT_TRUE(file.warnings.empty());
  ASSERT_EQ(file.entries.size(), 1u);
  EXPECT_EQ(file.entries[0], entry(kH100, kGemm, 2));
}

TEST(GemmTuningCacheTest, ConcurrentRecordsLoseNothing) {
  TempDir dir;
  const std::string path = dir.file("gemm-tuning.txt");
  constexpr int kWriters = 8, kEach = 5;
  std::vector<std::thread> writers;
  std::vector<int> failures(kWriters, 0);
  for (int w = 0; w < kWriters; ++w)
    writers.emplace_back([&, w] {
      // Each thread is its own "process": its own view and lock descriptor.
      GemmTuningCache cache(path);
      std::vector<std::string> warnings;
      for (int i = 0; i < kEach; ++i)
        failures[size_t(w)] +=
            !cache
                 .record(entry(kH100,
                               kGemm + " #" + std::to_string(w * kEach + i),
                               uint64_t(i)),
                         GemmTuningCache::Merge::KeepExisting, warnings)
                 .isOk();
    });
  for (std::thread &writer : writers)
    writer.join();
  EXPECT_EQ(failures, std::vector<int>(kWriters, 0));
  const GemmTuningFile file = parseGemmTuningFile(readText(path), path);
  EXPECT_TRUE(file.warnings.empty());
  EXPECT_EQ(file.entries.size(), size_t(kWriters * kEach));
}

TEST(GemmTuningCacheTest, AnEntryWithATabIsRefused) {
  TempDir dir;
  GemmTuningCache cache(dir.file("gemm-tuning.txt"));
  std::vector<std::string> warnings;
  StatusOr<GemmTuningEntry> kept =
      cache.record(entry("GPU\twith tab", kGemm, 1),
                   GemmTuningCache::Merge::KeepExisting, warnings);
  ASSERT_FALSE(kept.isOk());
  EXPECT_EQ(kept.status().code(), StatusCode::kInvalidArgument);
}

TEST(GemmTuningCacheTest, DefaultPathFollowsTheEnvironment) {
  const auto saved = [](const char *name) {
    const char *value = std::getenv(name);
    return value ? std::optional<std::string>(value) : std::nullopt;
  };
  const auto cache = saved("STRATA_GEMM_CACHE"), xdg = saved("XDG_CACHE_HOME"),
             home = saved("HOME");
  ::setenv("STRATA_GEMM_CACHE", "/x/mine.txt", 1);
  ::setenv("XDG_CACHE_HOME", "/xdg", 1);
  ::setenv("HOME", "/home/me", 1);
  EXPECT_EQ(defaultGemmTuningCachePath(), "/x/mine.txt");
  ::unsetenv("STRATA_GEMM_CACHE");
  EXPECT_EQ(defaultGemmTuningCachePath(), "/xdg/strata/gemm-tuning.txt");
  ::unsetenv("XDG_CACHE_HOME");
  EXPECT_EQ(defaultGemmTuningCachePath(),
            "/home/me/.cache/strata/gemm-tuning.txt");
  const auto restore = [](const char *name,
                          const std::optional<std::string> &value) {
    if (value)
      ::setenv(name, value->c_str(), 1);
    else
      ::unsetenv(name);
  };
  restore("STRATA_GEMM_CACHE", cache);
  restore("XDG_CACHE_HOME", xdg);
  restore("HOME", home);
}

} // namespace
} // namespace strata::runtime
