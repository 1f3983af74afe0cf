//===- safetensors_test.cc - tests of the safetensors reader and writer ---===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/io/safetensors.h"

#include "runtime/io/io_test_support.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <set>
#include <cmath>
#include <filesystem>
#include <thread>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace strata::runtime::io {
namespace {

using testing::randomTensor;
using testing::readBytes;
using testing::splitmix64;
using testing::TempDir;
using testing::writeBytes;

const char *const kName = "t.safetensors";

std::vector<uint8_t> le64(uint64_t n) {
  std::vector<uint8_t> out;
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<uint8_t>(n >> (8 * i)));
  return out;
}

// A file from a header text (used verbatim) and a data section.
std::vector<uint8_t> makeFile(const std::string &header,
                              const std::vector<uint8_t> &data = {}) {
  std::vector<uint8_t> out = le64(header.size());
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

std::vector<uint8_t> zeros(size_t n) { return std::vector<uint8_t>(n, 0); }

// The error parsing |bytes| gives; fails the test when parsing succeeds.
Status parseError(const std::vector<uint8_t> &bytes) {
  StatusOr<SafetensorsContents> result =
      parseSafetensors(bytes.data(), bytes.size(), kName);
  EXPECT_FALSE(result.isOk()) << "parsed a corrupt file";
  return result.isOk() ? Status::ok() : result.status();
}

std::string errorOf(const std::string &header,
                    const std::vector<uint8_t> &data = {}) {
  return parseError(makeFile(header, data)).message();
}

TensorMap sampleTensors() {
  TensorMap tensors;
  tensors.emplace("layers.0.weight", randomTensor(DType::F32, {3, 5}, 1));
  tensors.emplace("layers.0.bias", randomTensor(DType::BF16, {5}, 2));
  tensors.emplace("half", randomTensor(DType::F16, {3}, 3));
  tensors.emplace("double", randomTensor(DType::F64, {2, 2}, 4));
  tensors.emplace("ids", randomTensor(DType::I32, {7}, 5));
  tensors.emplace("steps", randomTensor(DType::I64, {}, 6));
  tensors.emplace("empty", HostTensor(DType::F32, {0, 3}));
  return tensors;
}

void expectSameTensors(const TensorMap &a, const TensorMap &b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto &[name, tensor] : a) {
    auto it = b.find(name);
    ASSERT_NE(it, b.end()) << name;
    EXPECT_TRUE(tensor.bitwiseEquals(it->second)) << name;
  }
}

//===----------------------------------------------------------------------===//
// Writer layout
//===----------------------------------------------------------------------===//

TEST(SafetensorsTest, EncodesExactlyAsTheReferenceWriter) {
  // The reference implementation's own serialization tests.
  TensorMap one;
  one.emplace("attn.0", HostTensor::fromVector<float>(
                            DType::F32, {1, 2, 3}, {0, 1, 2, 3, 4, 5}));
  StatusOr<std::vector<uint8_t>> bytes = encodeSafetensors(one);
  ASSERT_TRUE(bytes.isOk());
  std::vector<uint8_t> data(one.at("attn.0").bytes(),
                            one.at("attn.0").bytes() + 24);
  EXPECT_EQ(bytes.value(),
            makeFile(R"({"attn.0":{"dtype":"F32","shape":[1,2,3],)"
                     R"("data_offsets":[0,24]}})",
                     data));

  TensorMap aligned;
  aligned.emplace("attn0", HostTensor::fromVector<float>(
                               DType::F32, {1, 1, 2, 3}, {0, 1, 2, 3, 4, 5}));
  bytes = encodeSafetensors(aligned);
  ASSERT_TRUE(bytes.isOk());
  EXPECT_EQ(bytes.value(),
            makeFile(R"({"attn0":{"dtype":"F32","shape":[1,1,2,3],)"
                     R"("data_offsets":[0,24]}})"
                     "       ",
                     data));

  bytes = encodeSafetensors({});
  ASSERT_TRUE(bytes.isOk());
  EXPECT_EQ(bytes.value(), makeFile("{}      "));

  bytes = encodeSafetensors({}, {{"framework", "pt"}});
  ASSERT_TRUE(bytes.isOk());
  EXPECT_EQ(bytes.value(),
            makeFile(R"({"__metadata__":{"framework":"pt"}})"
                     "     "));
}

