//===- npy_test.cc - tests of the .npy reader and writer ------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/io/npy.h"

#include "runtime/io/io_test_support.h"

#include <gtest/gtest.h>

#include <filesystem>

#include <unistd.h>

namespace strata::runtime::io {
namespace {

using testing::PythonFixtures;
using testing::randomTensor;
using testing::readBytes;
using testing::splitmix64;
using testing::TempDir;
using testing::writeBytes;

const char *const kName = "T.npy";

// A .npy file with header dict text |dict| (used verbatim plus '\n').
std::vector<uint8_t> npyFile(const std::string &dict,
                             const std::vector<uint8_t> &data = {},
                             int major = 1, int minor = 0) {
  std::string header = dict + "\n";
  std::vector<uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y',
                              static_cast<uint8_t>(major),
                              static_cast<uint8_t>(minor)};
  int lengthBytes = major == 1 ? 2 : 4;
  for (int i = 0; i < lengthBytes; ++i)
    out.push_back(static_cast<uint8_t>(header.size() >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

std::vector<uint8_t> zeros(size_t n) { return std::vector<uint8_t>(n, 0); }

std::string errorOf(const std::vector<uint8_t> &bytes) {
  StatusOr<HostTensor> result = parseNpy(bytes.data(), bytes.size(), kName);
  EXPECT_FALSE(result.isOk()) << "parsed a corrupt file";
  return result.isOk() ? "" : result.status().message();
}

double v(int64_t i) { return static_cast<double>(i) * 0.37 - 3.0; }

// The arrays write_npy_fixtures.py and verify_npy.py agree on.
struct Expected {
  const char *name;
  HostTensor tensor;
};

std::vector<Expected> expectedArrays() {
  std::vector<Expected> out;
  HostTensor f32(DType::F32, {2, 3, 4});
  for (int i = 0; i < 24; ++i)
    f32.data<float>()[i] = static_cast<float>(v(i));
  out.push_back({"f32", f32});
  HostTensor f64(DType::F64, {10});
  for (int i = 0; i < 10; ++i)
    f64.data<double>()[i] = v(i);
  out.push_back({"f64", f64});
  HostTensor f16(DType::F16, {2, 3});
  for (int i = 0; i < 6; ++i)
    f16.data<uint16_t>()[i] = doubleToF16(v(i));
  out.push_back({"f16", f16});
  HostTensor i32(DType::I32, {4, 9});
  for (int i = 0; i < 36; ++i)
    i32.data<int32_t>()[i] = i * 7 - 50;
  out.push_back({"i32", i32});
  HostTensor i64(DType::I64, {3, 4});
  for (int i = 0; i < 12; ++i)
    i64.data<int64_t>()[i] = (i - 5) * 1000000000000LL;
  out.push_back({"i64", i64});
  HostTensor scalar(DType::F32, {});
  scalar.data<float>()[0] = 2.5f;
  out.push_back({"scalar", scalar});
  out.push_back({"empty", HostTensor(DType::F32, {0, 5})});
  return out;
}

PythonFixtures numpyFixtures() {
  return testing::pythonFixtures("write_npy_fixtures.py");
}

#define REQUIRE_FIXTURES(fixtures)                                             \
  if ((fixtures).state == PythonFixtures::State::Unavailable)                  \
    GTEST_SKIP() << (fixtures).message;                                        \
  ASSERT_EQ((fixtures).state, PythonFixtures::State::Ready)                    \
      << (fixtures).message

//===----------------------------------------------------------------------===//
// Files numpy wrote
//===----------------------------------------------------------------------===//

TEST(NpyTest, ReadsWhatNumpyWrites) {
  PythonFixtures fixtures = numpyFixtures();
  REQUIRE_FIXTURES(fixtures);
  for (const Expected &expected : expectedArrays()) {
    std::string path = fixtures.directory + "/" + expected.name + ".npy";
    StatusOr<HostTensor> read = readNpy(path);
    ASSERT_TRUE(read.isOk()) << read.status().toString();
    EXPECT_TRUE(read->bitwiseEquals(expected.tensor)) << expected.name;
  }
  // Versions 2.0 and 3.0 hold the same f32 array.
  for (const char *name : {"v2.npy", "v3.npy"}) {
    StatusOr<HostTensor> read = readNpy(fixtures.directory + "/" + name);
    ASSERT_TRUE(read.isOk()) << read.status().toString();
    EXPECT_TRUE(read->bitwiseEquals(expectedArrays()[0].tensor)) << name;
  }
  StatusOr<HostTensor> wide = readNpy(fixtures.directory + "/wide.npy");
  ASSERT_TRUE(wide.isOk());
  EXPECT_EQ(wide->shape(), (std::vector<int64_t>{123456789012, 0}));
}

TEST(NpyTest, WritesTheSameBytesAsNumpy) {
  PythonFixtures fixtures = numpyFixtures();
  REQUIRE_FIXTURES(fixtures);
  std::vector<Expected> arrays = expectedArrays();
  arrays.push_back({"wide", HostTensor(DType::I64, {123456789012, 0})});
  for (const Expected &expected : arrays) {
    StatusOr<std::vector<uint8_t>> bytes = encodeNpy(expected.tensor);
    ASSERT_TRUE(bytes.isOk());
    EXPECT_EQ(bytes.value(),
              readBytes(fixtures.directory + "/" + expected.name + ".npy"))
        << expected.name;
  }
}

TEST(NpyTest, NumpyReadsWhatWeWrite) {
  if (!testing::pythonHasModules("numpy"))
    GTEST_SKIP() << testing::pythonExecutable() << " with numpy is missing";
  TempDir dir;
  for (const Expected &expected : expectedArrays())
    ASSERT_TRUE(writeNpy(dir.file(std::string("cxx_") + expected.name +
                                  ".npy"),
                         expected.tensor)
                    .isOk());
  std::string output;
  EXPECT_EQ(testing::runPythonScript("verify_npy.py", {dir.path()}, output),
            0)
      << output;
  EXPECT_EQ(output, "ok 7\n");
}

TEST(NpyTest, RefusesWhatNumpyWritesButStrataCannotUse) {
  PythonFixtures fixtures = numpyFixtures();
  REQUIRE_FIXTURES(fixtures);
  auto errorFor = [&](const std::string &name) {
    std::string path = fixtures.directory + "/" + name;
    StatusOr<HostTensor> read = readNpy(path);
    EXPECT_FALSE(read.isOk()) << name;
    std::string message = read.isOk() ? "" : read.status().message();
    EXPECT_EQ(message.rfind(path + ": ", 0), 0u) << message;
    return message.substr(std::min(message.size(), path.size() + 2));
  };
  EXPECT_EQ(errorFor("fortran.npy"),
            "the array of shape [2, 3] is stored in Fortran (column-major) "
            "order; only C order is supported (save "
            "np.ascontiguousarray(arr))");
  EXPECT_EQ(errorFor("bigendian.npy"),
            "dtype '>f4' is big-endian; only little-endian arrays are "
            "supported (use arr.astype(arr.dtype.newbyteorder('<')))");
  EXPECT_EQ(errorFor("object.npy"),
            "dtype '|O' is an object array, which holds Python objects, not "
            "numbers");
  EXPECT_EQ(errorFor("structured.npy"),
            "descr [('a', '<i4'), ('b', '<f4')] is a structured dtype, which "
            "is not supported");
  EXPECT_EQ(errorFor("bool.npy"),
            "dtype '|b1' is not supported (supported: <i4, <i8, <f2, <f4, "
            "<f8)");
  EXPECT_EQ(errorFor("uint8.npy"),
            "dtype '|u1' is not supported (supported: <i4, <i8, <f2, <f4, "
            "<f8)");
  EXPECT_EQ(errorFor("complex.npy"),
            "dtype '<c8' is not supported (supported: <i4, <i8, <f2, <f4, "
            "<f8)");
  // A 1-D array is the same bytes in either order, so it is accepted.
  StatusOr<HostTensor> oneD = readNpy(fixtures.directory + "/fortran_1d.npy");
  ASSERT_TRUE(oneD.isOk());
  EXPECT_EQ(oneD->data<float>()[2], static_cast<float>(v(2)));
}

//===----------------------------------------------------------------------===//
// Token batches
//===----------------------------------------------------------------------===//

TEST(NpyTest, ReadsTokenBatchesAsInt64) {
  PythonFixtures fixtures = numpyFixtures();
  REQUIRE_FIXTURES(fixtures);
  for (const char *name : {"tokens_i32.npy", "tokens_i64.npy"}) {
    std::string path = fixtures.directory + "/" + name;
    StatusOr<HostTensor> raw = readNpy(path);
    ASSERT_TRUE(raw.isOk());
    StatusOr<HostTensor> tokens = readTokenBatch(path, 50257);
    ASSERT_TRUE(tokens.isOk()) << tokens.status().toString();
    EXPECT_EQ(tokens->dtype(), DType::I64);
    EXPECT_EQ(tokens->shape(), raw->shape());
    for (int64_t i = 0; i < raw->numElements(); ++i)
      EXPECT_EQ(tokens->data<int64_t>()[i],
                static_cast<int64_t>(raw->elementAsDouble(i)));
  }
  StatusOr<HostTensor> tooSmall =
      readTokenBatch(fixtures.directory + "/tokens_i32.npy", 100);
  ASSERT_FALSE(tooSmall.isOk());
  EXPECT_NE(tooSmall.status().message().find(
                "is outside the vocabulary [0, 100)"),
            std::string::npos);
}

TEST(NpyTest, TokenBatchChecksShapeDtypeAndRange) {
  TempDir dir;
  auto write = [&](const std::string &name, const HostTensor &t) {
    std::string path = dir.file(name);
    EXPECT_TRUE(writeNpy(path, t).isOk());
    return path;
  };
  std::string path = write(
      "range.npy", HostTensor::fromVector<int32_t>(DType::I32, {2, 3},
                                                   {1, 2, 3, 4, 99, 6}));
  StatusOr<HostTensor> bad = readTokenBatch(path, 50);
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().message(),
            path + ": token 99 at [1, 1] is outside the vocabulary [0, 50)");
  path = write("negative.npy",
               HostTensor::fromVector<int64_t>(DType::I64, {1, 2}, {5, -1}));
  bad = readTokenBatch(path);
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().message(),
            path + ": token -1 at [0, 1] is outside the vocabulary [0, inf)");
  path = write("float.npy", HostTensor(DType::F32, {2, 3}));
  bad = readTokenBatch(path);
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().message(),
            path + ": token batch has dtype F32; expected int32 or int64");
  path = write("flat.npy", HostTensor(DType::I32, {6}));
  bad = readTokenBatch(path);
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().message(),
            path + ": token batch has shape [6]; expected [batch, seq + 1] "
                   "with batch >= 1 and seq >= 1");
  path = write("short.npy", HostTensor(DType::I32, {4, 1}));
  EXPECT_FALSE(readTokenBatch(path).isOk());
}

