//===- half_float.h - bf16 and f16 storage types -----------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The one definition of Strata's 16-bit floating-point storage types: bf16
// (bfloat16: 8 exponent bits, 7 mantissa bits, float's range) and f16 (IEEE
// 754 binary16: 5 exponent bits, 10 mantissa bits). Each is a 2-byte,
// trivially copyable struct holding the bits; arithmetic happens in float
// (the kernels' AccumulatorOf<T>), never in 16 bits.
//
// Conversions:
//   - widening to float (and double) is exact;
//   - narrowing from float rounds to nearest, ties to even; overflow becomes
//     infinity; NaN stays NaN, quiet, with its sign (bf16 keeps the payload
//     bits that fit, f16 gives the canonical 0x7e00); subnormals are
//     produced and read exactly;
//   - narrowing from double rounds once, from the double: the double is
//     first rounded to float with round-to-odd (inexact results get their
//     last bit set), which carries enough information for the second,
//     nearest-even rounding to equal a direct one (float has >= 2 more
//     significand bits than bf16 and f16 over their whole ranges; Boldo and
//     Melquiond, "Emulation of FMA and correctly rounded sums: proved
//     algorithms using rounding to odd", IEEE TC 2008).
//
// Every conversion is branch-free integer and float arithmetic on bits (no
// table, no F16C), so loops over arrays vectorize at the default ISA, and
// results are the same on every x86-64 machine. They rely on the default
// floating-point environment (round to nearest, no flush-to-zero).
//
// Usage:
//   bf16 h(3.14159f);                 // rounds to nearest even: 3.140625
//   float x = float(h);               // exact
//   uint16_t raw = h.bits;            // storage, e.g. a safetensors payload
//   f16 g = f16::fromBits(0x3c00);    // 1.0
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_SUPPORT_HALF_FLOAT_H
#define STRATA_RUNTIME_SUPPORT_HALF_FLOAT_H

#include "runtime/support/bit_cast.h"

#include <cstdint>
#include <type_traits>

namespace strata::runtime {

namespace half_float_detail {

inline uint32_t floatBits(float f) { return bitCast<uint32_t>(f); }
inline float floatFromBits(uint32_t b) { return bitCast<float>(b); }

/// bf16 bits -> float: the bf16 is the top half of the float.
inline float bf16BitsToFloat(uint16_t h) {
  return floatFromBits(uint32_t(h) << 16);
}

/// float -> bf16 bits, nearest even: add 0x7fff plus the lowest kept bit and
/// truncate (a carry into the exponent rounds up a binade, or to infinity).
inline uint16_t floatToBf16Bits(float f) {
  const uint32_t b = floatBits(f);
  const uint32_t rounded = (b + 0x7fffu + ((b >> 16) & 1u)) >> 16;
  const bool nan = (b & 0x7fffffffu) > 0x7f800000u;
  return uint16_t(nan ? (b >> 16) | 0x0040u : rounded);
}

/// binary16 bits -> float. Normal numbers (and inf/NaN): shift exponent and
/// mantissa into float's fields, add 224 to the exponent field, scale by
/// 2^-112 (net: rebias by 127 - 15; 31 becomes 255). Subnormals m * 2^-24:
/// the float 0.5 + m * 2^-24 (exponent 126, mantissa m) minus 0.5, exact.
inline float f16BitsToFloat(uint16_t h) {
  const uint32_t w = uint32_t(h) << 16;
  const uint32_t sign = w & 0x80000000u;
  const uint32_t twoW = w + w; // exponent and mantissa, sign shifted out
  const float normal = floatFromBits((twoW >> 4) + (0xe0u << 23)) * 0x1p-112f;
  const float subnormal = floatFromBits((twoW >> 17) | (126u << 23)) - 0.5f;
  const uint32_t magnitude =
      twoW < (1u << 27) ? floatBits(subnormal) : floatBits(normal);
  return floatFromBits(sign | magnitude);
}

/// float -> binary16 bits, nearest even. |f| * 4 (through * 2^112 * 2^-110,
/// which overflows to infinity exactly when |f| >= 2^16) is added to
/// 2^(e + 15), e = max(exponent of f, -14): the float addition then rounds
/// |f| at binary16's spacing 2^(e - 10) (nearest even, in hardware), and
/// the sum's low exponent bits and mantissa read as the binary16 encoding
/// (a carry rounds up a binade, or to infinity at 65520).
inline uint16_t floatToF16Bits(float f) {
  const uint32_t w = floatBits(f);
  const uint32_t twoW = w + w;
  const uint32_t sign = w & 0x80000000u;
  const float absF = floatFromBits(w & 0x7fffffffu);
  float base = (absF * 0x1p+112f) * 0x1p-110f;
  uint32_t bias = twoW & 0xff000000u;
  bias = bias < 0x71000000u ? 0x71000000u : bias; // exponent >= -14
  base = floatFromBits((bias >> 1) + 0x07800000u) + base;
  const uint32_t bits = floatBits(base);
  const uint32_t nonsign = ((bits >> 13) & 0x7c00u) + (bits & 0x0fffu);
  const bool nan = twoW > 0xff000000u;
  return uint16_t((sign >> 16) | (nan ? 0x7e00u : nonsign));
}

/// |d| rounded to float with round-to-odd: RNE, then, when inexact, the
/// neighbour toward zero with its last bit set. Never rounds across a
/// float, so a later nearest-even rounding to >= 2 fewer bits is exact.
inline float doubleToFloatRoundToOdd(double d) {
  const float f = float(d);
  const double back = double(f);
  if (back == d || d != d) // exact, or NaN
    return f;
  uint32_t b = floatBits(f);
  const bool awayFromZero = (back < 0 ? -back : back) > (d < 0 ? -d : d);
  b -= awayFromZero ? 1u : 0u;
  return floatFromBits(b | 1u);
}

} // namespace half_float_detail

/// bfloat16 storage. Value-initialization ({} or std::vector<bf16>(n))
/// gives +0.
struct bf16 {
  uint16_t bits;

  bf16() = default;
  explicit bf16(float value)
      : bits(half_float_detail::floatToBf16Bits(value)) {}
  explicit bf16(double value)
      : bits(half_float_detail::floatToBf16Bits(
            half_float_detail::doubleToFloatRoundToOdd(value))) {}
  static constexpr bf16 fromBits(uint16_t raw) {
    bf16 h{};
    h.bits = raw;
    return h;
  }
  explicit operator float() const {
    return half_float_detail::bf16BitsToFloat(bits);
  }
  explicit operator double() const { return double(float(*this)); }
};

/// IEEE 754 binary16 storage. Value-initialization gives +0.
struct f16 {
  uint16_t bits;

  f16() = default;
  explicit f16(float value) : bits(half_float_detail::floatToF16Bits(value)) {}
  explicit f16(double value)
      : bits(half_float_detail::floatToF16Bits(
            half_float_detail::doubleToFloatRoundToOdd(value))) {}
  static constexpr f16 fromBits(uint16_t raw) {
    f16 h{};
    h.bits = raw;
    return h;
  }
  explicit operator float() const {
    return half_float_detail::f16BitsToFloat(bits);
  }
  explicit operator double() const { return double(float(*this)); }
};

static_assert(sizeof(bf16) == 2 && std::is_trivially_copyable_v<bf16> &&
              std::is_trivial_v<bf16>);
static_assert(sizeof(f16) == 2 && std::is_trivially_copyable_v<f16> &&
              std::is_trivial_v<f16>);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_SUPPORT_HALF_FLOAT_H
