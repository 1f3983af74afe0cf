//===- file_io.h - checked file reads and atomic file writes ----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// POSIX file access for the readers and writers of this library. Reads are
// positioned reads (pread) into caller memory, never mmap: a file truncated
// while it is read then gives a Status instead of SIGBUS. Writes are atomic:
// the bytes go to `<path>.tmp.<pid>`, which is fsync'ed and renamed over
// `<path>`, and then the directory is fsync'ed, so after a crash at any moment
// `<path>` holds either the previous file or the complete new one.
//
// Usage:
//   STRATA_ASSIGN_OR_RETURN(AtomicFileWriter out, AtomicFileWriter::open(p));
//   STRATA_RETURN_IF_ERROR(out.append(header.data(), header.size()));
//   STRATA_RETURN_IF_ERROR(out.commit());   // not committed: nothing changes
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_IO_FILE_IO_H
#define STRATA_RUNTIME_IO_FILE_IO_H

#include "runtime/support/status.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace strata::runtime::io {

/// "<path>: <what>: <strerror(errnum)>", the form of every I/O error here.
std::string ioErrorMessage(const std::string &path, const std::string &what,
                           int errnum);

/// A regular file opened for positioned reads. Movable, not copyable.
class ReadOnlyFile {
public:
  /// Opens |path|; kNotFound when it does not exist, kInvalidArgument when it
  /// is not a regular file (a directory, a FIFO...).
  static StatusOr<ReadOnlyFile> open(const std::string &path);

  ReadOnlyFile(ReadOnlyFile &&other) noexcept;
  ReadOnlyFile &operator=(ReadOnlyFile &&other) noexcept;
  ReadOnlyFile(const ReadOnlyFile &) = delete;
  ReadOnlyFile &operator=(const ReadOnlyFile &) = delete;
  ~ReadOnlyFile();

  /// The size in bytes when the file was opened.
  uint64_t size() const { return size_; }
  /// The path it was opened with.
  const std::string &path() const { return path_; }

  /// Reads exactly |count| bytes at |offset| into |out|; kDataLoss naming the
  /// offset when the file ends first (it shrank since open()).
  Status readAt(uint64_t offset, void *out, size_t count) const;

private:
  ReadOnlyFile(int fd, uint64_t size, std::string path)
      : fd_(fd), size_(size), path_(std::move(path)) {}
  int fd_ = -1;
  uint64_t size_ = 0;
  std::string path_;
};

/// The whole content of |path|.
StatusOr<std::vector<uint8_t>> readWholeFile(const std::string &path);

/// Writes a file atomically (see the file comment). Movable, not copyable.
/// Destroying a writer that was not committed removes its temporary file
/// and leaves `<path>` untouched.
class AtomicFileWriter {
public:
  /// Creates `<path>.tmp.<pid>` (truncating a stale one of the same name).
  static StatusOr<AtomicFileWriter> open(const std::string &path);

  AtomicFileWriter(AtomicFileWriter &&other) noexcept;
  AtomicFileWriter &operator=(AtomicFileWriter &&other) noexcept;
  AtomicFileWriter(const AtomicFileWriter &) = delete;
  AtomicFileWriter &operator=(const AtomicFileWriter &) = delete;
  ~AtomicFileWriter();

  /// Appends |count| bytes (retrying short writes and EINTR).
  Status append(const void *data, size_t count);

  /// fsync, close, rename over the final path, fsync the directory. After
  /// an error the temporary file is removed and the final path untouched
  /// (unless the error came from the directory fsync, after the rename).
  Status commit();

  /// The final path and the temporary path.
  const std::string &path() const { return path_; }
  const std::string &temporaryPath() const { return tmpPath_; }

private:
  AtomicFileWriter(int fd, std::string path, std::string tmpPath)
      : fd_(fd), path_(std::move(path)), tmpPath_(std::move(tmpPath)) {}
  void abandon();
  int fd_ = -1;
  std::string path_;
  std::string tmpPath_;
};

/// Writes |bytes| to |path| through an AtomicFileWriter.
Status writeFileAtomically(const std::string &path, const void *bytes,
                           size_t count);

} // namespace strata::runtime::io

#endif // STRATA_RUNTIME_IO_FILE_IO_H