TEST(SafetensorsTest, OrdersByDtypeAlignmentThenNameSoDataIsAligned) {
  TensorMap tensors;
  tensors.emplace("a_half", HostTensor(DType::F16, {3}));   // 6 bytes
  tensors.emplace("b_float", HostTensor(DType::F32, {1}));  // 4 bytes
  tensors.emplace("c_long", HostTensor(DType::I64, {1}));   // 8 bytes
  tensors.emplace("d_bf16", HostTensor(DType::BF16, {1}));
  tensors.emplace("e_int", HostTensor(DType::I32, {3}));
  tensors.emplace("f_double", HostTensor(DType::F64, {1}));
  tensors.emplace("a_float", HostTensor(DType::F32, {1}));
  StatusOr<std::vector<uint8_t>> bytes = encodeSafetensors(tensors);
  ASSERT_TRUE(bytes.isOk());
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i)
    n = (n << 8) | bytes.value()[i];
  EXPECT_EQ(n % 8, 0u);
  std::string header(bytes->begin() + 8, bytes->begin() + 8 + n);
  std::vector<std::string> order = {"c_long", "f_double", "a_float",
                                    "b_float", "e_int",    "d_bf16",
                                    "a_half"};
  size_t previous = 0;
  for (const std::string &name : order) {
    size_t at = header.find("\"" + name + "\"");
    ASSERT_NE(at, std::string::npos) << name;
    EXPECT_GT(at, previous) << name << " out of order in " << header;
    previous = at;
  }
  StatusOr<SafetensorsContents> parsed =
      parseSafetensors(bytes->data(), bytes->size(), kName);
  ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
  TempDir dir;
  ASSERT_TRUE(writeBytes(dir.file("x"), bytes.value()));
  StatusOr<SafetensorsHeader> inspected = inspectSafetensors(dir.file("x"));
  ASSERT_TRUE(inspected.isOk());
  EXPECT_EQ(inspected->dataStart, 8 + n);
  for (const SafetensorsEntry &entry : inspected->entries)
    EXPECT_EQ((inspected->dataStart + entry.begin) % dtypeSize(entry.dtype),
              0u)
        << entry.name;
}

TEST(SafetensorsTest, WriterRejectsReservedAndInvalidNames) {
  TensorMap reserved;
  reserved.emplace("__metadata__", HostTensor(DType::F32, {1}));
  StatusOr<std::vector<uint8_t>> bytes = encodeSafetensors(reserved);
  ASSERT_FALSE(bytes.isOk());
  EXPECT_EQ(bytes.status().message(),
            "a tensor cannot be named \"__metadata__\" in a safetensors file");

  TensorMap badUtf8;
  badUtf8.emplace(std::string("w\xff"), HostTensor(DType::F32, {1}));
  bytes = encodeSafetensors(badUtf8);
  ASSERT_FALSE(bytes.isOk());
  EXPECT_NE(bytes.status().message().find("is not valid UTF-8"),
            std::string::npos);

  TempDir dir;
  Status status = writeSafetensors(dir.file("bad.safetensors"), badUtf8);
  ASSERT_FALSE(status.isOk());
  EXPECT_EQ(status.message().rfind(dir.file("bad.safetensors") + ": ", 0),
            0u);
  EXPECT_FALSE(std::filesystem::exists(dir.file("bad.safetensors")));
}

//===----------------------------------------------------------------------===//
// Round trips and reference files
//===----------------------------------------------------------------------===//

TEST(SafetensorsTest, RoundTripIsBitwiseExact) {
  TempDir dir;
  const std::string path = dir.file("model.safetensors");
  TensorMap tensors = sampleTensors();
  SafetensorsMetadata metadata = {{"format", "pt"},
                                  {"step", "1200"},
                                  {"note", "tab\there, quote\" and \xc3\xa9"}};
  ASSERT_TRUE(writeSafetensors(path, tensors, metadata).isOk());
  StatusOr<SafetensorsContents> read = readSafetensors(path);
  ASSERT_TRUE(read.isOk()) << read.status().toString();
  expectSameTensors(tensors, read->tensors);
  EXPECT_EQ(read->metadata, metadata);
  StatusOr<std::vector<uint8_t>> encoded = encodeSafetensors(tensors, metadata);
  ASSERT_TRUE(encoded.isOk());
  EXPECT_EQ(readBytes(path), encoded.value());
  // Writing what was read gives the same bytes again.
  ASSERT_TRUE(writeSafetensors(dir.file("again.safetensors"), read->tensors,
                               read->metadata)
                  .isOk());
  EXPECT_EQ(readBytes(dir.file("again.safetensors")), readBytes(path));
}

