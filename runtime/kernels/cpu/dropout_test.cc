//===- dropout_test.cc - tests of dropout.h -----------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/dropout.h"

#include "runtime/kernels/cpu/philox.h"
#include "runtime/kernels/cpu/testing/kernel_test_util.h"

#include <gtest/gtest.h>

namespace strata::runtime::cpu {
namespace {

using namespace testing;

TEST(DropoutKernelTest, ForwardAndBackwardShareTheMask) {
  const int64_t n = 100003;
  const double p = 0.3;
  const auto x = randomVector(n, 1), dy = randomVector(n, 2);
  const DropoutMask mask(p, 77, 5);
  std::vector<double> y(n), dx(n);
  dropoutForward<double>(x.data(), y.data(), n, p, 77, 5);
  dropoutBackward<double>(dy.data(), dx.data(), n, p, 77, 5);
  for (int64_t i = 0; i < n; ++i) {
    const bool keep = mask.keep(uint64_t(i));
    ASSERT_EQ(y[i], keep ? x[i] * (1.0 / (1.0 - p)) : 0.0) << i;
    ASSERT_EQ(dx[i], keep ? dy[i] * (1.0 / (1.0 - p)) : 0.0) << i;
  }
  // Float: same mask, in place.
  auto xf = convert<float>(x);
  dropoutForward<float>(xf.data(), xf.data(), n, p, 77, 5);
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(xf[i] != 0.0f, y[i] != 0.0) << i;
  // p = 0: identity.
  std::vector<float> same(n);
  const auto x2 = convert<float>(x);
  dropoutForward<float>(x2.data(), same.data(), n, 0.0, 77, 5);
  EXPECT_TRUE(bitwiseEqual(same, x2));
}

TEST(DropoutKernelTest, MaskDependsOnSeedAndOffsetNotThreads) {
  const int64_t n = 300001;
  const auto x = convert<float>(randomVector(n, 3));
  auto run = [&](uint64_t seed, uint64_t offset) {
    std::vector<float> y(n);
    dropoutForward<float>(x.data(), y.data(), n, 0.1, seed, offset);
    return y;
  };
  std::vector<float> one, two;
  withThreads(1, [&] { one = run(1, 2); });
  withThreads(2, [&] { two = run(1, 2); });
  EXPECT_TRUE(bitwiseEqual(one, two));
  EXPECT_FALSE(bitwiseEqual(one, run(1, 3)));
  EXPECT_FALSE(bitwiseEqual(one, run(2, 2)));
}

} // namespace
} // namespace strata::runtime::cpu
