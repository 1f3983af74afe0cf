//===- elementwise_test.cc - tests of elementwise.h ---------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/elementwise.h"

#include "runtime/kernels/cpu/testing/kernel_test_util.h"

#include <gtest/gtest.h>

namespace strata::runtime::cpu {
namespace {

using namespace testing;

TEST(ElementwiseKernelTest, AddAccumulateScale) {
  const int64_t n = 70001;
  const auto a = convert<float>(randomVector(n, 1)),
             b = convert<float>(randomVector(n, 2));
  std::vector<float> y(n);
  add<float>(a.data(), b.data(), y.data(), n);
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(y[i], a[i] + b[i]);
  std::vector<float> acc = a;
  accumulate<float>(b.data(), acc.data(), n);
  EXPECT_TRUE(bitwiseEqual(acc, y));
  scaleInPlace<float>(acc.data(), n, 0.25f);
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(acc[i], y[i] * 0.25f);
  std::vector<double> d = {1.0, -2.0, 3.0};
  add<double>(d.data(), d.data(), d.data(), 3); // fully aliased
  EXPECT_EQ(d, (std::vector<double>{2.0, -4.0, 6.0}));
}

} // namespace
} // namespace strata::runtime::cpu