TEST(SafetensorsTest, NanPayloadsAndSignedZerosSurvive) {
  HostTensor t(DType::F32, {4});
  uint32_t patterns[4] = {0x7fc00001u, 0xffbfffffu, 0x80000000u, 0x00000001u};
  std::memcpy(t.bytes(), patterns, sizeof patterns);
  TensorMap tensors;
  tensors.emplace("odd", t);
  StatusOr<std::vector<uint8_t>> bytes = encodeSafetensors(tensors);
  ASSERT_TRUE(bytes.isOk());
  StatusOr<SafetensorsContents> read =
      parseSafetensors(bytes->data(), bytes->size(), kName);
  ASSERT_TRUE(read.isOk());
  EXPECT_TRUE(read->tensors.at("odd").bitwiseEquals(t));
}

TEST(SafetensorsTest, ReadsFilesFromThePythonReferenceWriter) {
  testing::PythonFixtures fixtures =
      testing::pythonFixtures("write_safetensors_reference.py");
  if (fixtures.state == testing::PythonFixtures::State::Unavailable)
    GTEST_SKIP() << fixtures.message;
  ASSERT_EQ(fixtures.state, testing::PythonFixtures::State::Ready)
      << fixtures.message;
  const std::string path = fixtures.directory + "/reference.safetensors";
  StatusOr<SafetensorsContents> read = readSafetensors(path);
  ASSERT_TRUE(read.isOk()) << read.status().toString();
  const TensorMap &t = read->tensors;
  ASSERT_EQ(t.size(), 8u);
  auto v = [](int i) { return i * 0.37 - 3.0; };
  const HostTensor &a = t.at("a.f32");
  EXPECT_EQ(a.shape(), (std::vector<int64_t>{2, 3}));
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(a.data<float>()[i], static_cast<float>(v(i)));
  const HostTensor &b = t.at("b.bf16");
  ASSERT_EQ(b.dtype(), DType::BF16);
  for (int i = 0; i < 5; ++i) // torch rounds f32 -> bf16 to nearest even
    EXPECT_EQ(b.data<uint16_t>()[i],
              doubleToBf16(static_cast<float>(v(i))));
  const HostTensor &c = t.at("c.i64");
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(c.data<int64_t>()[i], i * 1000003LL - 7);
  const HostTensor &d = t.at("d.f16");
  EXPECT_EQ(d.shape(), (std::vector<int64_t>{3, 1}));
  for (int i = 0; i < 3; ++i) // numpy rounds f64 -> f16 once
    EXPECT_EQ(d.data<uint16_t>()[i], doubleToF16(v(i)));
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(t.at("e.f64").data<double>()[i], v(i));
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(t.at("f.i32").data<int32_t>()[i], -5 * i);
  EXPECT_EQ(t.at("z.empty").shape(), (std::vector<int64_t>{0, 4}));
  EXPECT_EQ(t.at("s.scalar").shape(), std::vector<int64_t>{});
  EXPECT_EQ(t.at("s.scalar").data<double>()[0], 2.5);
  EXPECT_EQ(read->metadata.at("note"),
            "caf\xc3\xa9 \"quoted\" back\\slash");
  // Our writer reproduces the reference writer's bytes exactly.
  StatusOr<std::vector<uint8_t>> encoded =
      encodeSafetensors(read->tensors, read->metadata);
  ASSERT_TRUE(encoded.isOk());
  EXPECT_EQ(encoded.value(), readBytes(path));
}

TEST(SafetensorsTest, AcceptsAnyKeyOrderAndWhitespace) {
  // JSON objects are unordered: entries need not follow offset order.
  std::string header =
      " { \"b\" : {\"data_offsets\":[4,8], \"shape\":[1], \"dtype\":\"F32\"},"
      "\n\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]} }  ";
  std::vector<uint8_t> bytes = makeFile(header, zeros(8));
  StatusOr<SafetensorsContents> read =
      parseSafetensors(bytes.data(), bytes.size(), kName);
  ASSERT_TRUE(read.isOk()) << read.status().toString();
  EXPECT_EQ(read->tensors.size(), 2u);
  // Zero-size tensors may share an offset.
  bytes = makeFile(R"({"e1":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},)"
                   R"("e2":{"dtype":"I64","shape":[3,0],"data_offsets":[0,0]}})");
  EXPECT_TRUE(parseSafetensors(bytes.data(), bytes.size(), kName).isOk());
}

