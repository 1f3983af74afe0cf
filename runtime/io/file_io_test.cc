//===- file_io_test.cc - tests of checked reads and atomic writes ---------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/io/file_io.h"

#include "runtime/io/io_test_support.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

namespace strata::runtime::io {
namespace {

using testing::readBytes;
using testing::TempDir;
using testing::writeBytes;

std::vector<uint8_t> bytesOf(const std::string &text) {
  return std::vector<uint8_t>(text.begin(), text.end());
}

std::string tmpNameFor(const std::string &path) {
  return path + ".tmp." + std::to_string(::getpid());
}

TEST(IoFileTest, OpenMissingFileIsNotFound) {
  TempDir dir;
  StatusOr<ReadOnlyFile> file = ReadOnlyFile::open(dir.file("absent.bin"));
  ASSERT_FALSE(file.isOk());
  EXPECT_EQ(file.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(file.status().message(),
            dir.file("absent.bin") + ": cannot open: No such file or directory");
}

TEST(IoFileTest, OpenDirectoryIsAnError) {
  TempDir dir;
  StatusOr<ReadOnlyFile> file = ReadOnlyFile::open(dir.path());
  ASSERT_FALSE(file.isOk());
  EXPECT_EQ(file.status().message(), dir.path() + ": not a regular file");
}

TEST(IoFileTest, ReadAtChecksTheEnd) {
  TempDir dir;
  ASSERT_TRUE(writeBytes(dir.file("ten"), bytesOf("0123456789")));
  StatusOr<ReadOnlyFile> file = ReadOnlyFile::open(dir.file("ten"));
  ASSERT_TRUE(file.isOk());
  EXPECT_EQ(file->size(), 10u);
  char buffer[8] = {};
  ASSERT_TRUE(file->readAt(3, buffer, 4).isOk());
  EXPECT_EQ(std::string(buffer, 4), "3456");
  Status past = file->readAt(8, buffer, 4);
  ASSERT_FALSE(past.isOk());
  EXPECT_EQ(past.code(), StatusCode::kDataLoss);
  EXPECT_EQ(past.message(),
            dir.file("ten") + ": file ended at byte 10 while reading 4 bytes "
                              "at offset 8 (it was truncated while being "
                              "read)");
}

TEST(IoFileTest, ReadWholeFile) {
  TempDir dir;
  ASSERT_TRUE(writeBytes(dir.file("a"), bytesOf("hello")));
  StatusOr<std::vector<uint8_t>> bytes = readWholeFile(dir.file("a"));
  ASSERT_TRUE(bytes.isOk());
  EXPECT_EQ(bytes.value(), bytesOf("hello"));
  ASSERT_TRUE(writeBytes(dir.file("empty"), {}));
  StatusOr<std::vector<uint8_t>> empty = readWholeFile(dir.file("empty"));
  ASSERT_TRUE(empty.isOk());
  EXPECT_TRUE(empty->empty());
}

TEST(IoFileTest, AtomicWriteReplacesTheFileAndLeavesNoTemporary) {
  TempDir dir;
  const std::string path = dir.file("out.bin");
  ASSERT_TRUE(writeBytes(path, bytesOf("old contents")));
  struct stat before;
  ASSERT_EQ(::stat(path.c_str(), &before), 0);
  ASSERT_TRUE(writeFileAtomically(path, "new", 3).isOk());
  EXPECT_EQ(readBytes(path), bytesOf("new"));
  EXPECT_FALSE(std::filesystem::exists(tmpNameFor(path)));
  struct stat after;
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  EXPECT_NE(before.st_ino, after.st_ino); // a new file renamed in, not a
                                          // rewrite in place
}

TEST(IoFileTest, AbandonedWriterKeepsThePreviousFile) {
  TempDir dir;
  const std::string path = dir.file("out.bin");
  ASSERT_TRUE(writeBytes(path, bytesOf("previous")));
  {
    StatusOr<AtomicFileWriter> writer = AtomicFileWriter::open(path);
    ASSERT_TRUE(writer.isOk());
    EXPECT_EQ(writer->temporaryPath(), tmpNameFor(path));
    ASSERT_TRUE(writer->append("partial", 7).isOk());
    EXPECT_TRUE(std::filesystem::exists(tmpNameFor(path)));
    EXPECT_EQ(readBytes(path), bytesOf("previous"));
    // Destroyed without commit(): as if the job stopped mid-write.
  }
  EXPECT_EQ(readBytes(path), bytesOf("previous"));
  EXPECT_FALSE(std::filesystem::exists(tmpNameFor(path)));
}

TEST(IoFileTest, StaleTemporaryOfTheSamePidIsOverwritten) {
  TempDir dir;
  const std::string path = dir.file("out.bin");
  ASSERT_TRUE(writeBytes(tmpNameFor(path), bytesOf("stale garbage, long")));
  ASSERT_TRUE(writeFileAtomically(path, "fresh", 5).isOk());
  EXPECT_EQ(readBytes(path), bytesOf("fresh"));
}

TEST(IoFileTest, AtomicWriteIntoMissingDirectoryFails) {
  TempDir dir;
  const std::string path = dir.file("no/such/dir/out.bin");
  Status status = writeFileAtomically(path, "x", 1);
  ASSERT_FALSE(status.isOk());
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_NE(status.message().find(tmpNameFor(path) + ": cannot create"),
            std::string::npos);
}

TEST(IoFileTest, WriterRefusesUseAfterCommit) {
  TempDir dir;
  StatusOr<AtomicFileWriter> writer =
      AtomicFileWriter::open(dir.file("once"));
  ASSERT_TRUE(writer.isOk());
  ASSERT_TRUE(writer->commit().isOk());
  EXPECT_EQ(writer->append("x", 1).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(writer->commit().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(readBytes(dir.file("once")).empty());
}

TEST(IoFileTest, BareFileNameWritesInTheWorkingDirectory) {
  TempDir dir;
  char previous[4096];
  ASSERT_NE(::getcwd(previous, sizeof previous), nullptr);
  ASSERT_EQ(::chdir(dir.path().c_str()), 0);
  Status status = writeFileAtomically("bare.bin", "abc", 3);
  EXPECT_EQ(::chdir(previous), 0);
  ASSERT_TRUE(status.isOk()) << status.toString();
  EXPECT_EQ(readBytes(dir.file("bare.bin")), bytesOf("abc"));
}

} // namespace
} // namespace strata::runtime::io
