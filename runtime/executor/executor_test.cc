//===- executor_test.cc - preparation checks and the instruction loop -----===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Hand-built artifacts (artifact_test_support.h): a matmul y[2,4] = x[2,8]
// w[4,8]^T and an AdamW step. Whole compiled models are exercised by
// tests/executor (which needs the compiler) and tests/e2e.
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/executor.h"

#include "runtime/artifact/artifact_test_support.h"
#include "runtime/executor/parameters.h"

#include <gtest/gtest.h>

#include <cmath>

namespace strata::runtime {
namespace {

using testing_support::buildArtifact;
using testing_support::Spec;

StatusOr<std::unique_ptr<Executor>> executorFor(const Spec &spec,
                                                CpuDevice &device) {
  STRATA_ASSIGN_OR_RETURN(LoadedArtifact artifact,
                          loadArtifactFromBytes(buildArtifact(spec), "t.strata"));
  return Executor::create(std::move(artifact), device, {});
}

TEST(ExecutorTest, ArenaIsExactlyThePlannedSize) {
  CpuDevice device;
  Spec spec;
  spec.arenaSize = 1024;
  auto executor = executorFor(spec, device);
  ASSERT_TRUE(executor.isOk()) << executor.status().toString();
  EXPECT_EQ((*executor)->arenaBytes(), 1024u);
}

TEST(ExecutorTest, MatmulComputesXTimesWTransposed) {
  CpuDevice device;
  auto made = executorFor(Spec(), device);
  ASSERT_TRUE(made.isOk()) << made.status().toString();
  Executor &executor = **made;
  io::HostTensor w(io::DType::F32, {4, 8}), x(io::DType::F32, {2, 8});
  for (int i = 0; i < 32; ++i)
    w.data<float>()[i] = 0.25f * float(i % 7) - 0.5f;
  for (int i = 0; i < 16; ++i)
    x.data<float>()[i] = 0.125f * float(i) - 1.0f;
  ASSERT_TRUE(executor.write(0, w).isOk());
  ASSERT_TRUE(executor.write(4, x).isOk());
  ASSERT_TRUE(executor.run("forward").isOk());
  io::HostTensor y = executor.read(5);
  for (int m = 0; m < 2; ++m)
    for (int n = 0; n < 4; ++n) {
      double expected = 0.0;
      for (int k = 0; k < 8; ++k)
        expected += double(x.data<float>()[m * 8 + k]) *
                    double(w.data<float>()[n * 8 + k]);
      EXPECT_NEAR(y.data<float>()[m * 4 + n], expected, 1e-5);
    }
}

TEST(ExecutorTest, MisShapedMatmulIsRejectedBeforeRunning) {
  CpuDevice device;
  Spec spec;
  spec.matmulOperands = {0, 4}; // w[4,8] x[2,8]^T is [4,2], y is [2,4]
  auto executor = executorFor(spec, device);
  ASSERT_FALSE(executor.isOk());
  const std::string message = executor.status().message();
  EXPECT_NE(message.find("t.strata: function forward, instruction 0 (matmul "
                         "at output)"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("'y' [2,4] should have shape [4,2]"),
            std::string::npos)
      << message;
}

TEST(ExecutorTest, ContractedDimensionsMustAgree) {
  CpuDevice device;
  Spec spec;
  spec.matmulInts = {2}; // contracting 2 dims of x[2,8]: more than it has
  auto executor = executorFor(spec, device);
  ASSERT_FALSE(executor.isOk());
  EXPECT_NE(executor.status().message().find("contracting 2 dimensions"),
            std::string::npos)
      << executor.status().message();
}

TEST(ExecutorTest, WriteRejectsTensorsOfAnotherShapeOrType) {
  CpuDevice device;
  auto made = executorFor(Spec(), device);
  ASSERT_TRUE(made.isOk());
  Status wrongShape = (*made)->write(4, io::HostTensor(io::DType::F32, {8, 2}));
  EXPECT_EQ(wrongShape.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrongShape.message().find("'x' is F32 [2, 8], got F32 [8, 2]"),
            std::string::npos)
      << wrongShape.message();
  EXPECT_FALSE((*made)->write(4, io::HostTensor(io::DType::F64, {2, 8})).isOk());
}

TEST(ExecutorTest, InitializationIsDeterministicAndHasTheRequestedStd) {
  CpuDevice device;
  auto a = executorFor(Spec(), device), b = executorFor(Spec(), device);
  ASSERT_TRUE(a.isOk() && b.isOk());
  initializeParameters(**a, 7);
  initializeParameters(**b, 7);
  const io::TensorMap pa = readParameters(**a), pb = readParameters(**b);
  ASSERT_EQ(pa.count("w"), 1u);
  EXPECT_TRUE(pa.at("w").bitwiseEquals(pb.at("w")));
  initializeParameters(**b, 8);
  EXPECT_FALSE(pa.at("w").bitwiseEquals(readParameters(**b).at("w")));
  double sumSquares = 0.0;
  for (int i = 0; i < 32; ++i)
    sumSquares += std::pow(pa.at("w").data<float>()[i], 2);
  // 32 samples of N(0, 0.02^2): the sample std lies within a factor 2.
  const double std = std::sqrt(sumSquares / 32);
  EXPECT_GT(std, 0.01);
  EXPECT_LT(std, 0.04);
}

TEST(ExecutorTest, WriteParametersListsEveryProblem) {
  CpuDevice device;
  auto made = executorFor(Spec(), device);
  ASSERT_TRUE(made.isOk());
  io::TensorMap params;
  params.emplace("w", io::HostTensor(io::DType::F32, {8, 4}));
  params.emplace("extra", io::HostTensor(io::DType::F32, {3}));
  Status status = writeParameters(**made, params, "c.safetensors");
  ASSERT_FALSE(status.isOk());
  EXPECT_NE(status.message().find("w has shape [8, 4], expected [4, 8]"),
            std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("unexpected extra [3]"), std::string::npos)
      << status.message();
  Status missing = writeParameters(**made, {}, "c.safetensors");
  EXPECT_NE(missing.message().find("missing w"), std::string::npos)
      << missing.message();
}

TEST(ExecutorTest, UnknownFunctionNamesTheOnesThatExist) {
  CpuDevice device;
  auto made = executorFor(Spec(), device);
  ASSERT_TRUE(made.isOk());
  Status status = (*made)->run("forward_backward");
  EXPECT_NE(status.message().find("it has: forward optimizer_step"),
            std::string::npos)
      << status.message();
}

} // namespace
} // namespace strata::runtime
