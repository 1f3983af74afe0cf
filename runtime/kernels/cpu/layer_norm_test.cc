//===- layer_norm_test.cc - tests of layer_norm.h -----------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/layer_norm.h"

#include "runtime/kernels/cpu/testing/kernel_test_util.h"

#include <gtest/gtest.h>

namespace strata::runtime::cpu {
namespace {

using namespace testing;

constexpr double kEps = 1e-5;

std::vector<double> referenceLayerNorm(const std::vector<double> &x,
                                       const std::vector<double> &gamma,
                                       const std::vector<double> *beta,
                                       int64_t N, int64_t H) {
  std::vector<double> y(x.size());
  for (int64_t n = 0; n < N; ++n) {
    double mean = 0.0, var = 0.0;
    for (int64_t h = 0; h < H; ++h)
      mean += x[n * H + h];
    mean /= double(H);
    for (int64_t h = 0; h < H; ++h)
      var += (x[n * H + h] - mean) * (x[n * H + h] - mean);
    var /= double(H);
    for (int64_t h = 0; h < H; ++h)
      y[n * H + h] = (x[n * H + h] - mean) / std::sqrt(var + kEps) * gamma[h] +
                     (beta ? (*beta)[h] : 0.0);
  }
  return y;
}

struct LayerNormGrads {
  std::vector<double> dx, dgamma, dbeta;
};

template <typename T>
LayerNormGrads runBackward(const std::vector<double> &x,
                           const std::vector<double> &gamma,
                           const std::vector<double> *beta,
                           const std::vector<double> &dy, int64_t N,
                           int64_t H) {
  const auto xs = convert<T>(x), gs = convert<T>(gamma), dys = convert<T>(dy);
  const std::vector<T> bs = beta ? convert<T>(*beta) : std::vector<T>();
  std::vector<T> y(x.size()), mean(static_cast<size_t>(N)), rstd(static_cast<size_t>(N));
  layerNormForward<T>(xs.data(), gs.data(), beta ? bs.data() : nullptr, N, H,
                      kEps, y.data(), mean.data(), rstd.data());
  std::vector<T> dx(x.size()), dg(static_cast<size_t>(H)), db(static_cast<size_t>(H));
  layerNormBackward<T>(dys.data(), xs.data(), gs.data(), mean.data(),
                       rstd.data(), N, H, dx.data(), dg.data(),
                       beta ? db.data() : nullptr);
  return {convert<double>(dx), convert<double>(dg), convert<double>(db)};
}

TEST(LayerNormKernelTest, ForwardMatchesReference) {
  const int64_t N = 13, H = 37;
  const auto x = randomVector(N * H, 1, -2.0, 3.0);
  const auto gamma = randomVector(H, 2, 0.5, 1.5), beta = randomVector(H, 3);
  for (bool withBias : {true, false}) {
    const auto ref = referenceLayerNorm(x, gamma, withBias ? &beta : nullptr, N, H);
    std::vector<double> yd(x.size()), mean(N), rstd(N);
    layerNormForward<double>(x.data(), gamma.data(),
                             withBias ? beta.data() : nullptr, N, H, kEps,
                             yd.data(), mean.data(), rstd.data());
    EXPECT_LT(relativeError(yd, ref), 1e-13);
    const auto xf = convert<float>(x), gf = convert<float>(gamma),
               bf = convert<float>(beta);
    std::vector<float> yf(x.size());
    layerNormForward<float>(xf.data(), gf.data(), withBias ? bf.data() : nullptr,
                            N, H, kEps, yf.data(), nullptr, nullptr);
    EXPECT_LT(relativeError(yf, ref), 1e-6);
    // In place.
    std::vector<float> inPlace = xf;
    layerNormForward<float>(inPlace.data(), gf.data(),
                            withBias ? bf.data() : nullptr, N, H, kEps,
                            inPlace.data(), nullptr, nullptr);
    EXPECT_TRUE(bitwiseEqual(inPlace, yf));
  }
}

TEST(LayerNormKernelTest, BackwardMatchesFiniteDifferences) {
  const int64_t N = 5, H = 11;
  const auto x = randomVector(N * H, 4, -2.0, 2.0);
  const auto gamma = randomVector(H, 5, 0.5, 1.5), beta = randomVector(H, 6);
  const auto w = randomVector(N * H, 7);
  for (bool withBias : {true, false}) {
    const auto *b = withBias ? &beta : nullptr;
    const LayerNormGrads got = runBackward<double>(x, gamma, b, w, N, H);
    const auto fdX = finiteDifferenceGradient(x, w, [&](const auto &xs) {
      return referenceLayerNorm(xs, gamma, b, N, H);
    });
    const auto fdG = finiteDifferenceGradient(gamma, w, [&](const auto &gs) {
      return referenceLayerNorm(x, gs, b, N, H);
    });
    EXPECT_LT(relativeError(got.dx, fdX), 1e-6);
    EXPECT_LT(relativeError(got.dgamma, fdG), 1e-6);
    if (withBias) {
      const auto fdB = finiteDifferenceGradient(beta, w, [&](const auto &bs) {
        return referenceLayerNorm(x, gamma, &bs, N, H);
      });
      EXPECT_LT(relativeError(got.dbeta, fdB), 1e-6);
    }
  }
}

TEST(LayerNormKernelTest, FloatBackwardMatchesDouble) {
  const int64_t N = 13, H = 37;
  const auto x = randomVector(N * H, 8, -2.0, 2.0);
  const auto gamma = randomVector(H, 9, 0.5, 1.5), beta = randomVector(H, 10);
  const auto dy = randomVector(N * H, 11);
  const auto d = runBackward<double>(x, gamma, &beta, dy, N, H);
  const auto f = runBackward<float>(x, gamma, &beta, dy, N, H);
  EXPECT_LT(relativeError(f.dx, d.dx), 1e-4);
  EXPECT_LT(relativeError(f.dgamma, d.dgamma), 1e-4);
  EXPECT_LT(relativeError(f.dbeta, d.dbeta), 1e-4);
}

TEST(LayerNormKernelTest, BitwiseIndependentOfThreadCount) {
  const int64_t N = 301, H = 200; // parallel rows and column blocks
  const auto x = randomVector(N * H, 12, -2.0, 2.0);
  const auto gamma = randomVector(H, 13, 0.5, 1.5), beta = randomVector(H, 14);
  const auto dy = randomVector(N * H, 15);
  LayerNormGrads one, two;
  withThreads(1, [&] { one = runBackward<float>(x, gamma, &beta, dy, N, H); });
  withThreads(2, [&] { two = runBackward<float>(x, gamma, &beta, dy, N, H); });
  EXPECT_TRUE(bitwiseEqual(one.dx, two.dx));
  EXPECT_TRUE(bitwiseEqual(one.dgamma, two.dgamma));
  EXPECT_TRUE(bitwiseEqual(one.dbeta, two.dbeta));
}

} // namespace
} // namespace strata::runtime::cpu

