//===- host_tensor_test.cc - tests of HostTensor and dtype conversion -----===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/io/host_tensor.h"

#include "runtime/io/io_test_support.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

namespace strata::runtime::io {
namespace {

uint32_t floatBits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  return bits;
}

float floatFromBits(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, 4);
  return value;
}

TEST(IoHostTensorTest, SizesAndTypedAccess) {
  HostTensor t(DType::F32, {2, 3, 4});
  EXPECT_EQ(t.numElements(), 24);
  EXPECT_EQ(t.byteSize(), 96u);
  EXPECT_EQ(t.rank(), 3u);
  for (int64_t i = 0; i < t.numElements(); ++i)
    EXPECT_EQ(t.data<float>()[i], 0.0f); // zero-filled
  t.data<float>()[5] = 2.5f;
  EXPECT_EQ(t.elementAsDouble(5), 2.5);

  HostTensor scalar(DType::I64, {});
  EXPECT_EQ(scalar.numElements(), 1);
  EXPECT_EQ(scalar.byteSize(), 8u);
  HostTensor empty(DType::BF16, {0, 7});
  EXPECT_EQ(empty.numElements(), 0);
  EXPECT_EQ(empty.byteSize(), 0u);

  EXPECT_EQ(dtypeSize(DType::BF16), 2u);
  EXPECT_EQ(dtypeSize(DType::F16), 2u);
  EXPECT_EQ(dtypeSize(DType::I32), 4u);
  EXPECT_EQ(dtypeSize(DType::F64), 8u);
  EXPECT_STREQ(toString(DType::BF16), "BF16");
  EXPECT_EQ(shapeToString({768, 2304}), "[768, 2304]");
  EXPECT_EQ(shapeToString({}), "[]");
}

TEST(IoHostTensorTest, FromVectorAndBitwiseEquality) {
  HostTensor a =
      HostTensor::fromVector<int32_t>(DType::I32, {2, 2}, {1, 2, 3, 4});
  HostTensor b = a;
  EXPECT_TRUE(a.bitwiseEquals(b));
  b.data<int32_t>()[3] = 5;
  EXPECT_FALSE(a.bitwiseEquals(b));
  HostTensor c = a;
  ASSERT_TRUE(c.reshape({4}).isOk());
  EXPECT_FALSE(a.bitwiseEquals(c)); // same bytes, other shape
}

TEST(IoHostTensorTest, AllocateRejectsBadShapes) {
  StatusOr<HostTensor> negative = HostTensor::allocate(DType::F32, {2, -3});
  ASSERT_FALSE(negative.isOk());
  EXPECT_EQ(negative.status().message(),
            "shape [2, -3] has a negative dimension -3");
  StatusOr<HostTensor> huge =
      HostTensor::allocate(DType::F32, {int64_t(1) << 40, int64_t(1) << 40});
  ASSERT_FALSE(huge.isOk());
  EXPECT_NE(huge.status().message().find("int64"), std::string::npos);
  StatusOr<HostTensor> bytesOverflow =
      HostTensor::allocate(DType::F64, {int64_t(1) << 61});
  ASSERT_FALSE(bytesOverflow.isOk());
}

TEST(IoHostTensorTest, ReshapeKeepsElementCount) {
  HostTensor t(DType::F32, {6, 4});
  EXPECT_TRUE(t.reshape({2, 3, 4}).isOk());
  EXPECT_EQ(t.shape(), (std::vector<int64_t>{2, 3, 4}));
  Status bad = t.reshape({5, 5});
  EXPECT_EQ(bad.message(), "cannot reshape [2, 3, 4] (24 elements) to [5, 5] "
                           "(25 elements)");
}

TEST(IoHostTensorTest, Bf16RoundTripsEveryBitPattern) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    float value = bf16ToFloat(static_cast<uint16_t>(bits));
    uint16_t back = doubleToBf16(value);
    if (std::isnan(value)) {
      EXPECT_TRUE(std::isnan(bf16ToFloat(back)));
      EXPECT_EQ(back & 0x8000, bits & 0x8000); // sign kept
      continue;
    }
    ASSERT_EQ(back, bits) << "bits 0x" << std::hex << bits;
  }
}

TEST(IoHostTensorTest, F16RoundTripsEveryBitPattern) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    float value = f16ToFloat(static_cast<uint16_t>(bits));
    uint16_t back = doubleToF16(value);
    if (std::isnan(value)) {
      EXPECT_TRUE(std::isnan(f16ToFloat(back)));
      continue;
    }
    ASSERT_EQ(back, bits) << "bits 0x" << std::hex << bits;
  }
  EXPECT_EQ(f16ToFloat(0x3c00), 1.0f);
  EXPECT_EQ(f16ToFloat(0x0001), std::ldexp(1.0f, -24)); // min subnormal
  EXPECT_EQ(f16ToFloat(0x7bff), 65504.0f);              // max finite
}

