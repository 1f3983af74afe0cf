//===- half_float_test.cc - tests of half_float.h -----------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The fast bit-twiddling conversions against slow, obviously correct ones:
// widening decodes the fields with ldexp; narrowing scales the value to an
// integer count of the target spacing and rounds it once with nearbyint.
//
//===----------------------------------------------------------------------===//
#include "runtime/support/half_float.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

namespace strata::runtime {
namespace {

struct Format {
  int expBits, mantBits;
};
constexpr Format kBf16{8, 7}, kF16{5, 10};

/// The value of the 16-bit pattern |h| of |fmt|, decoded field by field.
double referenceDecode(uint16_t h, Format fmt) {
  const bool negative = h >> 15;
  const int exponent = (h >> fmt.mantBits) & ((1 << fmt.expBits) - 1);
  const uint32_t mantissa = h & ((1u << fmt.mantBits) - 1);
  const int bias = (1 << (fmt.expBits - 1)) - 1;
  double magnitude;
  if (exponent == (1 << fmt.expBits) - 1)
    magnitude = mantissa ? std::numeric_limits<double>::quiet_NaN()
                         : std::numeric_limits<double>::infinity();
  else if (exponent == 0)
    magnitude = std::ldexp(double(mantissa), 1 - bias - fmt.mantBits);
  else
    magnitude = std::ldexp(double(mantissa + (1u << fmt.mantBits)),
                           exponent - bias - fmt.mantBits);
  return negative ? -magnitude : magnitude;
}

/// |value| rounded to nearest even in |fmt| (NaN: any quiet NaN, checked
/// separately): the spacing of the format around |value| is 2^quantum,
/// and nearbyint rounds value / 2^quantum (an exact scaling) once.
uint16_t referenceRound(double value, Format fmt) {
  const uint32_t sign = std::signbit(value) ? 0x8000u : 0u;
  const uint32_t infinity = ((1u << fmt.expBits) - 1) << fmt.mantBits;
  const double magnitude = std::fabs(value);
  if (std::isinf(magnitude))
    return uint16_t(sign | infinity);
  if (magnitude == 0.0)
    return uint16_t(sign);
  const int bias = (1 << (fmt.expBits - 1)) - 1;
  const int minExponent = 1 - bias;
  int exponent;
  std::frexp(magnitude, &exponent);
  exponent -= 1; // magnitude in [2^exponent, 2^(exponent+1))
  const int quantum = std::max(exponent, minExponent) - fmt.mantBits;
  const double scaled = std::nearbyint(std::ldexp(magnitude, -quantum));
  if (exponent < minExponent) // subnormal (or rounded up to the min normal)
    return uint16_t(sign | uint32_t(scaled));
  uint32_t significand = uint32_t(scaled);
  if (significand == (1u << (fmt.mantBits + 1))) {
    significand >>= 1;
    exponent += 1;
  }
  const int biased = exponent + bias;
  if (biased >= (1 << fmt.expBits) - 1)
    return uint16_t(sign | infinity);
  return uint16_t(sign | (uint32_t(biased) << fmt.mantBits) |
                  (significand - (1u << fmt.mantBits)));
}

bool isNanBits(uint16_t h, Format fmt) {
  const uint32_t infinity = ((1u << fmt.expBits) - 1) << fmt.mantBits;
  return (h & 0x7fffu) > infinity;
}
bool isQuietNanBits(uint16_t h, Format fmt) {
  return isNanBits(h, fmt) && (h & (1u << (fmt.mantBits - 1)));
}

template <typename H> Format formatOf();
template <> Format formatOf<bf16>() { return kBf16; }
template <> Format formatOf<f16>() { return kF16; }

template <typename H>
class HalfFloatTest : public ::testing::Test {};
using HalfTypes = ::testing::Types<bf16, f16>;
TYPED_TEST_SUITE(HalfFloatTest, HalfTypes);

TYPED_TEST(HalfFloatTest, WideningIsExactForAllBitPatterns) {
  const Format fmt = formatOf<TypeParam>();
  for (uint32_t raw = 0; raw < 65536; ++raw) {
    const TypeParam h = TypeParam::fromBits(uint16_t(raw));
    const double want = referenceDecode(uint16_t(raw), fmt);
    const float got = float(h);
    if (std::isnan(want)) {
      ASSERT_TRUE(std::isnan(got)) << std::hex << raw;
      ASSERT_EQ(std::signbit(got), bool(raw & 0x8000)) << std::hex << raw;
      continue;
    }
    ASSERT_EQ(double(got), want) << std::hex << raw;
    ASSERT_EQ(std::signbit(got), bool(raw & 0x8000)) << std::hex << raw;
    ASSERT_EQ(double(h), want) << std::hex << raw;
  }
}

TYPED_TEST(HalfFloatTest, NarrowingRoundTripsEveryValue) {
  const Format fmt = formatOf<TypeParam>();
  for (uint32_t raw = 0; raw < 65536; ++raw) {
    if (isNanBits(uint16_t(raw), fmt))
      continue;
    const TypeParam h = TypeParam::fromBits(uint16_t(raw));
    ASSERT_EQ(TypeParam(float(h)).bits, raw) << std::hex << raw;
    ASSERT_EQ(TypeParam(double(h)).bits, raw) << std::hex << raw;
  }
}

/// For every pair of adjacent finite values (lo, hi), including the last
/// finite value and the overflow threshold: the midpoint (a tie: to even),
/// and the floats and doubles just below and above it.
TYPED_TEST(HalfFloatTest, NarrowingRoundsToNearestEvenAroundEveryMidpoint) {
  const Format fmt = formatOf<TypeParam>();
  const uint32_t infinity = ((1u << fmt.expBits) - 1) << fmt.mantBits;
  for (uint32_t raw = 0; raw < infinity; ++raw) {
    for (uint32_t sign : {0u, 0x8000u}) {
      const double lo = referenceDecode(uint16_t(raw | sign), fmt);
      // The next value up in magnitude; past the largest finite one, the
      // value the exponent range would give, 2^(emax + 1).
      const double hi =
          raw + 1 < infinity
              ? referenceDecode(uint16_t((raw + 1) | sign), fmt)
              : (sign ? -1.0 : 1.0) *
                    std::ldexp(1.0, (1 << (fmt.expBits - 1)));
      const double mid = 0.5 * (lo + hi);
      const float midF = float(mid);
      ASSERT_EQ(double(midF), mid); // representable in float
      const float below = std::nextafter(midF, float(lo));
      const float above = std::nextafter(midF, float(hi));
      for (float x : {midF, below, above}) {
        ASSERT_EQ(TypeParam(x).bits, referenceRound(x, fmt))
            << std::hex << raw << " " << x;
      }
      // Doubles closer to the midpoint than float resolves: rounding them
      // through float first (nearest) would make them ties.
      const double tiny = std::ldexp(std::fabs(mid) > 0 ? std::fabs(mid) : 1.0,
                                     -40);
      for (double d : {mid, mid - tiny, mid + tiny}) {
        ASSERT_EQ(TypeParam(d).bits, referenceRound(d, fmt))
            << std::hex << raw << " " << d;
      }
    }
  }
}

TYPED_TEST(HalfFloatTest, NarrowingMatchesReferenceOnRandomValues) {
  const Format fmt = formatOf<TypeParam>();
  std::mt19937_64 gen(42);
  for (int i = 0; i < 2000000; ++i) {
    const uint64_t r = gen();
    float f;
    const uint32_t fb = uint32_t(r);
    std::memcpy(&f, &fb, 4);
    double d;
    std::memcpy(&d, &r, 8);
    if (!std::isnan(f))
      ASSERT_EQ(TypeParam(f).bits, referenceRound(f, fmt)) << f;
    if (!std::isnan(d))
      ASSERT_EQ(TypeParam(d).bits, referenceRound(d, fmt)) << d;
    // Doubles in the formats' range, where rounding matters most.
    const double scaled = std::ldexp(double(r >> 11) * 0x1p-53,
                                     int(r % 64) - 32);
    ASSERT_EQ(TypeParam(scaled).bits, referenceRound(scaled, fmt)) << scaled;
  }
}

TYPED_TEST(HalfFloatTest, NanInfinityOverflowAndSubnormals) {
  const Format fmt = formatOf<TypeParam>();
  const uint16_t infinity = uint16_t(((1u << fmt.expBits) - 1) << fmt.mantBits);
  for (float nan : {std::numeric_limits<float>::quiet_NaN(),
                    std::numeric_limits<float>::signaling_NaN(),
                    -std::numeric_limits<float>::quiet_NaN()}) {
    EXPECT_TRUE(isQuietNanBits(TypeParam(nan).bits, fmt));
    EXPECT_TRUE(isQuietNanBits(TypeParam(double(nan)).bits, fmt));
    EXPECT_EQ(bool(TypeParam(nan).bits & 0x8000), std::signbit(nan));
    EXPECT_TRUE(std::isnan(float(TypeParam(nan))));
  }
  EXPECT_EQ(TypeParam(INFINITY).bits, infinity);
  EXPECT_EQ(TypeParam(-INFINITY).bits, infinity | 0x8000);
  EXPECT_EQ(TypeParam(double(INFINITY)).bits, infinity);
  EXPECT_EQ(TypeParam(std::numeric_limits<float>::max()).bits, infinity);
  EXPECT_EQ(TypeParam(-std::numeric_limits<double>::max()).bits,
            infinity | 0x8000);
  EXPECT_EQ(TypeParam(1e300).bits, infinity);
  // Below half the smallest subnormal: signed zero; the smallest subnormal
  // itself survives the trip.
  EXPECT_EQ(TypeParam(1e-300).bits, 0);
  EXPECT_EQ(TypeParam(-1e-300).bits, 0x8000);
  EXPECT_EQ(TypeParam(std::numeric_limits<float>::denorm_min()).bits, 0);
  EXPECT_EQ(TypeParam(float(TypeParam::fromBits(1))).bits, 1);
  EXPECT_EQ(TypeParam(-0.0f).bits, 0x8000);
}

TEST(HalfFloatTest, KnownValues) {
  EXPECT_EQ(bf16(1.0f).bits, 0x3f80);
  EXPECT_EQ(bf16(3.14159f).bits, 0x4049); // 3.140625
  EXPECT_EQ(f16(1.0f).bits, 0x3c00);
  EXPECT_EQ(f16(65504.0f).bits, 0x7bff);      // largest finite
  EXPECT_EQ(f16(65519.99f).bits, 0x7bff);     // below the threshold
  EXPECT_EQ(f16(65520.0f).bits, 0x7c00);      // a tie, to even: infinity
  EXPECT_EQ(f16(0x1p-24f).bits, 0x0001);      // smallest subnormal
  EXPECT_EQ(f16(0x1p-25f).bits, 0x0000);      // a tie, to even: zero
  EXPECT_EQ(f16(0x1.8p-25f).bits, 0x0001);
  EXPECT_EQ(float(f16::fromBits(0x0001)), 0x1p-24f);
  // 1 + 2^-8 is the tie between bf16 1 and 1 + 2^-7: to even, 1.
  EXPECT_EQ(bf16(1.0f + 0x1p-8f).bits, 0x3f80);
  EXPECT_EQ(bf16(1.0 + 0x1p-8 + 0x1p-40).bits, 0x3f81); // not a tie
  // Value-initialized storage is +0.
  EXPECT_EQ(bf16{}.bits, 0);
  EXPECT_EQ(f16{}.bits, 0);
}

} // namespace
} // namespace strata::runtime
