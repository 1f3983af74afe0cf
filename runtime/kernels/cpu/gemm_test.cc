//===- gemm_test.cc - tests of gemm.h -----------------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/gemm.h"

#include "runtime/kernels/cpu/testing/kernel_test_util.h"

#include <gtest/gtest.h>

namespace strata::runtime::cpu {
namespace {

using testing::bitwiseEqual;
using testing::convert;
using testing::randomVector;
using testing::relativeError;
using testing::withThreads;

struct GemmCase {
  bool ta, tb;
  int64_t M, N, K, lda, ldb, ldc;
  double alpha, beta;
};

/// C = alpha op(A) op(B) + beta C in double, the obvious way.
std::vector<double> referenceGemm(const GemmCase &c, const std::vector<double> &A,
                                  const std::vector<double> &B,
                                  std::vector<double> C) {
  for (int64_t i = 0; i < c.M; ++i)
    for (int64_t j = 0; j < c.N; ++j) {
      double s = 0.0;
      for (int64_t k = 0; k < c.K; ++k) {
        const double a = c.ta ? A[k * c.lda + i] : A[i * c.lda + k];
        const double b = c.tb ? B[j * c.ldb + k] : B[k * c.ldb + j];
        s += a * b;
      }
      double &out = C[i * c.ldc + j];
      out = c.alpha * s + (c.beta == 0.0 ? 0.0 : c.beta * out);
    }
  return C;
}

GemmCase makeCase(bool ta, bool tb, int64_t M, int64_t N, int64_t K,
                  int64_t pad, double alpha, double beta) {
  return {ta, tb, M, N, K, (ta ? M : K) + pad, (tb ? K : N) + pad, N + pad,
          alpha, beta};
}

template <typename T>
std::vector<T> runGemm(const GemmCase &c, const std::vector<double> &A,
                       const std::vector<double> &B,
                       const std::vector<double> &C0) {
  std::vector<T> a = convert<T>(A), b = convert<T>(B), out = convert<T>(C0);
  gemm<T>(c.ta ? Transpose::kYes : Transpose::kNo,
          c.tb ? Transpose::kYes : Transpose::kNo, c.M, c.N, c.K, T(c.alpha),
          a.data(), c.lda, b.data(), c.ldb, T(c.beta), out.data(), c.ldc);
  return out;
}

void checkCase(const GemmCase &c) {
  SCOPED_TRACE(::testing::Message()
               << (c.ta ? "T" : "N") << (c.tb ? "T" : "N") << " M=" << c.M
               << " N=" << c.N << " K=" << c.K << " beta=" << c.beta);
  const int64_t rowsA = c.ta ? c.K : c.M, rowsB = c.tb ? c.N : c.K;
  const auto A = randomVector(rowsA * c.lda, 1);
  const auto B = randomVector(rowsB * c.ldb, 2);
  auto C0 = randomVector(c.M * c.ldc, 3);
  if (c.beta == 0.0) // beta = 0 must not read C
    std::fill(C0.begin(), C0.end(), NAN);
  const auto ref = referenceGemm(c, A, B, C0);
  const auto d = runGemm<double>(c, A, B, C0);
  const auto f = runGemm<float>(c, A, B, C0);
  // Padding columns (j >= N) stay untouched; compare all.
  for (size_t i = 0; i < ref.size(); ++i)
    if (std::isnan(ref[i])) {
      ASSERT_TRUE(std::isnan(d[i]) && std::isnan(f[i])) << i;
    }
  auto finite = [](std::vector<double> v) {
    for (double &x : v)
      if (std::isnan(x))
        x = 0.0;
    return v;
  };
  EXPECT_LT(relativeError(finite(convert<double>(d)), finite(ref)), 1e-13);
  EXPECT_LT(relativeError(finite(convert<double>(f)), finite(ref)), 1e-5);
}

TEST(GemmKernelTest, SmallShapesAllTransposes) {
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      checkCase(makeCase(ta, tb, 13, 37, 10, 0, 1.0, 0.0));
      checkCase(makeCase(ta, tb, 13, 37, 10, 3, 0.5, 0.75));
      checkCase(makeCase(ta, tb, 1, 7, 129, 1, -1.25, 1.0));
      checkCase(makeCase(ta, tb, 7, 1, 3, 2, 2.0, 0.0));
    }
}

TEST(GemmKernelTest, BlockedParallelShapes) {
  // Above the single-block threshold: C is cut into blocks.
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      checkCase(makeCase(ta, tb, 300, 700, 50, 5, 1.0, 0.0));
      checkCase(makeCase(ta, tb, 3, 2500, 333, 0, 0.5, 1.0));
    }
}