TEST(SafetensorsTest, FilterSkipsTensorsIncludingUnsupportedDtypes) {
  std::string header =
      R"({"mask":{"dtype":"BOOL","shape":[2,2],"data_offsets":[0,4]},)"
      R"("w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
  TempDir dir;
  const std::string path = dir.file("mixed.safetensors");
  ASSERT_TRUE(writeBytes(path, makeFile(header, zeros(8))));
  StatusOr<SafetensorsContents> all = readSafetensors(path);
  ASSERT_FALSE(all.isOk());
  EXPECT_EQ(all.status().message(),
            path + ": tensor \"mask\": dtype BOOL is not supported "
                   "(supported: F32, F64, BF16, F16, I32, I64)");
  StatusOr<SafetensorsContents> some = readSafetensors(
      path, [](const std::string &name) { return name != "mask"; });
  ASSERT_TRUE(some.isOk()) << some.status().toString();
  EXPECT_EQ(some->tensors.size(), 1u);
  EXPECT_TRUE(some->tensors.count("w"));
  StatusOr<SafetensorsHeader> header2 = inspectSafetensors(path);
  ASSERT_TRUE(header2.isOk());
  ASSERT_EQ(header2->entries.size(), 2u);
  EXPECT_FALSE(header2->entries[0].supported);
  EXPECT_EQ(header2->entries[0].dtypeName, "BOOL");
}

TEST(SafetensorsTest, MissingFileIsNotFound) {
  TempDir dir;
  StatusOr<SafetensorsContents> read = readSafetensors(dir.file("none"));
  ASSERT_FALSE(read.isOk());
  EXPECT_EQ(read.status().code(), StatusCode::kNotFound);
}

//===----------------------------------------------------------------------===//
// Corruption: one test per class, with the message
//===----------------------------------------------------------------------===//

TEST(SafetensorsTest, RejectsShortFilesAndBadHeaderLengths) {
  EXPECT_EQ(parseError({}).message(),
            "t.safetensors: file of 0 bytes is too short for the 8-byte "
            "header length");
  EXPECT_EQ(parseError({1, 2, 3, 4, 5}).message(),
            "t.safetensors: file of 5 bytes is too short for the 8-byte "
            "header length");
  std::vector<uint8_t> file = makeFile("{}      ");
  file[0] = 200; // header length 200 in a 16-byte file
  EXPECT_EQ(parseError(file).message(),
            "t.safetensors: header length 200 runs past the end of the file "
            "(16 bytes, so at most 8 bytes of header)");
  file[0] = 8;
  file[7] = 0x80; // a flipped top bit: 2^63 + 8
  EXPECT_EQ(parseError(file).message(),
            "t.safetensors: header length 9223372036854775816 exceeds the "
            "limit of 100000000 bytes");
  std::vector<uint8_t> big = le64(100'000'001);
  big.resize(64, ' ');
  EXPECT_EQ(parseError(big).message(),
            "t.safetensors: header length 100000001 exceeds the limit of "
            "100000000 bytes");
  EXPECT_EQ(parseError(makeFile("")).message(),
            "t.safetensors: header length 0 is too short for a JSON object");
}

TEST(SafetensorsTest, RejectsHeadersThatAreNotJsonObjects) {
  std::string message = errorOf(R"({"a":)");
  EXPECT_EQ(message.rfind("t.safetensors: header is not valid JSON: ", 0), 0u)
      << message;
  EXPECT_NE(message.find("parse error"), std::string::npos);
  EXPECT_EQ(errorOf("[1, 2]"),
            "t.safetensors: header must be a JSON object, got an array");
  EXPECT_EQ(errorOf("\"text\""),
            "t.safetensors: header must be a JSON object, got the string "
            "\"text\"");
  EXPECT_NE(errorOf("{} trailing").find("header is not valid JSON"),
            std::string::npos);
  EXPECT_NE(errorOf("{\"a\xff\": 1}").find("header is not valid JSON"),
            std::string::npos);
  // Padding must be spaces: nlohmann would stop at a NUL, the reference
  // reader refuses it.
  EXPECT_EQ(errorOf(std::string("{}\0\0\0\0\0\0", 8)),
            "t.safetensors: header is not valid JSON: NUL byte at header "
            "offset 2");
  EXPECT_NE(errorOf("{/* comment */}").find("header is not valid JSON"),
            std::string::npos);
  std::string deep(200000, '[');
  EXPECT_EQ(errorOf("{\"a\":" + deep + "}"),
            "t.safetensors: header JSON nests 200001 levels deep; a "
            "safetensors header nests 3");
}

