//===- int8_weights_test.cc - tests of int8_weights.h -------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Against f64 references over the dequantized weights w = scales * q.
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/int8_weights.h"

#include "runtime/kernels/cpu/testing/kernel_test_util.h"
#include "runtime/kernels/cpu/testing/tolerance.h"

#include <gtest/gtest.h>

#include <cmath>

namespace strata::runtime::cpu {
namespace {

using testing::bitwiseEqual;
using testing::convert;
using testing::randomVector;
using testing::relativeError;
using testing::withThreads;

struct Weights {
  std::vector<int8_t> q;
  std::vector<float> scales;
};

/// Every int8 value in [-127, 127] and scales of different magnitudes.
Weights randomWeights(int64_t N, int64_t K, uint32_t seed) {
  Weights w;
  for (double v : randomVector(N * K, seed, -127.0, 128.0))
    w.q.push_back(int8_t(std::floor(v)));
  for (double v : randomVector(N, seed + 1, -3.0, 1.0))
    w.scales.push_back(float(std::pow(10.0, v)));
  return w;
}

std::vector<double> referenceMatmul(int64_t M, int64_t N, int64_t K,
                                    const std::vector<double> &x,
                                    const Weights &w) {
  std::vector<double> y(size_t(M * N));
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double s = 0;
      for (int64_t k = 0; k < K; ++k)
        s += x[m * K + k] * (double(w.scales[n]) * double(w.q[n * K + k]));
      y[m * N + n] = s;
    }
  return y;
}

template <typename T>
std::vector<T> runMatmul(int64_t M, int64_t N, int64_t K,
                         const std::vector<double> &x, const Weights &w) {
  std::vector<T> xt = convert<T>(x), y(size_t(M * N));
  quantizedMatmul<T>(M, N, K, xt.data(), w.q.data(), w.scales.data(),
                     y.data());
  return y;
}

/// Bound on the relative error for an f32-accumulated dot product of
/// length K (the inputs rounded to T first for 16-bit types).
template <typename T> double bound(int64_t K) {
  return 4 * testing::unitRoundoff<T>() +
         4 * double(K) * testing::unitRoundoff<AccumulatorOf<T>>();
}

struct Shape {
  int64_t M, N, K;
};

// The matrix-vector path (M <= kGemvRows: decode), with K below, at and
// above the 32 lanes and N beyond one task; then the tiled path (prefill).
const Shape kShapes[] = {{1, 1, 1},   {1, 7, 31},   {1, 130, 32},
                         {1, 65, 100}, {3, 67, 97}, {8, 129, 64},
                         {9, 70, 33},  {17, 130, 96}, {64, 200, 257}};

template <typename T> void checkAgainstReference() {
  for (const Shape &s : kShapes) {
    const Weights w = randomWeights(s.N, s.K, 7);
    // The reference sees the inputs the kernel sees (rounded to T).
    const std::vector<double> x =
        convert<double>(convert<T>(randomVector(s.M * s.K, 3, -1.0, 1.0)));
    const std::vector<T> y = runMatmul<T>(s.M, s.N, s.K, x, w);
    EXPECT_LE(relativeError(convert<double>(y),
                            referenceMatmul(s.M, s.N, s.K, x, w)),
              bound<T>(s.K))
        << testing::elementTypeName<T>() << " M=" << s.M << " N=" << s.N
        << " K=" << s.K;
  }
}

TEST(QuantizedMatmul, MatchesF64ReferenceF32) { checkAgainstReference<float>(); }
TEST(QuantizedMatmul, MatchesF64ReferenceF64) { checkAgainstReference<double>(); }
TEST(QuantizedMatmul, MatchesF64ReferenceBf16) { checkAgainstReference<bf16>(); }
TEST(QuantizedMatmul, MatchesF64ReferenceF16) { checkAgainstReference<f16>(); }

TEST(QuantizedMatmul, ScalesApplyPerOutputRow) {
  // One row of ones, scaled 2 and 0.5: y = (2 K, 0.5 K).
  const int64_t K = 40;
  Weights w{std::vector<int8_t>(size_t(2 * K), 1), {2.0f, 0.5f}};
  const std::vector<float> x(size_t(K), 1.0f);
  std::vector<float> y(2);
  quantizedMatmul<float>(1, 2, K, x.data(), w.q.data(), w.scales.data(),
                         y.data());
  EXPECT_EQ(y[0], 80.0f);
  EXPECT_EQ(y[1], 20.0f);
}

TEST(QuantizedMatmul, BitwiseIndependentOfThreadCount) {
  for (const Shape &s : {Shape{1, 300, 200}, Shape{33, 300, 200}}) {
    const Weights w = randomWeights(s.N, s.K, 11);
    const std::vector<double> x = randomVector(s.M * s.K, 5, -1.0, 1.0);
    std::vector<float> one, many;
    withThreads(1, [&] { one = runMatmul<float>(s.M, s.N, s.K, x, w); });
    withThreads(4, [&] { many = runMatmul<float>(s.M, s.N, s.K, x, w); });
    EXPECT_TRUE(bitwiseEqual(one, many)) << "M=" << s.M;
  }
}

template <typename T> void checkEmbedding() {
  const int64_t V = 11, H = 37;
  const Weights w = randomWeights(V, H, 13);
  // A block of rows [4, 9) of the vocabulary: ids outside it give zeros.
  const int64_t offset = 4, block = 5;
  const std::vector<int32_t> ids = {0, 4, 8, 9, 10, 5};
  std::vector<T> out(ids.size() * size_t(H));
  quantizedEmbedding<T>(w.q.data() + offset * H, w.scales.data() + offset,
                        ids.data(), int64_t(ids.size()), offset, block, H,
                        out.data());
  for (size_t i = 0; i < ids.size(); ++i) {
    const bool inside = ids[i] >= offset && ids[i] < offset + block;
    for (int64_t h = 0; h < H; ++h) {
      const double expected =
          inside ? double(w.scales[ids[i]]) * double(w.q[ids[i] * H + h]) : 0.0;
      const double got = double(out[i * H + h]);
      EXPECT_NEAR(got, expected,
                  std::fabs(expected) * 2 * testing::unitRoundoff<T>())
          << testing::elementTypeName<T>() << " id " << ids[i] << " h " << h;
    }
  }
}

TEST(QuantizedEmbedding, RowsAreScaledAndBlocksOffset) {
  checkEmbedding<float>();
  checkEmbedding<double>();
  checkEmbedding<bf16>();
  checkEmbedding<f16>();
}

} // namespace
} // namespace strata::runtime::cpu
