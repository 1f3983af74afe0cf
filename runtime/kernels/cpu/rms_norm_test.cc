//===- rms_norm_test.cc - tests of rms_norm.h ---------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/rms_norm.h"

#include "runtime/kernels/cpu/testing/kernel_test_util.h"

#include <gtest/gtest.h>

namespace strata::runtime::cpu {
namespace {

using namespace testing;

constexpr double kEps = 1e-6;

std::vector<double> referenceRmsNorm(const std::vector<double> &x,
                                     const std::vector<double> &gamma,
                                     int64_t N, int64_t H) {
  std::vector<double> y(x.size());
  for (int64_t n = 0; n < N; ++n) {
    double ms = 0.0;
    for (int64_t h = 0; h < H; ++h)
      ms += x[n * H + h] * x[n * H + h];
    const double r = 1.0 / std::sqrt(ms / double(H) + kEps);
    for (int64_t h = 0; h < H; ++h)
      y[n * H + h] = x[n * H + h] * r * gamma[h];
  }
  return y;
}

template <typename T>
std::pair<std::vector<double>, std::vector<double>>
runBackward(const std::vector<double> &x, const std::vector<double> &gamma,
            const std::vector<double> &dy, int64_t N, int64_t H) {
  const auto xs = convert<T>(x), gs = convert<T>(gamma), dys = convert<T>(dy);
  std::vector<T> y(x.size()), rstd(static_cast<size_t>(N)), dx(x.size()), dg(static_cast<size_t>(H));
  rmsNormForward<T>(xs.data(), gs.data(), N, H, kEps, y.data(), rstd.data());
  rmsNormBackward<T>(dys.data(), xs.data(), gs.data(), rstd.data(), N, H,
                     dx.data(), dg.data());
  return {convert<double>(dx), convert<double>(dg)};
}

TEST(RmsNormKernelTest, ForwardMatchesReference) {
  const int64_t N = 13, H = 37;
  const auto x = randomVector(N * H, 1, -2.0, 3.0);
  const auto gamma = randomVector(H, 2, 0.5, 1.5);
  const auto ref = referenceRmsNorm(x, gamma, N, H);
  std::vector<double> yd(x.size()), rstd(N);
  rmsNormForward<double>(x.data(), gamma.data(), N, H, kEps, yd.data(),
                         rstd.data());
  EXPECT_LT(relativeError(yd, ref), 1e-13);
  const auto xf = convert<float>(x), gf = convert<float>(gamma);
  std::vector<float> yf(x.size());
  rmsNormForward<float>(xf.data(), gf.data(), N, H, kEps, yf.data(), nullptr);
  EXPECT_LT(relativeError(yf, ref), 1e-6);
}

TEST(RmsNormKernelTest, BackwardMatchesFiniteDifferences) {
  const int64_t N = 5, H = 11;
  const auto x = randomVector(N * H, 3, -2.0, 2.0);
  const auto gamma = randomVector(H, 4, 0.5, 1.5);
  const auto w = randomVector(N * H, 5);
  const auto got = runBackward<double>(x, gamma, w, N, H);
  const auto fdX = finiteDifferenceGradient(
      x, w, [&](const auto &xs) { return referenceRmsNorm(xs, gamma, N, H); });
  const auto fdG = finiteDifferenceGradient(
      gamma, w, [&](const auto &gs) { return referenceRmsNorm(x, gs, N, H); });
  EXPECT_LT(relativeError(got.first, fdX), 1e-6);
  EXPECT_LT(relativeError(got.second, fdG), 1e-6);
}

TEST(RmsNormKernelTest, FloatBackwardMatchesDouble) {
  const int64_t N = 13, H = 37;
  const auto x = randomVector(N * H, 6, -2.0, 2.0);
  const auto gamma = randomVector(H, 7, 0.5, 1.5), dy = randomVector(N * H, 8);
  const auto d = runBackward<double>(x, gamma, dy, N, H);
  const auto f = runBackward<float>(x, gamma, dy, N, H);
  EXPECT_LT(relativeError(f.first, d.first), 1e-4);
  EXPECT_LT(relativeError(f.second, d.second), 1e-4);
}

TEST(RmsNormKernelTest, BitwiseIndependentOfThreadCount) {
  const int64_t N = 301, H = 200;
  const auto x = randomVector(N * H, 9, -2.0, 2.0);
  const auto gamma = randomVector(H, 10, 0.5, 1.5), dy = randomVector(N * H, 11);
  std::pair<std::vector<double>, std::vector<double>> one, two;
  withThreads(1, [&] { one = runBackward<float>(x, gamma, dy, N, H); });
  withThreads(2, [&] { two = runBackward<float>(x, gamma, dy, N, H); });
  EXPECT_TRUE(bitwiseEqual(one.first, two.first));
  EXPECT_TRUE(bitwiseEqual(one.second, two.second));
}

} // namespace
} // namespace strata::runtime::cpu

namespace strata::runtime::cpu {
namespace {

TEST(RmsNormKernelTest, StatisticsEqualTheForwardsBitwise) {
  const int64_t N = 5, H = 63;
  const auto x = testing::convert<float>(testing::randomVector(N * H, 21));
  const auto gamma = testing::convert<float>(testing::randomVector(H, 22));
  std::vector<float> y(N * H), rstd(N), rstd2(N);
  rmsNormForward<float>(x.data(), gamma.data(), N, H, 1e-5, y.data(),
                        rstd.data());
  rmsNormStatistics<float>(x.data(), N, H, 1e-5, rstd2.data());
  EXPECT_EQ(rstd, rstd2);
}

} // namespace
} // namespace strata::runtime::cpu