TEST(SafetensorsTest, RejectsMalformedEntries) {
  EXPECT_EQ(errorOf(R"({"w": 3})"),
            "t.safetensors: tensor \"w\": expected an object with dtype, "
            "shape and data_offsets, got the number 3");
  EXPECT_EQ(errorOf(R"({"w":{"shape":[1],"data_offsets":[0,4]}})", zeros(4)),
            "t.safetensors: tensor \"w\": missing field \"dtype\"");
  EXPECT_EQ(errorOf(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],)"
                    R"("extra":1}})",
                    zeros(4)),
            "t.safetensors: tensor \"w\": unknown field \"extra\" (expected "
            "dtype, shape and data_offsets)");
  EXPECT_EQ(errorOf(R"({"w":{"dtype":7,"shape":[1],"data_offsets":[0,4]}})",
                    zeros(4)),
            "t.safetensors: tensor \"w\": dtype must be a string, got the "
            "number 7");
}

TEST(SafetensorsTest, RejectsUnknownAndUnsupportedDtypes) {
  EXPECT_EQ(errorOf(R"({"w":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}})",
                    zeros(4)),
            "t.safetensors: tensor \"w\": unknown dtype \"F33\"");
  EXPECT_EQ(errorOf(R"({"w":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}})",
                    zeros(4)),
            "t.safetensors: tensor \"w\": unknown dtype \"f32\"");
  EXPECT_EQ(errorOf(R"({"w":{"dtype":"F4","shape":[2],"data_offsets":[0,1]}})",
                    zeros(1)),
            "t.safetensors: tensor \"w\": dtype F4 is not supported "
            "(supported: F32, F64, BF16, F16, I32, I64)");
  Status u8 = parseError(makeFile(
      R"({"w":{"dtype":"U8","shape":[3],"data_offsets":[0,3]}})", zeros(3)));
  EXPECT_EQ(u8.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(u8.message(), "t.safetensors: tensor \"w\": dtype U8 is not "
                          "supported (supported: F32, F64, BF16, F16, I32, "
                          "I64)");
  // The element size of an unsupported dtype still validates its offsets.
  EXPECT_EQ(errorOf(R"({"w":{"dtype":"U16","shape":[3],"data_offsets":[0,3]}})",
                    zeros(3)),
            "t.safetensors: tensor \"w\": data_offsets [0, 3] span 3 bytes, "
            "but U16 [3] (3 elements) needs 6");
}

TEST(SafetensorsTest, RejectsBadShapes) {
  EXPECT_EQ(errorOf(R"({"w":{"dtype":"F32","shape":[2,-3],"data_offsets":[0,4]}})",
                    zeros(4)),
            "t.safetensors: tensor \"w\": shape [2,-3] has dimension -3 at "
            "index 1; expected a non-negative integer");
  EXPECT_EQ(errorOf(R"({"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,4]}})",
                    zeros(4)),
            "t.safetensors: tensor \"w\": shape [2.5] has dimension 2.5 at "
            "index 0; expected a non-negative integer");
  EXPECT_EQ(errorOf(R"({"w":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}})",
                    zeros(8)),
            "t.safetensors: tensor \"w\": shape [\"2\"] has dimension \"2\" "
            "at index 0; expected a non-negative integer");
  EXPECT_EQ(errorOf(R"({"w":{"dtype":"F32","shape":4,"data_offsets":[0,16]}})",
                    zeros(16)),
            "t.safetensors: tensor \"w\": shape must be an array, got the "
            "number 4");
  EXPECT_EQ(
      errorOf(R"({"w":{"dtype":"F32","shape":[4611686018427387904,4],)"
              R"("data_offsets":[0,16]}})",
              zeros(16)),
      "t.safetensors: tensor \"w\": shape [4611686018427387904, 4] of F32 "
      "needs more bytes than fit in int64");
  EXPECT_EQ(
      errorOf(R"({"w":{"dtype":"F64","shape":[2305843009213693952],)"
              R"("data_offsets":[0,16]}})",
              zeros(16)),
      "t.safetensors: tensor \"w\": shape [2305843009213693952] of F64 "
      "needs more bytes than fit in int64");
  EXPECT_NE(errorOf(R"({"w":{"dtype":"F32","shape":[18446744073709551615],)"
                    R"("data_offsets":[0,4]}})",
                    zeros(4))
                .find("expected a non-negative integer"),
            std::string::npos);
}

