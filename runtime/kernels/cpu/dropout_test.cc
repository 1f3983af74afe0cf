//===- dropout_test.cc - tests of dropout.h -----------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/dropout.h"

#include "runtime/kernels/cpu/philox.h"
#include "runtime/kernels/cpu/testing/kernel_test_util.h"

#include <gtest/gtest.h>

#include <random>

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

//===----------------------------------------------------------------------===//
// Tensors split along one dimension over ranks: MaskIndexing
//===----------------------------------------------------------------------===//

TEST(DropoutKernelTest, MaskIndexingMapsLocalToGlobalPositions) {
  for (const SplitBlock &blk : splitBlocks({3, 12, 5}, 4)) {
    SCOPED_TRACE(blk.describe());
    const MaskIndexing ix = blk.indexing();
    const int64_t n = blk.localSize();
    ASSERT_TRUE(ix.fits(n));
    EXPECT_FALSE(ix.fits(n + 1));
    // global(i) from the coordinates of local element i.
    const int64_t rows = blk.rows(), inner = blk.inner(), D = blk.dims[blk.dim];
    for (int64_t i = 0; i < n; ++i) {
      const int64_t o = i / (rows * inner), r = i / inner % rows, k = i % inner;
      ASSERT_EQ(ix.global(i), uint64_t((o * D + blk.begin + r) * inner + k))
          << i;
    }
    // forEachRun covers [begin, end) in order with runs of contiguous
    // global positions.
    std::mt19937 gen(uint32_t(blk.dim * 100 + blk.ranks * 10 + blk.rank));
    for (int trial = 0; trial < 20 && n > 0; ++trial) {
      int64_t b = int64_t(gen() % uint64_t(n)),
              e = int64_t(gen() % uint64_t(n + 1));
      if (b > e)
        std::swap(b, e);
      int64_t next = b;
      ix.forEachRun(b, e, [&](int64_t local, uint64_t global, int64_t len) {
        ASSERT_EQ(local, next);
        ASSERT_GT(len, 0);
        for (int64_t j = 0; j < len; ++j)
          ASSERT_EQ(ix.global(local + j), global + uint64_t(j));
        next = local + len;
      });
      EXPECT_EQ(next, e);
    }
  }
  // Not split: the default and a block that is the whole dimension.
  const int64_t whole[3] = {3, 12, 5};
  for (const MaskIndexing &ix :
       {MaskIndexing{}, MaskIndexing::split(whole, 3, 1, 12, 0)}) {
    EXPECT_TRUE(ix.isIdentity());
    EXPECT_TRUE(ix.fits(180));
    EXPECT_EQ(ix.global(179), 179u);
  }
}

/// For [3, 12, 5] split along each dimension over 1..4 ranks: each rank's
/// forward and backward with its indexing are bit for bit the rank's slice
/// of the unsplit kernel's; without the indexing they differ, except on the
/// blocks whose elements sit at their global positions.
template <typename T>
void checkSplitDropout() {
  const std::vector<int64_t> dims = {3, 12, 5};
  const int64_t n = 3 * 12 * 5;
  const double p = 0.5;
  const uint64_t seed = 1234, offset = 56;
  const auto x = convert<T>(randomVector(n, 21)),
             dy = convert<T>(randomVector(n, 22));
  std::vector<T> y(n), dx(n);
  dropoutForward<T>(x.data(), y.data(), n, p, seed, offset);
  dropoutBackward<T>(dy.data(), dx.data(), n, p, seed, offset);
  for (const SplitBlock &blk : splitBlocks(dims, 4)) {
    SCOPED_TRACE(blk.describe());
    const int64_t nl = blk.localSize();
    const auto xl = blk.slice(x), dyl = blk.slice(dy);
    std::vector<T> yl(nl), dxl(nl), plain(nl);
    dropoutForward<T>(xl.data(), yl.data(), nl, p, seed, offset,
                      blk.indexing());
    dropoutBackward<T>(dyl.data(), dxl.data(), nl, p, seed, offset,
                       blk.indexing());
    EXPECT_TRUE(bitwiseEqual(yl, blk.slice(y)));
    EXPECT_TRUE(bitwiseEqual(dxl, blk.slice(dx)));
    // Control: the local positions draw another mask.
    dropoutForward<T>(xl.data(), plain.data(), nl, p, seed, offset);
    EXPECT_EQ(bitwiseEqual(plain, blk.slice(y)), blk.keepsPositions());
  }
}

TEST(DropoutKernelTest, SplitTensorDrawsTheUnsplitMask) {
  checkSplitDropout<float>();
  checkSplitDropout<double>();
}

// Chunks of the parallel loop that start and end inside slabs, in place,
// on one and two threads.
TEST(DropoutKernelTest, SplitTensorLargeAndThreadIndependent) {
  const std::vector<int64_t> dims = {4, 2048, 67};
  const int64_t n = 4 * 2048 * 67;
  const auto x = convert<float>(randomVector(n, 23));
  std::vector<float> y(n);
  dropoutForward<float>(x.data(), y.data(), n, 0.1, 8, 9);
  for (const SplitBlock &blk : splitBlocks(dims, 3)) {
    if (blk.dim != 1 || blk.ranks != 3)
      continue;
    SCOPED_TRACE(blk.describe());
    std::vector<float> one = blk.slice(x), two = one;
    withThreads(1, [&] {
      dropoutForward<float>(one.data(), one.data(), blk.localSize(), 0.1, 8, 9,
                            blk.indexing());
    });
    withThreads(2, [&] {
      dropoutForward<float>(two.data(), two.data(), blk.localSize(), 0.1, 8, 9,
                            blk.indexing());
    });
    EXPECT_TRUE(bitwiseEqual(one, blk.slice(y)));
    EXPECT_TRUE(bitwiseEqual(two, one));
  }
}

} // namespace
} // namespace strata::runtime::cpu
