//===- rotary_embedding_test.cc - tests of rotary_embedding.h -----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/rotary_embedding.h"

#include "runtime/kernels/cpu/testing/kernel_test_util.h"

#include <gtest/gtest.h>

namespace strata::runtime::cpu {
namespace {

using namespace testing;

constexpr int64_t B = 2, S = 7, H = 6, D = 10;
constexpr double kBase = 10000.0;

std::vector<int32_t> positions() {
  // Non-trivial positions, up to 4095.
  std::vector<int32_t> pos(B * S);
  std::mt19937 gen(1);
  for (auto &p : pos)
    p = int32_t(gen() % 4096);
  pos[0] = 0;
  return pos;
}

/// HF Llama: q * cos + rotate_half(q) * sin with emb = cat(freqs, freqs).
std::vector<double> refRotary(const std::vector<double> &x,
                              const std::vector<int32_t> &pos, int64_t d) {
  std::vector<double> y = x;
  for (int64_t bs = 0; bs < B * S; ++bs)
    for (int64_t h = 0; h < H; ++h) {
      const double *xv = x.data() + (bs * H + h) * D;
      double *yv = y.data() + (bs * H + h) * D;
      for (int64_t j = 0; j < d; ++j) {
        const int64_t i = j % (d / 2);
        const double theta = pos[bs] * std::pow(kBase, -2.0 * i / d);
        const double rotated = j < d / 2 ? -xv[j + d / 2] : xv[j - d / 2];
        yv[j] = xv[j] * std::cos(theta) + rotated * std::sin(theta);
      }
    }
  return y;
}

TEST(RotaryEmbeddingKernelTest, ForwardMatchesReference) {
  const auto pos = positions();
  const auto x = randomVector(B * S * H * D, 2);
  for (int64_t d : {D, int64_t(6)}) { // full and partial rotary dims
    SCOPED_TRACE(d);
    const auto ref = refRotary(x, pos, d);
    std::vector<double> y(x.size());
    rotaryEmbeddingForward<double>(x.data(), pos.data(), B, S, H, D, d, kBase,
                                   y.data());
    EXPECT_LT(relativeError(y, ref), 1e-14);
    auto xf = convert<float>(x);
    std::vector<float> yf(x.size());
    rotaryEmbeddingForward<float>(xf.data(), pos.data(), B, S, H, D, d, kBase,
                                  yf.data());
    EXPECT_LT(relativeError(yf, ref), 1e-6);
    rotaryEmbeddingForward<float>(xf.data(), pos.data(), B, S, H, D, d, kBase,
                                  xf.data()); // in place
    EXPECT_TRUE(bitwiseEqual(xf, yf));
  }
}

TEST(RotaryEmbeddingKernelTest, BackwardMatchesFiniteDifferences) {
  const auto pos = positions();
  const auto x = randomVector(B * S * H * D, 3), w = randomVector(B * S * H * D, 4);
  for (int64_t d : {D, int64_t(4)}) {
    std::vector<double> dx(x.size());
    rotaryEmbeddingBackward<double>(w.data(), pos.data(), B, S, H, D, d, kBase,
                                    dx.data());
    const auto fd = finiteDifferenceGradient(
        x, w, [&](const auto &xs) { return refRotary(xs, pos, d); });
    EXPECT_LT(relativeError(dx, fd), 1e-6);
    const auto wf = convert<float>(w);
    std::vector<float> dxf(x.size());
    rotaryEmbeddingBackward<float>(wf.data(), pos.data(), B, S, H, D, d, kBase,
                                   dxf.data());
    EXPECT_LT(relativeError(dxf, dx), 1e-6);
    // The backward inverts the forward (a rotation).
    std::vector<double> y(x.size()), back(x.size());
    rotaryEmbeddingForward<double>(x.data(), pos.data(), B, S, H, D, d, kBase,
                                   y.data());
    rotaryEmbeddingBackward<double>(y.data(), pos.data(), B, S, H, D, d, kBase,
                                    back.data());
    EXPECT_LT(relativeError(back, x), 1e-14);
  }
}

TEST(RotaryEmbeddingKernelTest, BitwiseIndependentOfThreadCount) {
  const int64_t b = 2, s = 64, h = 8, d = 64;
  std::vector<int32_t> pos(b * s);
  for (int64_t i = 0; i < b * s; ++i)
    pos[i] = int32_t(i % s);
  const auto x = convert<float>(randomVector(b * s * h * d, 5));
  std::vector<float> one(x.size()), two(x.size());
  withThreads(1, [&] {
    rotaryEmbeddingForward<float>(x.data(), pos.data(), b, s, h, d, 32, kBase,
                                  one.data());
  });
  withThreads(2, [&] {
    rotaryEmbeddingForward<float>(x.data(), pos.data(), b, s, h, d, 32, kBase,
                                  two.data());
  });
  EXPECT_TRUE(bitwiseEqual(one, two));
}

} // namespace
} // namespace strata::runtime::cpu