//===----------------------------------------------------------------------===//
// Round trips and corruption
//===----------------------------------------------------------------------===//

TEST(NpyTest, RoundTripsEverySupportedDtype) {
  TempDir dir;
  for (DType dtype :
       {DType::F32, DType::F64, DType::F16, DType::I32, DType::I64}) {
    for (const std::vector<int64_t> &shape :
         {std::vector<int64_t>{}, std::vector<int64_t>{7},
          std::vector<int64_t>{3, 5}, std::vector<int64_t>{2, 0, 4},
          std::vector<int64_t>{2, 3, 4, 5}}) {
      HostTensor t = randomTensor(dtype, shape, 11);
      std::string path = dir.file("t.npy");
      ASSERT_TRUE(writeNpy(path, t).isOk());
      std::vector<uint8_t> bytes = readBytes(path);
      // numpy's layout: data 64-byte aligned, header ends with '\n'.
      size_t headerEnd = bytes.size() - t.byteSize();
      EXPECT_EQ(headerEnd % 64, 0u);
      EXPECT_EQ(bytes[headerEnd - 1], '\n');
      StatusOr<HostTensor> read = readNpy(path);
      ASSERT_TRUE(read.isOk()) << read.status().toString();
      EXPECT_TRUE(read->bitwiseEquals(t))
          << toString(dtype) << " " << shapeToString(shape);
    }
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("t.npy.tmp." +
                                                std::to_string(::getpid()))));
}