TEST(SafetensorsTest, RejectsBadOffsets) {
  EXPECT_EQ(errorOf(R"({"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}})",
                    zeros(20)),
            "t.safetensors: tensor \"w\": data_offsets [0, 20] span 20 "
            "bytes, but F32 [2, 3] (6 elements) needs 24");
  EXPECT_EQ(errorOf(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})",
                    zeros(8)),
            "t.safetensors: tensor \"w\": data_offsets [8, 4] are out of "
            "order (begin after end)");
  EXPECT_EQ(errorOf(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}})",
                    zeros(4)),
            "t.safetensors: tensor \"w\": data_offsets must be two "
            "non-negative integers [begin, end], got [0]");
  EXPECT_EQ(errorOf(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})",
                    zeros(4)),
            "t.safetensors: tensor \"w\": data_offsets must be two "
            "non-negative integers [begin, end], got [-4,0]");
  EXPECT_EQ(errorOf(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})",
                    zeros(12)),
            "t.safetensors: tensor \"w\": data_offsets [0, 16] run past the "
            "end of the 12-byte data section");
  EXPECT_NE(errorOf(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":)"
                    R"([18446744073709551608,18446744073709551612]}})",
                    zeros(4))
                .find("data_offsets must be two non-negative integers"),
            std::string::npos);
}

TEST(SafetensorsTest, RejectsOverlapsGapsAndTrailingBytes) {
  EXPECT_EQ(errorOf(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                    R"("b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})",
                    zeros(24)),
            "t.safetensors: tensor \"b\" data_offsets [8, 24] overlap tensor "
            "\"a\" data_offsets [0, 16]");
  EXPECT_EQ(errorOf(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                    R"("b":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})",
                    zeros(16)),
            "t.safetensors: tensor \"b\" data_offsets [0, 16] overlap tensor "
            "\"a\" data_offsets [0, 16]");
  EXPECT_EQ(errorOf(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                    R"("b":{"dtype":"F32","shape":[2],"data_offsets":[16,24]}})",
                    zeros(24)),
            "t.safetensors: 8 bytes after tensor \"a\" (which ends at 8) "
            "belong to no tensor: tensor \"b\" starts at 16");
  EXPECT_EQ(errorOf(R"({"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})",
                    zeros(16)),
            "t.safetensors: 8 bytes at the start of the data section belong "
            "to no tensor: tensor \"b\" starts at 8");
  EXPECT_EQ(errorOf(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                    zeros(12)),
            "t.safetensors: the data section has 12 bytes but its tensors "
            "end at 8: 4 trailing bytes belong to no tensor");
  EXPECT_EQ(errorOf("{}", zeros(3)),
            "t.safetensors: the data section has 3 bytes but its tensors end "
            "at 0: 3 trailing bytes belong to no tensor");
}

TEST(SafetensorsTest, RejectsDuplicates) {
  EXPECT_EQ(errorOf(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                    R"("w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                    zeros(8)),
            "t.safetensors: tensor \"w\" appears more than once in the "
            "header");
  EXPECT_EQ(errorOf(R"({"w":{"dtype":"F32","dtype":"F64","shape":[1],)"
                    R"("data_offsets":[0,4]}})",
                    zeros(4)),
            "t.safetensors: entry \"w\" has the key \"dtype\" more than once");
  EXPECT_EQ(errorOf(R"({"__metadata__":{"k":"1","k":"2"}})"),
            "t.safetensors: entry \"__metadata__\" has the key \"k\" more "
            "than once");
  EXPECT_EQ(errorOf(R"({"__metadata__":{},"__metadata__":{}})"),
            "t.safetensors: tensor \"__metadata__\" appears more than once in "
            "the header");
}

TEST(SafetensorsTest, RejectsBadMetadata) {
  EXPECT_EQ(errorOf(R"({"__metadata__":["pt"]})"),
            "t.safetensors: \"__metadata__\" must be an object of strings, "
            "got an array");
  EXPECT_EQ(errorOf(R"({"__metadata__":{"step":12}})"),
            "t.safetensors: \"__metadata__\" key \"step\" must map to a "
            "string, got the number 12");
}

