//===- philox_test.cc - tests of philox.h -------------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/philox.h"

#include <gtest/gtest.h>

#include <vector>

namespace strata::runtime::cpu {
namespace {

// Random123's known-answer vectors (kat_vectors) for philox4x32_10.
TEST(PhiloxKernelTest, KnownAnswers) {
  EXPECT_EQ(philox4x32_10({0, 0, 0, 0}, {0, 0}),
            (PhiloxCounter{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
                          {0xffffffff, 0xffffffff}),
            (PhiloxCounter{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
                          {0xa4093822, 0x299f31d0}),
            (PhiloxCounter{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

TEST(PhiloxKernelTest, StreamLayout) {
  const uint64_t seed = 0x0123456789abcdefull, offset = 0xfedcba9876543210ull;
  // Element 4 * j + w is word w of the block with counter j.
  const uint64_t j = 0x100000005ull;
  const PhiloxCounter block = philox4x32_10(
      {uint32_t(j), uint32_t(j >> 32), uint32_t(offset), uint32_t(offset >> 32)},
      {uint32_t(seed), uint32_t(seed >> 32)});
  for (int w = 0; w < 4; ++w)
    EXPECT_EQ(philoxBits(seed, offset, 4 * j + w), block[w]);
  // The batched uniforms agree with the scalar path from any start.
  for (uint64_t first : {uint64_t(0), uint64_t(3), uint64_t(61), 4 * j + 2}) {
    std::vector<float> u(203);
    philoxUniform(seed, offset, first, int64_t(u.size()), u.data());
    for (size_t i = 0; i < u.size(); ++i)
      ASSERT_EQ(u[i], uniformFromBits(philoxBits(seed, offset, first + i))) << i;
  }
}

TEST(PhiloxKernelTest, UniformStatistics) {
  const int64_t n = 1 << 20;
  std::vector<float> u(n);
  philoxUniform(7, 0, 0, n, u.data());
  double mean = 0.0, sq = 0.0;
  for (float x : u) {
    ASSERT_GE(x, 0.0f);
    ASSERT_LT(x, 1.0f);
    mean += x;
    sq += double(x) * x;
  }
  mean /= double(n);
  EXPECT_NEAR(mean, 0.5, 2e-3);
  EXPECT_NEAR(sq / double(n) - mean * mean, 1.0 / 12.0, 2e-3);
}

TEST(PhiloxKernelTest, DropoutMaskRateAndMultipliers) {
  for (double p : {0.0, 0.1, 0.5, 0.9}) {
    const DropoutMask mask(p, 11, 3);
    const int64_t n = 200003;
    std::vector<float> m(n);
    mask.multipliers<float>(5, n, m.data());
    int64_t kept = 0;
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_EQ(m[i] != 0.0f, mask.keep(uint64_t(5 + i))) << i;
      if (m[i] != 0.0f) {
        ASSERT_EQ(m[i], float(1.0 / (1.0 - p)));
        ++kept;
      }
    }
    EXPECT_NEAR(double(kept) / double(n), 1.0 - p, 4e-3) << p;
    std::vector<double> md(n);
    mask.multipliers<double>(5, n, md.data());
    for (int64_t i = 0; i < n; ++i)
      ASSERT_EQ(md[i] != 0.0, m[i] != 0.0f); // same mask in both types
  }
}

} // namespace
} // namespace strata::runtime::cpu
