//===- event_file_writer.h - TensorBoard event files ------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Training's scalars for TensorBoard, as NeMo's experiment manager logs
// them: an events.out.tfevents.<seconds>.<host> file of TFRecords (uint64
// length, masked CRC-32C of the length, the payload, masked CRC-32C of the
// payload; little-endian), each payload an Event protocol buffer
// (event.proto): first file_version "brain.Event:2", then one Event per
// step with its scalars. Encoded with Debian's protobuf library; a build
// without it has no TensorBoard output (isAvailable() false).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_TRAINING_TENSORBOARD_EVENT_FILE_WRITER_H
#define STRATA_RUNTIME_TRAINING_TENSORBOARD_EVENT_FILE_WRITER_H

#include "runtime/support/status.h"

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strata::runtime::training {

/// Appends |payload| to |out| in TFRecord framing.
void appendTfRecord(std::string &out, std::string_view payload);

class EventFileWriter {
public:
  /// Whether this build writes event files (protobuf was found).
  static bool isAvailable();
  /// Creates a new event file in |directory| (never overwriting one: a
  /// second file of the same second gets a suffix) and writes its
  /// file_version record.
  static StatusOr<EventFileWriter> open(const std::string &directory);

  EventFileWriter(EventFileWriter &&other) noexcept;
  EventFileWriter &operator=(EventFileWriter &&) = delete;
  ~EventFileWriter();

  /// One Event at |step| with |scalars| (tag, value), written and flushed.
  Status write(int64_t step,
               const std::vector<std::pair<std::string, double>> &scalars);

  const std::string &path() const { return path_; }

private:
  EventFileWriter(std::FILE *file, std::string path)
      : file_(file), path_(std::move(path)) {}
  Status writeRecord(const std::string &payload);

  std::FILE *file_ = nullptr;
  std::string path_;
};

} // namespace strata::runtime::training

#endif // STRATA_RUNTIME_TRAINING_TENSORBOARD_EVENT_FILE_WRITER_H
