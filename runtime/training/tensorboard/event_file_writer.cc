//===- event_file_writer.cc - TensorBoard event files ---------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/training/tensorboard/event_file_writer.h"

#include "runtime/io/crc32c.h"
#include "runtime/io/file_io.h"

#if STRATA_HAVE_PROTOBUF
#include "runtime/training/tensorboard/event.pb.h"
#endif

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <unistd.h>

namespace strata::runtime::training {

namespace {

void appendLittleEndian(std::string &out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

double wallTime() {
  return std::chrono::duration<double>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

#if STRATA_HAVE_PROTOBUF
std::string fileVersionEvent() {
  tensorboard::Event event;
  event.set_wall_time(wallTime());
  event.set_file_version("brain.Event:2");
  return event.SerializeAsString();
}

std::string scalarsEvent(
    int64_t step, const std::vector<std::pair<std::string, double>> &scalars) {
  tensorboard::Event event;
  event.set_wall_time(wallTime());
  event.set_step(step);
  tensorboard::Summary *summary = event.mutable_summary();
  for (const auto &[tag, value] : scalars) {
    tensorboard::Summary::Value *v = summary->add_value();
    v->set_tag(tag);
    v->set_simple_value(static_cast<float>(value)); // TensorBoard's type
  }
  return event.SerializeAsString();
}
#endif

std::string hostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0')
    return "localhost";
  return name;
}

} // namespace

void appendTfRecord(std::string &out, std::string_view payload) {
  std::string length;
  appendLittleEndian(length, payload.size(), 8);
  out += length;
  appendLittleEndian(
      out, io::maskCrc32c(io::crc32c(length.data(), length.size())), 4);
  out.append(payload.data(), payload.size());
  appendLittleEndian(
      out, io::maskCrc32c(io::crc32c(payload.data(), payload.size())), 4);
}

bool EventFileWriter::isAvailable() { return STRATA_HAVE_PROTOBUF != 0; }

StatusOr<EventFileWriter> EventFileWriter::open(const std::string &directory) {
  if (!isAvailable())
    return Status::unimplemented(
        "TensorBoard event files need Strata built with protobuf "
        "(libprotobuf-dev, protobuf-compiler)");
  const std::string stem =
      (std::filesystem::path(directory) /
       ("events.out.tfevents." +
        std::to_string(static_cast<long long>(wallTime())) + "." + hostName()))
          .string();
  // "x": never take over an existing file (two runs in the same second).
  for (int suffix = 0; suffix < 100; ++suffix) {
    std::string path =
        suffix == 0 ? stem : stem + "." + std::to_string(suffix);
    std::FILE *file = std::fopen(path.c_str(), "wbx");
    if (!file && errno == EEXIST)
      continue;
    if (!file)
      return Status::unavailable(
          io::ioErrorMessage(path, "cannot create the event file", errno));
    EventFileWriter writer(file, std::move(path));
#if STRATA_HAVE_PROTOBUF
    STRATA_RETURN_IF_ERROR(writer.writeRecord(fileVersionEvent()));
#endif
    return writer;
  }
  return Status::unavailable(stem + ".*: too many event files of this second");
}

EventFileWriter::EventFileWriter(EventFileWriter &&other) noexcept
    : file_(other.file_), path_(std::move(other.path_)) {
  other.file_ = nullptr;
}

EventFileWriter::~EventFileWriter() {
  if (file_)
    std::fclose(file_);
}

Status EventFileWriter::writeRecord(const std::string &payload) {
  std::string record;
  appendTfRecord(record, payload);
  if (std::fwrite(record.data(), 1, record.size(), file_) != record.size() ||
      std::fflush(file_) != 0)
    return Status::unavailable(
        io::ioErrorMessage(path_, "cannot write the event file", errno));
  return Status::ok();
}

Status EventFileWriter::write(
    int64_t step, const std::vector<std::pair<std::string, double>> &scalars) {
#if STRATA_HAVE_PROTOBUF
  return writeRecord(scalarsEvent(step, scalars));
#else
  (void)step;
  (void)scalars;
  return Status::unimplemented("built without protobuf");
#endif
}

} // namespace strata::runtime::training
