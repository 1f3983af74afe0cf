//===- file_io.cc - checked file reads and atomic file writes -------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/io/file_io.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>
#include <stdexcept>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace strata::runtime::io {

std::string ioErrorMessage(const std::string &path, const std::string &what,
                           int errnum) {
  return path + ": " + what + ": " + std::strerror(errnum);
}

namespace {

// Closes |fd|, retrying nothing: POSIX leaves the descriptor state after
// EINTR unspecified and Linux always releases it.
int closeDescriptor(int fd) { return ::close(fd); }

// The directory holding |path| ("." for a bare file name).
std::string parentDirectory(const std::string &path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  if (slash == 0)
    return "/";
  return path.substr(0, slash);
}

} // namespace

//===----------------------------------------------------------------------===//
// ReadOnlyFile
//===----------------------------------------------------------------------===//

StatusOr<ReadOnlyFile> ReadOnlyFile::open(const std::string &path) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    int err = errno;
    std::string message = ioErrorMessage(path, "cannot open", err);
    if (err == ENOENT || err == ENOTDIR)
      return Status::notFound(message);
    return Status::invalidArgument(message);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    closeDescriptor(fd);
    return Status::invalidArgument(ioErrorMessage(path, "cannot stat", err));
  }
  if (!S_ISREG(st.st_mode)) {
    closeDescriptor(fd);
    return Status::invalidArgument(path + ": not a regular file");
  }
  return ReadOnlyFile(fd, static_cast<uint64_t>(st.st_size), path);
}

ReadOnlyFile::ReadOnlyFile(ReadOnlyFile &&other) noexcept
    : fd_(other.fd_), size_(other.size_), path_(std::move(other.path_)) {
  other.fd_ = -1;
}

ReadOnlyFile &ReadOnlyFile::operator=(ReadOnlyFile &&other) noexcept {
  if (this != &other) {
    if (fd_ >= 0)
      closeDescriptor(fd_);
    fd_ = other.fd_;
    size_ = other.size_;
    path_ = std::move(other.path_);
    other.fd_ = -1;
  }
  return *this;
}

ReadOnlyFile::~ReadOnlyFile() {
  if (fd_ >= 0)
    closeDescriptor(fd_);
}

Status ReadOnlyFile::readAt(uint64_t offset, void *out, size_t count) const {
  uint8_t *dst = static_cast<uint8_t *>(out);
  size_t done = 0;
  while (done < count) {
    // Linux caps one read at about 2 GiB; larger tensors take several.
    size_t chunk = std::min<size_t>(count - done, size_t(1) << 30);
    ssize_t got = ::pread(fd_, dst + done, chunk,
                          static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR)
        continue;
      return Status::dataLoss(ioErrorMessage(
          path_, "read of " + std::to_string(count) + " bytes at offset " +
                     std::to_string(offset) + " failed",
          errno));
    }
    if (got == 0)
      return Status::dataLoss(
          path_ + ": file ended at byte " + std::to_string(offset + done) +
          " while reading " + std::to_string(count) + " bytes at offset " +
          std::to_string(offset) + " (it was truncated while being read)");
    done += static_cast<size_t>(got);
  }
  return Status::ok();
}

StatusOr<std::vector<uint8_t>> readWholeFile(const std::string &path) {
  STRATA_ASSIGN_OR_RETURN(ReadOnlyFile file, ReadOnlyFile::open(path));
  std::vector<uint8_t> bytes;
  try {
    bytes.resize(file.size());
  } catch (const std::bad_alloc &) {
    return Status::unavailable(path + ": cannot allocate " +
                               std::to_string(file.size()) +
                               " bytes to read it");
  } catch (const std::length_error &) {
    return Status::unavailable(path + ": cannot allocate " +
                               std::to_string(file.size()) +
                               " bytes to read it");
  }
  STRATA_RETURN_IF_ERROR(file.readAt(0, bytes.data(), bytes.size()));
  return bytes;
}

//===----------------------------------------------------------------------===//
// AtomicFileWriter
//===----------------------------------------------------------------------===//

