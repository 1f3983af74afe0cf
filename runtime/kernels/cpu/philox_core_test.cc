//===- philox_core_test.cc - tests of philox_core.h -----------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// philox_core.h is what the CUDA backend's dropout kernels compile for the
// device: these tests pin it to Random123's answers and to the CPU's
// batched mask (DropoutMask::multipliers), element by element, so that a
// GPU mask equals the CPU's wherever both run the functions tested here.
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/philox_core.h"

#include "runtime/kernels/cpu/philox.h"

#include <gtest/gtest.h>

#include <vector>

namespace strata::runtime::cpu {
namespace {

TEST(PhiloxCoreTest, KnownAnswers) {
  uint32_t zero[4] = {0, 0, 0, 0};
  philoxRounds(zero, 0, 0);
  EXPECT_EQ(zero[0], 0x6627e8d5u);
  EXPECT_EQ(zero[1], 0xe169c58du);
  EXPECT_EQ(zero[2], 0xbc57ac4cu);
  EXPECT_EQ(zero[3], 0x9b00dbd8u);
  uint32_t pi[4] = {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344};
  philoxRounds(pi, 0xa4093822, 0x299f31d0);
  EXPECT_EQ(pi[0], 0xd16cfe09u);
  EXPECT_EQ(pi[1], 0x94fdccebu);
  EXPECT_EQ(pi[2], 0x5001e420u);
  EXPECT_EQ(pi[3], 0x24126ea1u);
}

TEST(PhiloxCoreTest, StreamBitsAreTheBatchedUniforms) {
  const uint64_t seed = 0x0123456789abcdefull, offset = 0x1234500000007ull;
  for (uint64_t first : {uint64_t(0), uint64_t(5), uint64_t(1) << 33}) {
    std::vector<float> u(301);
    philoxUniform(seed, offset, first, int64_t(u.size()), u.data());
    for (size_t i = 0; i < u.size(); ++i)
      ASSERT_EQ(u[i],
                uniformFromBits(philoxStreamBits(seed, offset, first + i)))
          << i;
  }
}

/// The per-element multipliers a device kernel computes against the CPU's
/// run-batched DropoutMask::multipliers, for a tensor of |n| elements.
void expectSameMask(double p, const MaskIndexing &indexing, int64_t n) {
  const uint64_t seed = 1234, offset = 0x10000 * 7 + 3;
  const DropoutMask mask(p, seed, offset);
  std::vector<float> cpu(size_t(n), -1.0f);
  mask.multipliers(indexing, 0, n, cpu.data());
  const DropoutDraw draw = dropoutDraw(p, seed, offset);
  int64_t dropped = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float device = dropoutMultiplier(draw, indexing.global(i));
    ASSERT_EQ(device, cpu[size_t(i)]) << "p " << p << " element " << i;
    dropped += device == 0.0f;
  }
  if (p > 0.0)
    EXPECT_GT(dropped, 0) << p;
  else
    EXPECT_EQ(dropped, 0);
}

TEST(PhiloxCoreTest, PerElementMaskIsTheCpuMask) {
  for (double p : {0.0, 0.1, 0.2, 0.3, 0.5, 0.9})
    expectSameMask(p, MaskIndexing{}, 4099);
}

TEST(PhiloxCoreTest, PerElementMaskOfASplitTensorIsTheCpuMask) {
  // Rank 2 of 3 of [4, 3 * 5, 7] split along dimension 1.
  const int64_t dims[3] = {4, 5, 7};
  const MaskIndexing split = MaskIndexing::split(dims, 3, 1, 15, 10);
  for (double p : {0.0, 0.2, 0.7})
    expectSameMask(p, split, 4 * 5 * 7);
  // One rank of one: the identity.
  const MaskIndexing whole = MaskIndexing::split(dims, 3, 1, 5, 0);
  EXPECT_TRUE(whole.isIdentity());
  expectSameMask(0.2, whole, 4 * 5 * 7);
}

TEST(PhiloxCoreTest, DrawMatchesDropoutMask) {
  for (double p : {0.0, 0.1, 0.25, 0.999}) {
    const DropoutMask mask(p, 3, 4);
    const DropoutDraw draw = dropoutDraw(p, 3, 4);
    EXPECT_EQ(draw.scale, mask.scale<float>()) << p;
    EXPECT_EQ(draw.threshold == 0, !mask.enabled()) << p;
    for (uint64_t i = 0; i < 64; ++i)
      EXPECT_EQ(dropoutMultiplier(draw, i) != 0.0f, mask.keep(i)) << p;
  }
}

} // namespace
} // namespace strata::runtime::cpu
