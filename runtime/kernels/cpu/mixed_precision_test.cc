//===- mixed_precision_test.cc - tests of mixed_precision.h -------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/mixed_precision.h"

#include "runtime/kernels/cpu/adamw.h"
#include "runtime/kernels/cpu/elementwise.h"
#include "runtime/kernels/cpu/testing/kernel_test_util.h"
#include "runtime/support/bit_cast.h"

#include <gtest/gtest.h>

#include <limits>

namespace strata::runtime::cpu {
namespace {

using testing::bitwiseEqual;
using testing::convert;
using testing::randomVector;
using testing::withThreads;

/// Values of every kind: random ones over many binades, ties of the 16-bit
/// formats, overflow, subnormals, infinities and NaN.
std::vector<double> awkwardValues(int64_t n) {
  std::vector<double> v = randomVector(n, 1, -1.0, 1.0);
  for (int64_t i = 0; i < n; ++i)
    v[i] = std::ldexp(v[i], int(i % 61) - 30);
  const double specials[] = {0.0,
                             -0.0,
                             1.0 + 0x1p-8, // bf16 tie
                             1.0 + 0x1p-11, // f16 tie
                             1.0 + 0x1p-8 + 0x1p-40,
                             65520.0, // f16 overflow threshold
                             1e300,
                             -1e300,
                             1e-300,
                             0x1p-24, // f16 smallest subnormal
                             0x1p-140, // bf16 subnormal
                             std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity(),
                             std::numeric_limits<double>::quiet_NaN()};
  for (size_t i = 0; i < std::size(specials) && i < v.size(); ++i)
    v[i * 7] = specials[i];
  return v;
}

/// The bits of a value of any of the four types, for exact comparison.
template <typename T>
uint64_t bitsOf(T x) {
  if constexpr (kIsHalf<T>)
    return x.bits;
  else if constexpr (std::is_same_v<T, float>)
    return bitCast<uint32_t>(x);
  else
    return bitCast<uint64_t>(x);
}

/// x as To, the slow way: from the double holding the From value exactly,
/// rounded once by the type's own conversion from double.
template <typename From, typename To>
To expectedCast(From x) {
  return To(double(x));
}

template <typename From, typename To>
void checkCast() {
  const int64_t n = 40009; // several chunks
  const std::vector<From> x = convert<From>(awkwardValues(n));
  std::vector<To> y(n);
  castElements(x.data(), y.data(), n);
  for (int64_t i = 0; i < n; ++i) {
    const To want = expectedCast<From, To>(x[i]);
    if (std::isnan(double(want))) {
      ASSERT_TRUE(std::isnan(double(y[i]))) << i;
      continue;
    }
    ASSERT_EQ(bitsOf(y[i]), bitsOf(want)) << i << ": " << double(x[i]);
  }
}

template <typename From>
void checkCastsFrom() {
  checkCast<From, float>();
  checkCast<From, double>();
  checkCast<From, bf16>();
  checkCast<From, f16>();
}

TEST(MixedPrecisionKernelTest, CastsRoundOnceForEveryPair) {
  checkCastsFrom<float>();
  checkCastsFrom<double>();
  checkCastsFrom<bf16>();
  checkCastsFrom<f16>();
}

TEST(MixedPrecisionKernelTest, AccumulateCastAddsInTheWiderType) {
  const int64_t n = 30011;
  const auto g = convert<bf16>(randomVector(n, 2, -1e-2, 1e-2));
  const auto h = convert<f16>(randomVector(n, 3, -1e-2, 1e-2));
  const auto main0 = convert<float>(randomVector(n, 4));
  std::vector<float> main = main0, viaCast = main0, castG(n);
  accumulateCast(g.data(), main.data(), n);
  castElements(g.data(), castG.data(), n);
  accumulate(castG.data(), viaCast.data(), n);
  EXPECT_TRUE(bitwiseEqual(main, viaCast)); // float + exact widening
  std::vector<float> main16 = main0;
  accumulateCast(h.data(), main16.data(), n);
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(main16[i], main0[i] + float(h[i])) << i;
  // Into f64: the sum in double.
  const auto d0 = randomVector(n, 5);
  std::vector<double> d = d0;
  accumulateCast(main0.data(), d.data(), n);
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(d[i], d0[i] + double(main0[i])) << i;
  // Same type: accumulate(), bitwise.
  std::vector<float> a = main0, b = main0;
  accumulateCast(castG.data(), a.data(), n);
  accumulate(castG.data(), b.data(), n);
  EXPECT_TRUE(bitwiseEqual(a, b));
  // Into bf16: the sum in float, rounded once.
  std::vector<bf16> acc16 = convert<bf16>(randomVector(n, 6));
  const std::vector<bf16> acc16Before = acc16;
  accumulateCast(main0.data(), acc16.data(), n);
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(acc16[i].bits, bf16(float(acc16Before[i]) + main0[i]).bits) << i;
}

template <typename T>
void checkAllFinite() {
  const int64_t n = 100003;
  std::vector<T> x = convert<T>(randomVector(n, 7, -1e3, 1e3));
  EXPECT_TRUE(allFinite(x.data(), n));
  EXPECT_TRUE(allFinite(x.data(), 0));
  for (double bad : {std::numeric_limits<double>::infinity(),
                     -std::numeric_limits<double>::infinity(),
                     std::numeric_limits<double>::quiet_NaN()}) {
    for (int64_t at : {int64_t(0), n / 2, n - 1}) {
      std::vector<T> y = x;
      y[at] = T(bad);
      bool one = true, two = true;
      withThreads(1, [&] { one = allFinite(y.data(), n); });
      withThreads(2, [&] { two = allFinite(y.data(), n); });
      EXPECT_FALSE(one) << at;
      EXPECT_FALSE(two) << at;
    }
  }
  // The largest finite value is finite.
  std::vector<T> big(5);
  if constexpr (kIsHalf<T>)
    big.assign(5, T::fromBits(std::is_same_v<T, bf16> ? 0x7f7f : 0x7bff));
  else
    big.assign(5, std::numeric_limits<T>::max());
  EXPECT_TRUE(allFinite(big.data(), 5));
}

TEST(MixedPrecisionKernelTest, AllFiniteFindsEveryInfinityAndNan) {
  checkAllFinite<float>();
  checkAllFinite<double>();
  checkAllFinite<bf16>();
  checkAllFinite<f16>();
}

template <typename T>
void checkAdamWMixed() {
  const int64_t n = 50021;
  const auto p0 = convert<float>(randomVector(n, 8));
  const auto g = convert<float>(randomVector(n, 9, -0.1, 0.1));
  const auto m0 = convert<float>(randomVector(n, 10, -0.01, 0.01));
  const auto v0 = convert<float>(randomVector(n, 11, 0.0, 1e-3));
  AdamWConfig config;
  config.learningRate = 3e-3;
  for (bool decay : {true, false}) {
    std::vector<float> p = p0, m = m0, v = v0;
    adamwStep<float>(p.data(), g.data(), m.data(), v.data(), n, config, 7,
                     decay);
    std::vector<float> pm = p0, mm = m0, vm = v0;
    std::vector<T> model(n);
    adamwStepMixed(pm.data(), g.data(), mm.data(), vm.data(), n, config, 7,
                   decay, model.data());
    EXPECT_TRUE(bitwiseEqual(pm, p));
    EXPECT_TRUE(bitwiseEqual(mm, m));
    EXPECT_TRUE(bitwiseEqual(vm, v));
    std::vector<T> cast(n);
    castElements(p.data(), cast.data(), n);
    EXPECT_TRUE(bitwiseEqual(model, cast));
  }
}

TEST(MixedPrecisionKernelTest, AdamWMixedIsTheF32StepAndACast) {
  checkAdamWMixed<bf16>();
  checkAdamWMixed<f16>();
}

} // namespace
} // namespace strata::runtime::cpu