TEST(SafetensorsTest, EveryTruncationIsAnError) {
  StatusOr<std::vector<uint8_t>> good = encodeSafetensors(sampleTensors());
  ASSERT_TRUE(good.isOk());
  TempDir dir;
  for (size_t size = 0; size < good->size(); ++size) {
    std::vector<uint8_t> cut(good->begin(), good->begin() + size);
    StatusOr<SafetensorsContents> read =
        parseSafetensors(cut.data(), cut.size(), kName);
    ASSERT_FALSE(read.isOk()) << "truncated to " << size << " bytes";
    EXPECT_EQ(read.status().code(), StatusCode::kDataLoss) << size;
    if (size % 37 == 0) { // and through the file path
      ASSERT_TRUE(writeBytes(dir.file("cut"), cut));
      EXPECT_FALSE(readSafetensors(dir.file("cut")).isOk()) << size;
    }
  }
}

TEST(SafetensorsTest, EveryHeaderLengthBitFlipIsAnError) {
  StatusOr<std::vector<uint8_t>> good = encodeSafetensors(sampleTensors());
  ASSERT_TRUE(good.isOk());
  for (int bit = 0; bit < 64; ++bit) {
    std::vector<uint8_t> flipped = good.value();
    flipped[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    StatusOr<SafetensorsContents> read =
        parseSafetensors(flipped.data(), flipped.size(), kName);
    EXPECT_FALSE(read.isOk()) << "bit " << bit;
  }
}

// 2000 deterministic mutations (bit flips, byte overwrites, truncations,
// insertions, chunk duplications) of a valid file: each read must come back
// with a value or a Status. Run under ASan/UBSan for the full benefit; the
// libFuzzer target in fuzz/ explores further.
TEST(SafetensorsTest, MutatedFilesNeverCrash) {
  TensorMap tensors = sampleTensors();
  StatusOr<std::vector<uint8_t>> good =
      encodeSafetensors(tensors, {{"format", "pt"}});
  ASSERT_TRUE(good.isOk());
  TempDir dir;
  uint64_t state = 2024;
  int ok = 0, errors = 0;
  for (int round = 0; round < 2000; ++round) {
    std::vector<uint8_t> bytes = good.value();
    int edits = 1 + static_cast<int>(splitmix64(state) % 4);
    for (int e = 0; e < edits && !bytes.empty(); ++e) {
      uint64_t r = splitmix64(state);
      size_t at = static_cast<size_t>(splitmix64(state) % bytes.size());
      switch (r % 6) {
      case 0: // flip a bit, mostly in the header
        at = at % std::min<size_t>(bytes.size(), 8 + 300);
        bytes[at] ^= static_cast<uint8_t>(1u << (r >> 8) % 8);
        break;
      case 1: // overwrite a byte with a JSON-significant one
        bytes[at] = static_cast<uint8_t>("{}[]\",:0123456789-e. \\"[(r >> 8) %
                                                                   22]);
        break;
      case 2: // truncate
        bytes.resize(at);
        break;
      case 3: // insert a random byte
        bytes.insert(bytes.begin() + static_cast<long>(at),
                     static_cast<uint8_t>(r >> 16));
        break;
      case 4: { // duplicate a chunk
        size_t length =
            std::min<size_t>(1 + (r >> 8) % 16, bytes.size() - at);
        std::vector<uint8_t> chunk(bytes.begin() + static_cast<long>(at),
                                   bytes.begin() +
                                       static_cast<long>(at + length));
        bytes.insert(bytes.begin() + static_cast<long>(at), chunk.begin(),
                     chunk.end());
        break;
      }
      default: // random byte anywhere
        bytes[at] = static_cast<uint8_t>(r >> 24);
        break;
      }
    }
    StatusOr<SafetensorsContents> read =
        parseSafetensors(bytes.data(), bytes.size(), kName);
    if (read.isOk()) {
      ++ok;
    } else {
      ++errors;
      EXPECT_EQ(read.status().message().rfind(kName, 0), 0u)
          << read.status().message();
    }
    if (round % 50 == 0) { // the file path as well
      ASSERT_TRUE(writeBytes(dir.file("m"), bytes));
      StatusOr<SafetensorsContents> fromFile = readSafetensors(dir.file("m"));
      EXPECT_EQ(fromFile.isOk(), read.isOk());
    }
  }
  EXPECT_GT(errors, 1000);
  EXPECT_EQ(ok + errors, 2000);
}

//===----------------------------------------------------------------------===//
// Atomic writes
//===----------------------------------------------------------------------===//

TensorMap filled(float value, int64_t elements) {
  HostTensor t(DType::F32, {elements});
  for (int64_t i = 0; i < elements; ++i)
    t.data<float>()[i] = value;
  TensorMap tensors;
  tensors.emplace("w", std::move(t));
  return tensors;
}

// The value every element of "w" holds, or NaN when they differ.
float uniformValue(const SafetensorsContents &contents) {
  const HostTensor &w = contents.tensors.at("w");
  float first = w.data<float>()[0];
  for (int64_t i = 1; i < w.numElements(); ++i)
    if (w.data<float>()[i] != first)
      return std::nanf("");
  return first;
}

TEST(SafetensorsTest, LeftoverTemporaryFromACrashIsHarmless) {
  TempDir dir;
  const std::string path = dir.file("ckpt.safetensors");
  ASSERT_TRUE(writeSafetensors(path, filled(1.0f, 64)).isOk());
  // A writer (another pid) died after writing half its temporary file.
  StatusOr<std::vector<uint8_t>> partial = encodeSafetensors(filled(2.0f, 64));
  ASSERT_TRUE(partial.isOk());
  partial->resize(partial->size() / 2);
  const std::string leftover = path + ".tmp.4194303";
  ASSERT_TRUE(writeBytes(leftover, partial.value()));
  StatusOr<SafetensorsContents> read = readSafetensors(path);
  ASSERT_TRUE(read.isOk());
  EXPECT_EQ(uniformValue(read.value()), 1.0f);
  // The next save replaces the file and leaves the stranger's file alone.
  ASSERT_TRUE(writeSafetensors(path, filled(3.0f, 64)).isOk());
  read = readSafetensors(path);
  ASSERT_TRUE(read.isOk());
  EXPECT_EQ(uniformValue(read.value()), 3.0f);
  EXPECT_TRUE(std::filesystem::exists(leftover));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp." +
                                       std::to_string(::getpid())));
}

