//===- bias_test.cc - tests of bias.h -----------------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/bias.h"

#include "runtime/kernels/cpu/philox.h"
#include "runtime/kernels/cpu/testing/kernel_test_util.h"

#include <gtest/gtest.h>

#include <map>
#include <utility>

namespace strata::runtime::cpu {
namespace {

using namespace testing;

constexpr int64_t N = 13, H = 37;

double refGelu(double x, bool tanhApprox) {
  if (tanhApprox)
    return 0.5 * x *
           (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
  return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
}

std::vector<double> refBiasGelu(const std::vector<double> &x,
                                const std::vector<double> &b, int64_t rows,
                                int64_t cols, bool t) {
  std::vector<double> y(x.size());
  for (int64_t n = 0; n < rows; ++n)
    for (int64_t h = 0; h < cols; ++h)
      y[n * cols + h] = refGelu(x[n * cols + h] + b[h], t);
  return y;
}

TEST(BiasKernelTest, BiasAddForwardAndBackward) {
  const auto x = randomVector(N * H, 1), b = randomVector(H, 2);
  std::vector<double> y(N * H), db(H), refDb(H, 0.0);
  biasAddForward<double>(x.data(), b.data(), N, H, y.data());
  for (int64_t n = 0; n < N; ++n)
    for (int64_t h = 0; h < H; ++h) {
      EXPECT_EQ(y[n * H + h], x[n * H + h] + b[h]);
      refDb[h] += x[n * H + h];
    }
  biasAddBackward<double>(x.data(), N, H, db.data());
  EXPECT_LT(relativeError(db, refDb), 1e-14);
  const auto xf = convert<float>(x);
  std::vector<float> dbf(H);
  biasAddBackward<float>(xf.data(), N, H, dbf.data());
  EXPECT_LT(relativeError(dbf, refDb), 1e-6);
}

TEST(BiasKernelTest, BiasGeluForwardAndBackward) {
  const auto x = randomVector(N * H, 3, -4.0, 4.0), b = randomVector(H, 4);
  const auto w = randomVector(N * H, 5);
  for (auto approx : {GeluApproximation::kNone, GeluApproximation::kTanh}) {
    const bool t = approx == GeluApproximation::kTanh;
    const auto ref = refBiasGelu(x, b, N, H, t);
    std::vector<double> y(N * H), dx(N * H), db(H);
    biasGeluForward<double>(x.data(), b.data(), N, H, approx, y.data());
    EXPECT_LT(relativeError(y, ref), 1e-14);
    biasGeluBackward<double>(x.data(), b.data(), w.data(), N, H, approx,
                             dx.data(), db.data());
    const auto fdX = finiteDifferenceGradient(
        x, w, [&](const auto &xs) { return refBiasGelu(xs, b, N, H, t); });
    const auto fdB = finiteDifferenceGradient(
        b, w, [&](const auto &bs) { return refBiasGelu(x, bs, N, H, t); });
    EXPECT_LT(relativeError(dx, fdX), 1e-6);
    EXPECT_LT(relativeError(db, fdB), 1e-6);
    const auto xf = convert<float>(x), bf = convert<float>(b),
               wf = convert<float>(w);
    std::vector<float> yf(N * H), dxf(N * H), dbf(H);
    biasGeluForward<float>(xf.data(), bf.data(), N, H, approx, yf.data());
    EXPECT_LT(relativeError(yf, ref), 1e-6);
    biasGeluBackward<float>(xf.data(), bf.data(), wf.data(), N, H, approx,
                            dxf.data(), dbf.data());
    EXPECT_LT(relativeError(dxf, dx), 1e-5);
    EXPECT_LT(relativeError(dbf, db), 1e-4);
  }
}

std::vector<double> refBiasDropoutResidual(const std::vector<double> &x,
                                           const std::vector<double> &b,
                                           const std::vector<double> &res,
                                           double p, uint64_t seed,
                                           uint64_t offset) {
  const DropoutMask mask(p, seed, offset);
  std::vector<double> y(x.size());
  for (int64_t n = 0; n < N; ++n)
    for (int64_t h = 0; h < H; ++h) {
      const int64_t i = n * H + h;
      y[i] = res[i] + (mask.keep(uint64_t(i)) ? (x[i] + b[h]) / (1 - p) : 0.0);
    }
  return y;
}

TEST(BiasKernelTest, BiasDropoutResidualForwardAndBackward) {
  const double p = 0.25;
  const uint64_t seed = 99, offset = 7;
  const auto x = randomVector(N * H, 6), b = randomVector(H, 7),
             res = randomVector(N * H, 8), w = randomVector(N * H, 9);
  const auto ref = refBiasDropoutResidual(x, b, res, p, seed, offset);
  std::vector<double> y(N * H), dx(N * H), db(H);
  biasDropoutResidualForward<double>(x.data(), b.data(), res.data(), N, H, p,
                                     seed, offset, y.data());
  EXPECT_LT(relativeError(y, ref), 1e-15);
  biasDropoutResidualBackward<double>(w.data(), N, H, p, seed, offset,
                                      dx.data(), db.data());
  const auto fdX = finiteDifferenceGradient(x, w, [&](const auto &xs) {
    return refBiasDropoutResidual(xs, b, res, p, seed, offset);
  });
  const auto fdB = finiteDifferenceGradient(b, w, [&](const auto &bs) {
    return refBiasDropoutResidual(x, bs, res, p, seed, offset);
  });
  EXPECT_LT(relativeError(dx, fdX), 1e-6);
  EXPECT_LT(relativeError(db, fdB), 1e-6);
  // Float, in place over the residual; no bias.
  auto yf = convert<float>(res);
  const auto xf = convert<float>(x);
  biasDropoutResidualForward<float>(xf.data(), nullptr, yf.data(), N, H, p,
                                    seed, offset, yf.data());
  const auto refNoBias =
      refBiasDropoutResidual(x, std::vector<double>(H, 0.0), res, p, seed, offset);
  EXPECT_LT(relativeError(yf, refNoBias), 1e-6);
}

TEST(BiasKernelTest, BitwiseIndependentOfThreadCount) {
  const int64_t rows = 500, cols = 300;
  const auto x = convert<float>(randomVector(rows * cols, 10, -3.0, 3.0));
  const auto b = convert<float>(randomVector(cols, 11));
  const auto dy = convert<float>(randomVector(rows * cols, 12));
  auto run = [&] {
    std::vector<float> dx(rows * cols), db(cols), db2(cols), dx2(rows * cols);
    biasGeluBackward<float>(x.data(), b.data(), dy.data(), rows, cols,
                            GeluApproximation::kTanh, dx.data(), db.data());
    biasDropoutResidualBackward<float>(dy.data(), rows, cols, 0.1, 5, 6,
                                       dx2.data(), db2.data());
    dx.insert(dx.end(), db.begin(), db.end());
    dx.insert(dx.end(), dx2.begin(), dx2.end());
    dx.insert(dx.end(), db2.begin(), db2.end());
    return dx;
  };
  std::vector<float> one, two;
  withThreads(1, [&] { one = run(); });
  withThreads(2, [&] { two = run(); });
  EXPECT_TRUE(bitwiseEqual(one, two));
}

/// For x[3, 12, 5] (bias over the last dimension) split along each
/// dimension over 1..4 ranks: each rank's fused forward (y) and backward (dx)
/// with its indexing are bit for bit the rank's slice of the unsplit
/// kernel's, and db is the slice of the unsplit db when the hidden dimension
/// is split, a partial sum whose sum over the ranks is the unsplit db when
/// the rows are. Without the indexing the slices differ (except on blocks
/// whose elements sit at their global positions).
template <typename T>
void checkSplitBiasDropoutResidual(double dbTol) {
  const std::vector<int64_t> dims = {3, 12, 5};
  const int64_t n = 3 * 12 * 5, Hg = 5;
  const double p = 0.5;
  const uint64_t seed = 4321, offset = 65;
  const auto x = convert<T>(randomVector(n, 31)),
             res = convert<T>(randomVector(n, 32)),
             dy = convert<T>(randomVector(n, 33)),
             b = convert<T>(randomVector(Hg, 34));
  std::vector<T> y(n), dx(n), db(Hg);
  biasDropoutResidualForward<T>(x.data(), b.data(), res.data(), n / Hg, Hg, p,
                                seed, offset, y.data());
  biasDropoutResidualBackward<T>(dy.data(), n / Hg, Hg, p, seed, offset,
                                 dx.data(), db.data());
  // Sums over the ranks of the partial db of a split of the rows, by
  // (dimension, rank count).
  std::map<std::pair<int, int>, std::vector<double>> dbSums;
  for (const SplitBlock &blk : splitBlocks(dims, 4)) {
    SCOPED_TRACE(blk.describe());
    const int64_t H = blk.localDims().back(), N = H ? blk.localSize() / H : 0;
    const bool splitsHidden = blk.dim == 2;
    const auto xl = blk.slice(x), resl = blk.slice(res), dyl = blk.slice(dy);
    const auto bl = splitsHidden ? sliceMiddle(b, Hg, 1, blk.begin, H) : b;
    std::vector<T> yl(N * H), dxl(N * H), dbl(H), plain(N * H);
    biasDropoutResidualForward<T>(xl.data(), bl.data(), resl.data(), N, H, p,
                                  seed, offset, yl.data(), blk.indexing());
    biasDropoutResidualBackward<T>(dyl.data(), N, H, p, seed, offset,
                                   dxl.data(), dbl.data(), blk.indexing());
    EXPECT_TRUE(bitwiseEqual(yl, blk.slice(y)));
    EXPECT_TRUE(bitwiseEqual(dxl, blk.slice(dx)));
    if (splitsHidden) {
      EXPECT_TRUE(bitwiseEqual(dbl, sliceMiddle(db, Hg, 1, blk.begin, H)));
    } else {
      auto &sum = dbSums[{blk.dim, blk.ranks}];
      sum.resize(Hg, 0.0);
      for (int64_t h = 0; h < Hg; ++h)
        sum[h] += double(dbl[h]);
    }
    // Control: the local positions draw another mask.
    biasDropoutResidualForward<T>(xl.data(), bl.data(), resl.data(), N, H, p,
                                  seed, offset, plain.data());
    EXPECT_EQ(bitwiseEqual(plain, blk.slice(y)), blk.keepsPositions());
  }
  EXPECT_EQ(dbSums.size(), 8u);
  for (const auto &[key, sum] : dbSums) {
    SCOPED_TRACE("dim " + std::to_string(key.first) + ", " +
                 std::to_string(key.second) + " ranks");
    EXPECT_LT(relativeError(sum, db), dbTol);
  }
}

TEST(BiasKernelTest, BiasDropoutResidualSplitTensorDrawsTheUnsplitMask) {
  checkSplitBiasDropoutResidual<float>(1e-6);
  checkSplitBiasDropoutResidual<double>(1e-14);
}

} // namespace
} // namespace strata::runtime::cpu