TEST(NpyTest, Bf16HasNoNumpyDtype) {
  TempDir dir;
  Status status = writeNpy(dir.file("b.npy"), HostTensor(DType::BF16, {2}));
  EXPECT_EQ(status.message(),
            dir.file("b.npy") + ": dtype BF16 has no NumPy equivalent");
  EXPECT_FALSE(std::filesystem::exists(dir.file("b.npy")));
}

TEST(NpyTest, AcceptsHeaderVariantsNumpyHasWritten) {
  // Double quotes, no trailing comma, other key order, Python 2 longs,
  // a 16-byte aligned header (numpy < 1.14), version 2.0.
  for (const std::vector<uint8_t> &bytes :
       {npyFile("{\"shape\": (2, 3), \"fortran_order\": False, \"descr\": "
                "\"<f4\"}",
                zeros(24)),
        npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), "
                "}   ",
                zeros(24)),
        npyFile("{'descr':'<f4','fortran_order':False,'shape':(2,3)}",
                zeros(24), 2),
        npyFile("{'descr': '=f4', 'fortran_order': False, 'shape': (2,3,)}",
                zeros(24))}) {
    StatusOr<HostTensor> read = parseNpy(bytes.data(), bytes.size(), kName);
    ASSERT_TRUE(read.isOk()) << read.status().toString();
    EXPECT_EQ(read->shape(), (std::vector<int64_t>{2, 3}));
  }
}