namespace strata::runtime::cpu {
namespace {

// NeMo's layernorm1p: gamma stored as w - 1 (around zero), the norm scales
// by 1 + gamma; the same as a plain norm of 1 + gamma, forward and backward,
// with dgamma unchanged (d(1 + w)/dw = 1).
TEST(LayerNormKernelTest, GammaOffsetIsTheNormOfOnePlusGamma) {
  const int64_t N = 9, H = 23;
  const auto x = testing::randomVector(N * H, 16, -2.0, 2.0);
  const auto stored = testing::randomVector(H, 17, -0.3, 0.3);
  const auto beta = testing::randomVector(H, 18),
             dy = testing::randomVector(N * H, 19);
  std::vector<double> onePlus(stored);
  for (double &g : onePlus)
    g += 1.0;
  const auto ref = referenceLayerNorm(x, onePlus, &beta, N, H);
  std::vector<double> y(x.size()), mean(N), rstd(N);
  layerNormForward<double>(x.data(), stored.data(), beta.data(), N, H, kEps,
                           y.data(), mean.data(), rstd.data(), 1.0);
  EXPECT_LT(testing::relativeError(y, ref), 1e-13);
  std::vector<double> dx(x.size()), dg(H), db(H);
  layerNormBackward<double>(dy.data(), x.data(), stored.data(), mean.data(),
                            rstd.data(), N, H, dx.data(), dg.data(), db.data(),
                            1.0);
  const LayerNormGrads plain = runBackward<double>(x, onePlus, &beta, dy, N, H);
  EXPECT_LT(testing::relativeError(dx, plain.dx), 1e-13);
  EXPECT_LT(testing::relativeError(dg, plain.dgamma), 1e-13);
  EXPECT_LT(testing::relativeError(db, plain.dbeta), 1e-13);
  const auto fdG =
      testing::finiteDifferenceGradient(stored, dy, [&](const auto &gs) {
        std::vector<double> shifted(gs);
        for (double &g : shifted)
          g += 1.0;
        return referenceLayerNorm(x, shifted, &beta, N, H);
      });
  EXPECT_LT(testing::relativeError(dg, fdG), 1e-6);
  // Without the offset the same stored weights give another result.
  std::vector<double> unshifted(x.size());
  layerNormForward<double>(x.data(), stored.data(), beta.data(), N, H, kEps,
                           unshifted.data(), nullptr, nullptr);
  EXPECT_GT(testing::relativeError(unshifted, ref), 0.5);
}

TEST(LayerNormKernelTest, StatisticsEqualTheForwardsBitwise) {
  const int64_t N = 7, H = 45;
  const auto x = testing::convert<float>(testing::randomVector(N * H, 11));
  const auto gamma = testing::convert<float>(testing::randomVector(H, 12));
  std::vector<float> y(N * H), mean(N), rstd(N), mean2(N), rstd2(N);
  layerNormForward<float>(x.data(), gamma.data(), nullptr, N, H, kEps,
                          y.data(), mean.data(), rstd.data());
  layerNormStatistics<float>(x.data(), N, H, kEps, mean2.data(), rstd2.data());
  EXPECT_EQ(mean, mean2);
  EXPECT_EQ(rstd, rstd2);
}

} // namespace
} // namespace strata::runtime::cpu
