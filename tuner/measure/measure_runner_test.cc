//===- measure_runner_test.cc ---------------------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "tuner/measure/measure_runner.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace strata::tuner {
namespace {

TEST(MeasureRunner, TokensNpyHasAlignedHeaderAndTokensInRange) {
  const std::string path = ::testing::TempDir() + "/tokens.npy";
  ASSERT_TRUE(writeTokensNpy(path, 3, 5, 7, 42));
  std::ifstream file(path, std::ios::binary);
  std::stringstream bytes;
  bytes << file.rdbuf();
  const std::string data = bytes.str();
  ASSERT_GE(data.size(), 10u);
  EXPECT_EQ(data.substr(0, 6), "\x93NUMPY");
  const size_t headerLength =
      size_t(uint8_t(data[8])) | size_t(uint8_t(data[9])) << 8;
  EXPECT_EQ((10 + headerLength) % 64, 0u);
  const std::string header = data.substr(10, headerLength);
  EXPECT_NE(header.find("'descr': '<i4'"), std::string::npos);
  EXPECT_NE(header.find("'shape': (3, 5)"), std::string::npos);
  EXPECT_EQ(header.back(), '\n');
  ASSERT_EQ(data.size(), 10 + headerLength + 3 * 5 * 4);
  for (size_t i = 10 + headerLength; i < data.size(); i += 4) {
    int32_t t;
    std::memcpy(&t, data.data() + i, 4);
    EXPECT_GE(t, 0);
    EXPECT_LT(t, 7);
  }
  std::remove(path.c_str());
}

TEST(MeasureRunner, RunCommandCapturesOutputAndStatus) {
  std::string output;
  EXPECT_EQ(runCommand("echo hello; echo oops >&2", output), 0);
  EXPECT_EQ(output, "hello\noops\n");
  EXPECT_EQ(runCommand("exit 3", output), 3);
}

TEST(MeasureRunner, MissingToolIsAnErrorNamingTheCommand) {
  MeasureSetup setup;
  setup.binDir = "/nonexistent";
  setup.workDir = ::testing::TempDir();
  setup.modelPath = "m.yaml";
  MeasureResult r = measureLayout(setup, {"model.micro_batch_size=1"}, 1, "x");
  EXPECT_NE(r.error.find("/nonexistent/strata-compile"), std::string::npos)
      << r.error;
  EXPECT_NE(r.error.find("failed"), std::string::npos);
}

} // namespace
} // namespace strata::tuner