TEST(NpyTest, RejectsCorruptPreambles) {
  EXPECT_EQ(errorOf({}),
            "T.npy: not a .npy file (it does not start with \"\\x93NUMPY\")");
  EXPECT_EQ(errorOf({'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0}),
            "T.npy: not a .npy file (it does not start with \"\\x93NUMPY\")");
  EXPECT_EQ(errorOf({0x93, 'N', 'U', 'M', 'P', 'Y', 1}),
            "T.npy: file of 7 bytes ends inside the .npy preamble");
  EXPECT_EQ(errorOf({0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 10, 0}),
            "T.npy: file of 10 bytes ends inside the header length");
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}";
  EXPECT_EQ(errorOf(npyFile(dict, zeros(4), 4)),
            "T.npy: .npy format version 4.0 is not supported (supported: "
            "1.0, 2.0, 3.0)");
  EXPECT_EQ(errorOf(npyFile(dict, zeros(4), 1, 1)),
            "T.npy: .npy format version 1.1 is not supported (supported: "
            "1.0, 2.0, 3.0)");
  std::vector<uint8_t> longHeader = npyFile(dict, zeros(4));
  longHeader[9] = 0x7f; // header length 0x7f.. bytes
  EXPECT_EQ(errorOf(longHeader).rfind("T.npy: header length ", 0), 0u);
  EXPECT_EQ(errorOf(longHeader),
            "T.npy: header length 32568 runs past the end of the file (70 "
            "bytes)");
}

TEST(NpyTest, RejectsMalformedHeaders) {
  auto error = [](const std::string &dict, size_t dataBytes = 4) {
    return errorOf(npyFile(dict, zeros(dataBytes)));
  };
  EXPECT_EQ(error("{'descr': '<f4', 'shape': (1,)}"),
            "T.npy: header has no 'fortran_order' key");
  EXPECT_EQ(error("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), "
                  "'extra': 1}"),
            "T.npy: header has the unexpected key 'extra' (expected descr, "
            "fortran_order, shape)");
  EXPECT_EQ(error("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, "
                  "'shape': (1,)}"),
            "T.npy: malformed header at byte 17: key 'descr' appears twice in "
            "\"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, "
            "'shape': (1,)}\\x0a\"");
  EXPECT_EQ(error("{'descr': 4, 'fortran_order': False, 'shape': (1,)}"),
            "T.npy: descr must be a string such as '<f4'");
  EXPECT_EQ(error("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}"),
            "T.npy: fortran_order must be True or False");
  EXPECT_EQ(error("{'descr': '<f4', 'fortran_order': False, 'shape': [1]}"),
            "T.npy: shape must be a tuple of integers");
  EXPECT_NE(error("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}")
                .find("negative dimension in shape"),
            std::string::npos);
  EXPECT_NE(error("{'descr': '<f4', 'fortran_order': False, 'shape': "
                  "(99999999999999999999,)}")
                .find("dimension does not fit in int64"),
            std::string::npos);
  EXPECT_EQ(error("{'descr': '<f4', 'fortran_order': False, 'shape': "
                  "(4611686018427387904, 4)}"),
            "T.npy: shape [4611686018427387904, 4] needs more bytes than fit "
            "in int64");
  EXPECT_NE(error("{'descr': '<f4, 'fortran_order': False, 'shape': (1,)}")
                .find("malformed header"),
            std::string::npos);
  EXPECT_NE(error("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x")
                .find("unexpected text after the header dict"),
            std::string::npos);
  EXPECT_NE(error("['descr', '<f4']").find("expected '{'"),
            std::string::npos);
  EXPECT_NE(error("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)")
                .find("expected ',' or '}'"),
            std::string::npos);
  EXPECT_NE(error("{'de\\x73cr': '<f4', 'fortran_order': False, 'shape': "
                  "(1,)}")
                .find("escape sequences are not supported"),
            std::string::npos);
}

TEST(NpyTest, RejectsTruncatedAndOversizedData) {
  std::string dict = "{'descr': '<i8', 'fortran_order': False, 'shape': (2, "
                     "3), }";
  EXPECT_EQ(errorOf(npyFile(dict, zeros(40))),
            "T.npy: is truncated: <i8 [2, 3] needs 48 bytes of data, found "
            "40");
  EXPECT_EQ(errorOf(npyFile(dict, zeros(56))),
            "T.npy: has trailing bytes: <i8 [2, 3] needs 48 bytes of data, "
            "found 56");
  // Every truncation of a valid file is an error.
  StatusOr<std::vector<uint8_t>> good =
      encodeNpy(randomTensor(DType::F32, {3, 7}, 3));
  ASSERT_TRUE(good.isOk());
  for (size_t size = 0; size < good->size(); ++size) {
    StatusOr<HostTensor> read = parseNpy(good->data(), size, kName);
    ASSERT_FALSE(read.isOk()) << "truncated to " << size;
  }
}

TEST(NpyTest, MissingFileIsNotFound) {
  TempDir dir;
  StatusOr<HostTensor> read = readNpy(dir.file("T.npy"));
  ASSERT_FALSE(read.isOk());
  EXPECT_EQ(read.status().code(), StatusCode::kNotFound);
}

// 2000 deterministic mutations of a valid file: every read returns.
TEST(NpyTest, MutatedFilesNeverCrash) {
  StatusOr<std::vector<uint8_t>> good =
      encodeNpy(randomTensor(DType::I64, {4, 9}, 5));
  ASSERT_TRUE(good.isOk());
  uint64_t state = 99;
  int errors = 0;
  for (int round = 0; round < 2000; ++round) {
    std::vector<uint8_t> bytes = good.value();
    int edits = 1 + static_cast<int>(splitmix64(state) % 3);
    for (int e = 0; e < edits && !bytes.empty(); ++e) {
      uint64_t r = splitmix64(state);
      // Mostly the 128-byte preamble and header, where the parsing is.
      size_t at = static_cast<size_t>(splitmix64(state) %
                                      std::min<size_t>(bytes.size(), 140));
      switch (r % 5) {
      case 0:
        bytes[at] ^= static_cast<uint8_t>(1u << (r >> 8) % 8);
        break;
      case 1:
        bytes[at] = static_cast<uint8_t>("{}()[]',: 0123456789-LTFx"[(r >> 8) %
                                                                  25]);
        break;
      case 2:
        bytes.resize(static_cast<size_t>((r >> 8) % bytes.size()));
        break;
      case 3:
        bytes.insert(bytes.begin() + static_cast<long>(at),
                     static_cast<uint8_t>(r >> 16));
        break;
      default:
        bytes.erase(bytes.begin() + static_cast<long>(at));
        break;
      }
    }
    StatusOr<HostTensor> read = parseNpy(bytes.data(), bytes.size(), kName);
    if (!read.isOk()) {
      ++errors;
      EXPECT_EQ(read.status().message().rfind(kName, 0), 0u);
    }
  }
  EXPECT_GT(errors, 1000);
}

} // namespace
} // namespace strata::runtime::io