StatusOr<AtomicFileWriter> AtomicFileWriter::open(const std::string &path) {
  if (path.empty())
    return Status::invalidArgument("cannot write a file with an empty path");
  std::string tmpPath = path + ".tmp." + std::to_string(::getpid());
  int fd;
  do {
    fd = ::open(tmpPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    int err = errno;
    std::string message = ioErrorMessage(tmpPath, "cannot create", err);
    if (err == ENOENT || err == ENOTDIR)
      return Status::notFound(message);
    return Status::invalidArgument(message);
  }
  return AtomicFileWriter(fd, path, std::move(tmpPath));
}

AtomicFileWriter::AtomicFileWriter(AtomicFileWriter &&other) noexcept
    : fd_(other.fd_), path_(std::move(other.path_)),
      tmpPath_(std::move(other.tmpPath_)) {
  other.fd_ = -1;
  other.tmpPath_.clear();
}

AtomicFileWriter &
AtomicFileWriter::operator=(AtomicFileWriter &&other) noexcept {
  if (this != &other) {
    abandon();
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    tmpPath_ = std::move(other.tmpPath_);
    other.fd_ = -1;
    other.tmpPath_.clear();
  }
  return *this;
}

AtomicFileWriter::~AtomicFileWriter() { abandon(); }

void AtomicFileWriter::abandon() {
  if (fd_ >= 0) {
    closeDescriptor(fd_);
    fd_ = -1;
  }
  if (!tmpPath_.empty()) {
    ::unlink(tmpPath_.c_str());
    tmpPath_.clear();
  }
}

Status AtomicFileWriter::append(const void *data, size_t count) {
  if (fd_ < 0)
    return Status::failedPrecondition(path_ +
                                      ": append after commit or failure");
  const uint8_t *src = static_cast<const uint8_t *>(data);
  size_t done = 0;
  while (done < count) {
    size_t chunk = std::min<size_t>(count - done, size_t(1) << 30);
    ssize_t put = ::write(fd_, src + done, chunk);
    if (put < 0) {
      if (errno == EINTR)
        continue;
      Status status = Status::unavailable(ioErrorMessage(
          tmpPath_, "write of " + std::to_string(count) + " bytes failed",
          errno));
      abandon();
      return status;
    }
    done += static_cast<size_t>(put);
  }
  return Status::ok();
}

Status AtomicFileWriter::commit() {
  if (fd_ < 0)
    return Status::failedPrecondition(path_ +
                                      ": commit after commit or failure");
  if (::fsync(fd_) != 0) {
    Status status =
        Status::unavailable(ioErrorMessage(tmpPath_, "fsync failed", errno));
    abandon();
    return status;
  }
  int fd = fd_;
  fd_ = -1;
  if (closeDescriptor(fd) != 0) {
    Status status =
        Status::unavailable(ioErrorMessage(tmpPath_, "close failed", errno));
    abandon();
    return status;
  }
  if (::rename(tmpPath_.c_str(), path_.c_str()) != 0) {
    Status status = Status::unavailable(ioErrorMessage(
        tmpPath_, "cannot rename to " + path_, errno));
    abandon();
    return status;
  }
  tmpPath_.clear(); // it is the final file now
  // Make the rename itself durable.
  std::string directory = parentDirectory(path_);
  int dirFd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd < 0)
    return Status::unavailable(
        ioErrorMessage(directory, "cannot open directory to fsync", errno));
  int rc = ::fsync(dirFd);
  int err = errno;
  closeDescriptor(dirFd);
  // Some file systems refuse fsync on directories; the rename happened.
  if (rc != 0 && err != EINVAL && err != ENOTSUP)
    return Status::unavailable(
        ioErrorMessage(directory, "directory fsync failed", err));
  return Status::ok();
}

Status writeFileAtomically(const std::string &path, const void *bytes,
                           size_t count) {
  STRATA_ASSIGN_OR_RETURN(AtomicFileWriter writer,
                          AtomicFileWriter::open(path));
  STRATA_RETURN_IF_ERROR(writer.append(bytes, count));
  return writer.commit();
}

} // namespace strata::runtime::io