TEST(GemmKernelTest, EmptyAndZeroK) {
  const GemmCase c = makeCase(false, false, 4, 5, 0, 0, 1.0, 0.5);
  const auto C0 = randomVector(c.M * c.ldc, 3);
  const auto f = runGemm<float>(c, {}, {}, C0);
  const auto d = runGemm<double>(c, {}, {}, C0);
  for (size_t i = 0; i < C0.size(); ++i) {
    EXPECT_FLOAT_EQ(f[i], float(0.5 * C0[i]));
    EXPECT_DOUBLE_EQ(d[i], 0.5 * C0[i]);
  }
  std::vector<float> none;
  gemm<float>(Transpose::kNo, Transpose::kNo, 0, 5, 3, 1.0f, none.data(), 3,
              none.data(), 5, 0.0f, none.data(), 5); // M = 0: no access
}

TEST(GemmKernelTest, BitwiseIndependentOfThreadCount) {
  // Shapes where oneDNN's own threading gives different bits for 1 and 2
  // threads (it splits K for some of them).
  const GemmCase cases[] = {makeCase(false, false, 1, 768, 3072, 0, 1.0, 0.0),
                            makeCase(true, false, 1, 768, 3072, 0, 1.0, 0.0),
                            makeCase(false, true, 512, 512, 2048, 0, 1.0, 0.0),
                            makeCase(true, false, 96, 1000, 4000, 0, 1.0, 1.0)};
  for (const GemmCase &c : cases) {
    const int64_t rowsA = c.ta ? c.K : c.M, rowsB = c.tb ? c.N : c.K;
    const auto A = randomVector(rowsA * c.lda, 4);
    const auto B = randomVector(rowsB * c.ldb, 5);
    const auto C0 = randomVector(c.M * c.ldc, 6);
    std::vector<float> one, two;
    withThreads(1, [&] { one = runGemm<float>(c, A, B, C0); });
    withThreads(2, [&] { two = runGemm<float>(c, A, B, C0); });
    EXPECT_TRUE(bitwiseEqual(one, two)) << c.M << "x" << c.N << "x" << c.K;
  }
}

TEST(GemmKernelTest, BatchedEqualsSeparateCalls) {
  const int64_t batch = 5, M = 33, N = 65, K = 17;
  const auto A = convert<float>(randomVector(batch * M * K, 7));
  const auto B = convert<float>(randomVector(batch * N * K, 8));
  std::vector<float> batched(size_t(batch * M * N)), separate(batched.size());
  batchedGemm<float>(Transpose::kNo, Transpose::kYes, batch, M, N, K, 1.0f,
                     A.data(), K, M * K, B.data(), K, N * K, 0.0f,
                     batched.data(), N, M * N);
  for (int64_t i = 0; i < batch; ++i)
    gemm<float>(Transpose::kNo, Transpose::kYes, M, N, K, 1.0f,
                A.data() + i * M * K, K, B.data() + i * N * K, K, 0.0f,
                separate.data() + i * M * N, N);
  EXPECT_TRUE(bitwiseEqual(batched, separate));

  // And against the reference, in double, with beta != 0.
  const auto Ad = randomVector(batch * K * M, 9), Bd = randomVector(batch * K * N, 10);
  const auto Cd = randomVector(batch * M * N, 11);
  std::vector<double> out = Cd;
  batchedGemm<double>(Transpose::kYes, Transpose::kNo, batch, M, N, K, 0.5,
                      Ad.data(), M, K * M, Bd.data(), N, K * N, 2.0,
                      out.data(), N, M * N);
  for (int64_t i = 0; i < batch; ++i) {
    const GemmCase c{true, false, M, N, K, M, N, N, 0.5, 2.0};
    std::vector<double> a(Ad.begin() + i * K * M, Ad.begin() + (i + 1) * K * M);
    std::vector<double> b(Bd.begin() + i * K * N, Bd.begin() + (i + 1) * K * N);
    std::vector<double> c0(Cd.begin() + i * M * N, Cd.begin() + (i + 1) * M * N);
    const auto ref = referenceGemm(c, a, b, c0);
    std::vector<double> got(out.begin() + i * M * N, out.begin() + (i + 1) * M * N);
    EXPECT_LT(relativeError(got, ref), 1e-13);
  }
}

} // namespace
} // namespace strata::runtime::cpu
