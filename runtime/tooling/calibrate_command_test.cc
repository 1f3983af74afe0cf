//===- calibrate_command_test.cc - strata-run calibrate -------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/tooling/calibrate_command.h"

#include "runtime/io/file_io.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <unistd.h>

namespace strata::runtime {
namespace {

TEST(CalibrationShapes, ParsesEveryItem) {
  StatusOr<CalibrationShapes> shapes = parseCalibrationShapes(
      "# shapes of a model\n"
      "gemm matmul 1024 384 128\n"
      "gemm matmul_grad_weight 1024 384 128  # dw\n"
      "\n"
      "attention 8 128 128 4 2 32 1\n"
      "cross_entropy 1024 50304\n"
      "elementwise 131072\n"
      "all_reduce 4096\n",
      "shapes.txt");
  ASSERT_TRUE(shapes.isOk()) << shapes.status().message();
  ASSERT_EQ(shapes->gemms.size(), 2u);
  EXPECT_EQ(shapes->gemms[1].kernel, artifact::Kernel::MatmulGradWeight);
  EXPECT_EQ(shapes->gemms[1].m, 1024);
  EXPECT_EQ(shapes->gemms[1].k, 128);
  ASSERT_EQ(shapes->attention.size(), 1u);
  EXPECT_EQ(shapes->attention[0].kvHeads, 2);
  EXPECT_TRUE(shapes->attention[0].causal);
  ASSERT_EQ(shapes->crossEntropy.size(), 1u);
  EXPECT_EQ(shapes->crossEntropy[0].vocab, 50304);
  EXPECT_EQ(shapes->elementwise, std::vector<int64_t>{131072});
  EXPECT_EQ(shapes->allReduceBytes, std::vector<int64_t>{4096});
}

TEST(CalibrationShapes, ErrorsNameTheFileLineAndValue) {
  auto error = [](const std::string &text) {
    StatusOr<CalibrationShapes> shapes =
        parseCalibrationShapes(text, "shapes.txt");
    return shapes.isOk() ? std::string() : shapes.status().message();
  };
  EXPECT_NE(error("\ngemm matmul 4 x 2\n").find("shapes.txt:2: 'x' is not a "
                                                 "positive integer"),
            std::string::npos);
  EXPECT_NE(error("gemm conv 4 4 2\n").find("unknown GEMM kernel 'conv'"),
            std::string::npos);
  EXPECT_NE(error("gemm matmul 4 4\n").find("expected 3 numbers, got 2"),
            std::string::npos);
  EXPECT_NE(error("attention 1 8 8 4 3 16 1\n")
                .find("KV_HEADS 3 does not divide HEADS 4"),
            std::string::npos);
  EXPECT_NE(error("attention 1 8 8 4 2 16 yes\n").find("0 or 1"),
            std::string::npos);
  EXPECT_NE(error("softmax 3\n").find("shapes.txt:1: unknown item 'softmax'"),
            std::string::npos);
  EXPECT_NE(error("elementwise 0\n").find("'0' is not a positive integer"),
            std::string::npos);
}

// A real run on this machine's CPU: every shape gets a positive time.
TEST(CalibrateCommand, TimesEveryShapeOnTheCpu) {
  const std::string dir = ::testing::TempDir();
  const std::string shapesPath =
      dir + "/calibrate-shapes-" + std::to_string(getpid()) + ".txt";
  const std::string outPath =
      dir + "/calibrate-profile-" + std::to_string(getpid()) + ".json";
  {
    std::ofstream shapes(shapesPath);
    shapes << "gemm matmul 64 32 16\ngemm matmul_grad_input 64 32 16\n"
              "gemm matmul_grad_weight 64 32 16\n"
              "attention 2 16 16 4 2 8 1\ncross_entropy 32 100\n"
              "elementwise 4096\n";
  }
  CalibrateOptions options;
  options.shapes = shapesPath;
  options.out = outPath;
  options.minSeconds = 0.001;
  Status status = runCalibrateCommand(options);
  ASSERT_TRUE(status.isOk()) << status.message();
  StatusOr<std::vector<uint8_t>> bytes = io::readWholeFile(outPath);
  ASSERT_TRUE(bytes.isOk());
  const std::string json(bytes->begin(), bytes->end());
  EXPECT_NE(json.find("\"format\": \"strata-calibration-1\""),
            std::string::npos);
  EXPECT_NE(json.find("\"kernel\": \"matmul_grad_weight\", \"m\": 64, "
                      "\"n\": 32, \"k\": 16"),
            std::string::npos)
      << json;
  // Every measured time is a positive number.
  const std::regex seconds("_?seconds\": ([^,}]+)");
  int times = 0;
  for (auto it = std::sregex_iterator(json.begin(), json.end(), seconds);
       it != std::sregex_iterator(); ++it, ++times)
    EXPECT_GT(std::stod((*it)[1].str()), 0.0) << json;
  EXPECT_EQ(times, 3 + 2 + 2 + 1) << json;
  std::remove(shapesPath.c_str());
  std::remove(outPath.c_str());
}

} // namespace
} // namespace strata::runtime
