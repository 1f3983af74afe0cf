//===- event_file_writer_test.cc ------------------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Reads the written file back: TFRecord framing with both CRCs checked,
// payloads decoded with the generated protobuf classes.
//
//===----------------------------------------------------------------------===//
#include "runtime/training/tensorboard/event_file_writer.h"

#include "runtime/io/crc32c.h"
#include "runtime/training/tensorboard/event.pb.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace strata::runtime::training {
namespace {

uint64_t littleEndian(const std::string &bytes, size_t at, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i)
    v = (v << 8) | static_cast<uint8_t>(bytes[at + i]);
  return v;
}

/// The payloads of |bytes|'s TFRecords; fails the test on a bad CRC.
std::vector<std::string> records(const std::string &bytes) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < bytes.size()) {
    EXPECT_LE(at + 12, bytes.size());
    const uint64_t length = littleEndian(bytes, at, 8);
    EXPECT_EQ(littleEndian(bytes, at + 8, 4),
              io::maskCrc32c(io::crc32c(bytes.data() + at, 8)));
    std::string payload = bytes.substr(at + 12, length);
    EXPECT_EQ(littleEndian(bytes, at + 12 + length, 4),
              io::maskCrc32c(io::crc32c(payload.data(), payload.size())));
    out.push_back(std::move(payload));
    at += 12 + length + 4;
  }
  return out;
}

TEST(EventFileWriterTest, FileVersionThenOneEventPerStep) {
  ASSERT_TRUE(EventFileWriter::isAvailable());
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("strata-tb-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string path, second;
  {
    StatusOr<EventFileWriter> writer = EventFileWriter::open(dir.string());
    ASSERT_TRUE(writer.isOk()) << writer.status().message();
    ASSERT_TRUE(writer->write(1, {{"loss", 10.5}, {"lr", 1e-4}}).isOk());
    ASSERT_TRUE(writer->write(2, {{"val_loss", 9.25}}).isOk());
    path = writer->path();
    // A second writer of the same second gets a file of its own.
    StatusOr<EventFileWriter> other = EventFileWriter::open(dir.string());
    ASSERT_TRUE(other.isOk());
    second = other->path();
  }
  EXPECT_NE(path, second);
  EXPECT_EQ(std::filesystem::path(path).filename().string().rfind(
                "events.out.tfevents.", 0),
            0u);
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  std::vector<std::string> payloads = records(text.str());
  ASSERT_EQ(payloads.size(), 3u);
  tensorboard::Event event;
  ASSERT_TRUE(event.ParseFromString(payloads[0]));
  EXPECT_EQ(event.file_version(), "brain.Event:2");
  EXPECT_GT(event.wall_time(), 1.6e9);
  ASSERT_TRUE(event.ParseFromString(payloads[1]));
  EXPECT_EQ(event.step(), 1);
  ASSERT_EQ(event.summary().value_size(), 2);
  EXPECT_EQ(event.summary().value(0).tag(), "loss");
  EXPECT_EQ(event.summary().value(0).simple_value(), 10.5f);
  EXPECT_EQ(event.summary().value(1).simple_value(), 1e-4f);
  ASSERT_TRUE(event.ParseFromString(payloads[2]));
  EXPECT_EQ(event.step(), 2);
  EXPECT_EQ(event.summary().value(0).tag(), "val_loss");
  std::filesystem::remove_all(dir);
}

TEST(EventFileWriterTest, AMissingDirectoryIsAnErrorNamingIt) {
  StatusOr<EventFileWriter> writer =
      EventFileWriter::open("/nonexistent-strata-dir/x");
  ASSERT_FALSE(writer.isOk());
  EXPECT_NE(writer.status().message().find("/nonexistent-strata-dir/x"),
            std::string::npos)
      << writer.status().message();
}

} // namespace
} // namespace strata::runtime::training