TEST(IoHostTensorTest, RoundingIsToNearestEven) {
  // bf16 keeps 8 significand bits: 1 + 2^-8 is halfway between 1 and
  // 1 + 2^-7, and rounds to the even one (1); 1 + 3 * 2^-8 rounds up.
  EXPECT_EQ(doubleToBf16(1.0 + std::ldexp(1.0, -8)), 0x3f80);
  EXPECT_EQ(doubleToBf16(1.0 + 3 * std::ldexp(1.0, -8)), 0x3f82);
  // Just above halfway rounds up; f64 input is rounded once, not through
  // f32 (which would round 1 + 2^-8 + 2^-40 to 1 + 2^-8, then to 1).
  EXPECT_EQ(doubleToBf16(1.0 + std::ldexp(1.0, -8) + std::ldexp(1.0, -40)),
            0x3f81);
  // Overflow to infinity, and the largest finite value.
  EXPECT_EQ(doubleToBf16(1e39), 0x7f80);
  EXPECT_EQ(doubleToBf16(-1e39), 0xff80);
  EXPECT_EQ(doubleToF16(65504.0), 0x7bff);
  EXPECT_EQ(doubleToF16(65520.0), 0x7c00); // halfway to 2^16 rounds to inf
  EXPECT_EQ(doubleToF16(65519.0), 0x7bff);
  // Subnormals and underflow.
  EXPECT_EQ(doubleToF16(std::ldexp(1.0, -24)), 0x0001);
  EXPECT_EQ(doubleToF16(std::ldexp(1.0, -25)), 0x0000);      // tie to even 0
  EXPECT_EQ(doubleToF16(std::ldexp(1.5, -25)), 0x0001);
  EXPECT_EQ(doubleToF16(std::ldexp(1023.5, -24)), 0x0400);   // to min normal
  EXPECT_EQ(doubleToF16(-0.0), 0x8000);
  EXPECT_EQ(doubleToBf16(std::numeric_limits<double>::infinity()), 0x7f80);
  EXPECT_EQ(doubleToBf16(std::nan("")) & 0x7fc0, 0x7fc0);
}

TEST(IoHostTensorTest, Bf16MatchesTruncationPlusRoundingOnFloats) {
  // An independent formulation of float -> bf16 (what torch does):
  // add 0x7fff plus the lowest kept bit, then truncate.
  uint64_t state = 7;
  for (int i = 0; i < 200000; ++i) {
    uint32_t bits = static_cast<uint32_t>(testing::splitmix64(state));
    float value = floatFromBits(bits);
    if (std::isnan(value))
      continue;
    uint32_t rounded = bits + 0x7fff + ((bits >> 16) & 1);
    ASSERT_EQ(doubleToBf16(value), rounded >> 16) << "bits 0x" << std::hex
                                                  << bits;
  }
  EXPECT_EQ(floatBits(bf16ToFloat(0x3f80)), 0x3f800000u);
}

TEST(IoHostTensorTest, ConvertTensorBetweenFloatTypes) {
  HostTensor f32 = HostTensor::fromVector<float>(
      DType::F32, {4}, {1.0f, -2.5f, 3.14159274f, 65504.0f});
  StatusOr<HostTensor> bf16 = convertTensor(f32, DType::BF16);
  ASSERT_TRUE(bf16.isOk());
  EXPECT_EQ(bf16->dtype(), DType::BF16);
  EXPECT_EQ(bf16->data<uint16_t>()[0], 0x3f80);
  EXPECT_EQ(bf16->data<uint16_t>()[1], 0xc020);
  StatusOr<HostTensor> back = convertTensor(bf16.value(), DType::F32);
  ASSERT_TRUE(back.isOk());
  EXPECT_EQ(back->data<float>()[2], bf16ToFloat(doubleToBf16(3.14159274f)));

  StatusOr<HostTensor> f64 = convertTensor(f32, DType::F64);
  ASSERT_TRUE(f64.isOk());
  StatusOr<HostTensor> again = convertTensor(f64.value(), DType::F32);
  ASSERT_TRUE(again.isOk());
  EXPECT_TRUE(again->bitwiseEquals(f32)); // f32 -> f64 -> f32 is exact

  StatusOr<HostTensor> f16 = convertTensor(f32, DType::F16);
  ASSERT_TRUE(f16.isOk());
  EXPECT_EQ(f16->data<uint16_t>()[3], 0x7bff);
}

TEST(IoHostTensorTest, ConvertTensorBetweenIntegersChecksRange) {
  HostTensor i32 =
      HostTensor::fromVector<int32_t>(DType::I32, {3}, {-7, 0, 2147483647});
  StatusOr<HostTensor> i64 = convertTensor(i32, DType::I64);
  ASSERT_TRUE(i64.isOk());
  EXPECT_EQ(i64->data<int64_t>()[2], 2147483647);
  StatusOr<HostTensor> narrow = convertTensor(i64.value(), DType::I32);
  ASSERT_TRUE(narrow.isOk());
  EXPECT_TRUE(narrow->bitwiseEquals(i32));
  i64->data<int64_t>()[1] = int64_t(1) << 40;
  StatusOr<HostTensor> overflow = convertTensor(i64.value(), DType::I32);
  ASSERT_FALSE(overflow.isOk());
  EXPECT_EQ(overflow.status().message(),
            "cannot convert I64 to I32: element 1 is 1099511627776, outside "
            "the I32 range");
}

TEST(IoHostTensorTest, ConvertTensorRefusesFloatIntegerMixes) {
  HostTensor f32(DType::F32, {2});
  StatusOr<HostTensor> toInt = convertTensor(f32, DType::I64);
  ASSERT_FALSE(toInt.isOk());
  EXPECT_EQ(toInt.status().message(), "cannot convert F32 elements to I64");
  HostTensor i32(DType::I32, {2});
  EXPECT_FALSE(convertTensor(i32, DType::BF16).isOk());
}

} // namespace
} // namespace strata::runtime::io
