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
  StatusOr<io::TensorMap> ra = readParameters(**a), rb = readParameters(**b);
  ASSERT_TRUE(ra.isOk() && rb.isOk());
  const io::TensorMap &pa = *ra, &pb = *rb;
  ASSERT_EQ(pa.count("w"), 1u);
  EXPECT_TRUE(pa.at("w").bitwiseEquals(pb.at("w")));
  initializeParameters(**b, 8);
  StatusOr<io::TensorMap> after = readParameters(**b);
  ASSERT_TRUE(after.isOk());
  EXPECT_FALSE(pa.at("w").bitwiseEquals((*after).at("w")));
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

//===----------------------------------------------------------------------===//
// KV caches (buildCacheArtifact: two sequences, caches of 4 positions)
//===----------------------------------------------------------------------===//

using testing_support::buildCacheArtifact;
using testing_support::CacheSpec;

StatusOr<std::unique_ptr<Executor>> cacheExecutorFor(const CacheSpec &spec,
                                                     CpuDevice &device) {
  STRATA_ASSIGN_OR_RETURN(
      LoadedArtifact artifact,
      loadArtifactFromBytes(buildCacheArtifact(spec), "c.strata"));
  return Executor::create(std::move(artifact), device, {});
}

/// Writes q, k, v (values from |seed|) and |positions| and runs decode.
Status decodeStep(Executor &executor, const std::vector<int32_t> &positions,
                  int seed, io::HostTensor *q, io::HostTensor *k,
                  io::HostTensor *v) {
  int n = seed;
  for (io::HostTensor *t : {q, k, v})
    for (int64_t i = 0; i < t->numElements(); ++i)
      t->data<float>()[i] = 0.25f * float((n++ * 37) % 17) - 2.0f;
  io::HostTensor p(io::DType::I32, {2, 1});
  std::copy(positions.begin(), positions.end(), p.data<int32_t>());
  STRATA_RETURN_IF_ERROR(executor.write(2, *q));
  STRATA_RETURN_IF_ERROR(executor.write(3, *k));
  STRATA_RETURN_IF_ERROR(executor.write(4, *v));
  STRATA_RETURN_IF_ERROR(executor.write(5, p));
  return executor.run("decode");
}

TEST(ExecutorTest, DecodeWritesTheCacheAndAttendsItsPrefix) {
  CpuDevice device;
  auto made = cacheExecutorFor(CacheSpec(), device);
  ASSERT_TRUE(made.isOk()) << made.status().toString();
  Executor &executor = **made;
  // Sequence 0 decodes positions 0, 1, 2; sequence 1 positions 3, 2, 0
  // (rewriting its cache as a new sequence would).
  const std::vector<std::vector<int32_t>> steps = {{0, 3}, {1, 2}, {2, 0}};
  // The keys and values each sequence holds at each position, as written.
  float keys[2][4][2] = {}, values[2][4][2] = {};
  for (size_t step = 0; step < steps.size(); ++step) {
    SCOPED_TRACE(step);
    io::HostTensor q(io::DType::F32, {2, 1, 2, 2}),
        k(io::DType::F32, {2, 1, 1, 2}), v(io::DType::F32, {2, 1, 1, 2});
    Status status =
        decodeStep(executor, steps[step], int(step) * 11 + 1, &q, &k, &v);
    ASSERT_TRUE(status.isOk()) << status.toString();
    const io::HostTensor out = executor.read(6);
    const io::HostTensor keyCache = executor.read(0);
    for (int b = 0; b < 2; ++b) {
      const int position = steps[step][b];
      for (int d = 0; d < 2; ++d) {
        keys[b][position][d] = k.data<float>()[b * 2 + d];
        values[b][position][d] = v.data<float>()[b * 2 + d];
        EXPECT_EQ(keyCache.data<float>()[(b * 4 + position) * 2 + d],
                  keys[b][position][d]);
      }
      // Both heads read the one group: softmax over positions 0..position.
      for (int h = 0; h < 2; ++h) {
        const float *qh = q.data<float>() + (b * 2 + h) * 2;
        double scores[4], max = -INFINITY, sum = 0.0;
        for (int t = 0; t <= position; ++t) {
          scores[t] = 0.5 * (double(qh[0]) * keys[b][t][0] +
                             double(qh[1]) * keys[b][t][1]);
          max = std::max(max, scores[t]);
        }
        for (int t = 0; t <= position; ++t)
          sum += std::exp(scores[t] - max);
        for (int e = 0; e < 2; ++e) {
          double expected = 0.0;
          for (int t = 0; t <= position; ++t)
            expected += std::exp(scores[t] - max) / sum * values[b][t][e];
          EXPECT_NEAR(out.data<float>()[(b * 2 + h) * 2 + e], expected, 1e-5)
              << "b=" << b << " h=" << h << " e=" << e;
        }
      }
    }
  }
}

TEST(ExecutorTest, PositionsOutsideTheCacheAreRejectedBeforeAnyWrite) {
  CpuDevice device;
  auto made = cacheExecutorFor(CacheSpec(), device);
  ASSERT_TRUE(made.isOk()) << made.status().toString();
  Executor &executor = **made;
  const io::HostTensor before = executor.read(0);
  io::HostTensor q(io::DType::F32, {2, 1, 2, 2}),
      k(io::DType::F32, {2, 1, 1, 2}), v(io::DType::F32, {2, 1, 1, 2});
  for (const std::vector<int32_t> &positions :
       {std::vector<int32_t>{0, 4}, std::vector<int32_t>{-1, 0}}) {
    Status status = decodeStep(executor, positions, 5, &q, &k, &v);
    ASSERT_FALSE(status.isOk());
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
    const std::string bad = std::to_string(positions[0] < 0 ? -1 : 4);
    const std::string sequence = positions[0] < 0 ? "0" : "1";
    EXPECT_NE(status.message().find(
                  "function decode: instruction 0 (cache_write at "
                  "layers.0.attention.key_cache): position " +
                  bad + " of sequence " + sequence +
                  " (token 0 of the call) is outside the KV cache of 4 "
                  "positions [0, 4)"),
              std::string::npos)
        << status.message();
    // Sequence 0's valid position was not written either.
    EXPECT_TRUE(executor.read(0).bitwiseEquals(before));
  }
}

TEST(ExecutorTest, CacheKernelsNeedKVCacheBuffers) {
  CpuDevice device;
  CacheSpec spec;
  spec.cacheCategory = artifact::BufferCategory::Activation;
  auto made = cacheExecutorFor(spec, device);
  ASSERT_FALSE(made.isOk());
  EXPECT_NE(made.status().message().find(
                "c.strata: function decode, instruction 0 (cache_write at "
                "layers.0.attention.key_cache): result 0 "
                "'layers.0.attention.key_cache' is not a KV cache"),
            std::string::npos)
      << made.status().message();

  spec = CacheSpec();
  spec.attentionOperands = {2, 3, 4, 5}; // this call's keys, not the caches
  made = cacheExecutorFor(spec, device);
  ASSERT_FALSE(made.isOk());
  EXPECT_NE(made.status().message().find(
                "instruction 2 (cached_attention at layers.0.attention.core): "
                "operand 1 'k' is not a KV cache"),
            std::string::npos)
      << made.status().message();

  spec = CacheSpec();
  spec.causal = 0;
  made = cacheExecutorFor(spec, device);
  ASSERT_FALSE(made.isOk());
  EXPECT_NE(made.status().message().find("cached attention with causal = 0"),
            std::string::npos)
      << made.status().message();
}

} // namespace
} // namespace strata::runtime