TEST(SafetensorsTest, KilledWriterLeavesTheOldOrTheNewFile) {
  TempDir dir;
  const std::string path = dir.file("ckpt.safetensors");
  constexpr int64_t kElements = 1 << 20; // 4 MiB per save
  ASSERT_TRUE(writeSafetensors(path, filled(1.0f, kElements)).isOk());
  const int delaysMs[] = {0, 1, 3, 7, 12, 20, 35, 60};
  std::set<float> seen;
  for (int delay : delaysMs) {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      // Save forever, alternating contents, until killed.
      TensorMap two = filled(2.0f, kElements), three = filled(3.0f, kElements);
      for (int i = 0;; ++i)
        if (!writeSafetensors(path, i % 2 ? three : two).isOk())
          ::_exit(3);
    }
    ::usleep(static_cast<useconds_t>(delay) * 1000);
    ::kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "writer failed on its own";
    StatusOr<SafetensorsContents> read = readSafetensors(path);
    ASSERT_TRUE(read.isOk()) << "after a kill at " << delay
                             << " ms: " << read.status().toString();
    float value = uniformValue(read.value());
    EXPECT_TRUE(value == 1.0f || value == 2.0f || value == 3.0f)
        << "mixed contents after a kill at " << delay << " ms";
    seen.insert(value);
    std::filesystem::remove(path + ".tmp." + std::to_string(child));
  }
  EXPECT_FALSE(seen.empty());
}

TEST(SafetensorsTest, ConcurrentReadersNeverSeeAPartialFile) {
  TempDir dir;
  const std::string path = dir.file("ckpt.safetensors");
  constexpr int64_t kElements = 1 << 16;
  ASSERT_TRUE(writeSafetensors(path, filled(0.0f, kElements)).isOk());
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0}, failures{0};
  std::thread reader([&] {
    while (!stop.load()) {
      StatusOr<SafetensorsContents> read = readSafetensors(path);
      if (!read.isOk() || std::isnan(uniformValue(read.value())))
        failures.fetch_add(1);
      reads.fetch_add(1);
    }
  });
  for (int i = 1; i <= 20; ++i)
    ASSERT_TRUE(
        writeSafetensors(path, filled(static_cast<float>(i), kElements))
            .isOk());
  stop.store(true);
  reader.join();
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(failures.load(), 0);
}

} // namespace
} // namespace strata::runtime::io
