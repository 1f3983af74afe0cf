//===- activation_test.cc - tests of activation.h -----------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/activation.h"

#include "runtime/kernels/cpu/testing/kernel_test_util.h"

#include <gtest/gtest.h>

#include <sstream>

namespace strata::runtime::cpu {
namespace {

using namespace testing;

double refGelu(double x, bool tanhApprox) {
  if (tanhApprox)
    return 0.5 * x *
           (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
  return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
}
double refSilu(double x) { return x / (1.0 + std::exp(-x)); }

std::vector<double> inputs(uint32_t seed) {
  auto x = randomVector(997, seed, -7.0, 7.0);
  // Special points: 0, tails, near the erf clamp.
  for (double v : {0.0, -0.0, 1e-8, -1e-8, 3.99, 4.01, -4.01, 12.0, -12.0,
                   30.0, -30.0, 90.0, -90.0})
    x.push_back(v);
  return x;
}

template <typename F>
std::vector<double> map(const std::vector<double> &x, F f) {
  std::vector<double> y(x.size());
  for (size_t i = 0; i < x.size(); ++i)
    y[i] = f(x[i]);
  return y;
}

/// Central differences of an elementwise function: dx = dy * f'(x).
template <typename F>
std::vector<double> elementwiseFd(const std::vector<double> &x,
                                  const std::vector<double> &dy, F f) {
  std::vector<double> g(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double h = 1e-6 * std::max(1.0, std::fabs(x[i]));
    g[i] = dy[i] * (f(x[i] + h) - f(x[i] - h)) / (2 * h);
  }
  return g;
}

TEST(ActivationKernelTest, GeluForwardAndBackward) {
  const auto x = inputs(1), dy = randomVector(int64_t(x.size()), 2);
  for (auto approx : {GeluApproximation::kNone, GeluApproximation::kTanh}) {
    const bool t = approx == GeluApproximation::kTanh;
    SCOPED_TRACE(t ? "tanh" : "erf");
    const auto ref = map(x, [&](double v) { return refGelu(v, t); });
    std::vector<double> yd(x.size()), dxd(x.size());
    geluForward<double>(x.data(), yd.data(), int64_t(x.size()), approx);
    EXPECT_LT(relativeError(yd, ref), 1e-14);
    const auto xf = convert<float>(x), dyf = convert<float>(dy);
    std::vector<float> yf(x.size()), dxf(x.size());
    geluForward<float>(xf.data(), yf.data(), int64_t(x.size()), approx);
    // Absolute error 1e-6 * max|y| (max|y| = 90 here, so ~1e-6 on O(1) y).
    EXPECT_LT(relativeError(yf, ref), 1e-7);
    geluBackward<double>(x.data(), dy.data(), dxd.data(), int64_t(x.size()),
                         approx);
    EXPECT_LT(relativeError(dxd, elementwiseFd(x, dy, [&](double v) {
                return refGelu(v, t);
              })),
              1e-6);
    geluBackward<float>(xf.data(), dyf.data(), dxf.data(), int64_t(x.size()),
                        approx);
    EXPECT_LT(relativeError(dxf, dxd), 1e-5);
  }
}

TEST(ActivationKernelTest, SiluForwardAndBackward) {
  const auto x = inputs(3), dy = randomVector(int64_t(x.size()), 4);
  const int64_t n = int64_t(x.size());
  const auto ref = map(x, refSilu);
  std::vector<double> yd(n), dxd(n);
  siluForward<double>(x.data(), yd.data(), n);
  EXPECT_LT(relativeError(yd, ref), 1e-14);
  const auto xf = convert<float>(x), dyf = convert<float>(dy);
  std::vector<float> yf(n), dxf(n);
  siluForward<float>(xf.data(), yf.data(), n);
  EXPECT_LT(relativeError(yf, ref), 1e-7);
  siluBackward<double>(x.data(), dy.data(), dxd.data(), n);
  EXPECT_LT(relativeError(dxd, elementwiseFd(x, dy, refSilu)), 1e-6);
  siluBackward<float>(xf.data(), dyf.data(), dxf.data(), n);
  EXPECT_LT(relativeError(dxf, dxd), 1e-6);
}

TEST(ActivationKernelTest, SwigluForwardAndBackward) {
  const auto gate = inputs(5);
  const int64_t n = int64_t(gate.size());
  const auto up = randomVector(n, 6, -3.0, 3.0), dy = randomVector(n, 7);
  std::vector<double> ref(n);
  for (int64_t i = 0; i < n; ++i)
    ref[i] = refSilu(gate[i]) * up[i];
  std::vector<double> yd(n), dg(n), du(n);
  swigluForward<double>(gate.data(), up.data(), yd.data(), n);
  EXPECT_LT(relativeError(yd, ref), 1e-14);
  swigluBackward<double>(gate.data(), up.data(), dy.data(), dg.data(),
                         du.data(), n);
  std::vector<double> fdG(n), fdU(n);
  for (int64_t i = 0; i < n; ++i) {
    const double hg = 1e-6 * std::max(1.0, std::fabs(gate[i]));
    const double hu = 1e-6 * std::max(1.0, std::fabs(up[i]));
    fdG[i] = dy[i] * (refSilu(gate[i] + hg) - refSilu(gate[i] - hg)) /
             (2 * hg) * up[i];
    fdU[i] = dy[i] * refSilu(gate[i]) * ((up[i] + hu) - (up[i] - hu)) / (2 * hu);
  }
  EXPECT_LT(relativeError(dg, fdG), 1e-6);
  EXPECT_LT(relativeError(du, fdU), 1e-6);
  const auto gf = convert<float>(gate), uf = convert<float>(up),
             dyf = convert<float>(dy);
  std::vector<float> yf(n), dgf(n), duf(n);
  swigluForward<float>(gf.data(), uf.data(), yf.data(), n);
  EXPECT_LT(relativeError(yf, ref), 1e-6);
  swigluBackward<float>(gf.data(), uf.data(), dyf.data(), dgf.data(),
                        duf.data(), n);
  EXPECT_LT(relativeError(dgf, dg), 1e-6);
  EXPECT_LT(relativeError(duf, du), 1e-6);
  // In place: the gradients over the inputs.
  auto g2 = gf, u2 = uf;
  swigluBackward<float>(g2.data(), u2.data(), dyf.data(), g2.data(), u2.data(),
                        n);
  EXPECT_TRUE(bitwiseEqual(g2, dgf));
  EXPECT_TRUE(bitwiseEqual(u2, duf));
}

TEST(ActivationKernelTest, GeluMatchesTorch) {
  const auto x = inputs(8);
  std::ostringstream script;
  script.precision(17);
  script << "import torch\nx = torch.tensor([";
  for (double v : x)
    script << float(v) << ",";
  script << "], dtype=torch.float32)\n"
            "for a in ('none', 'tanh'):\n"
            "    print(' '.join(repr(float(v)) for v in "
            "torch.nn.functional.gelu(x, approximate=a)))\n";
  std::string out;
  if (!runPython(script.str(), &out))
    GTEST_SKIP() << "no python3 with torch: " << out.substr(0, 200);
  std::istringstream lines(out);
  for (auto approx : {GeluApproximation::kNone, GeluApproximation::kTanh}) {
    std::string line;
    std::getline(lines, line);
    std::istringstream values(line);
    std::vector<double> torchY;
    for (double v; values >> v;)
      torchY.push_back(v);
    const auto xf = convert<float>(x);
    std::vector<float> y(x.size());
    geluForward<float>(xf.data(), y.data(), int64_t(x.size()), approx);
    ASSERT_EQ(torchY.size(), y.size());
    for (size_t i = 0; i < y.size(); ++i)
      EXPECT_NEAR(y[i], torchY[i], 1e-6 * std::max(1.0, std::fabs(torchY[i])))
          << "x=" << xf[i];
  }
}

} // namespace
} // namespace strata::runtime::cpu
