//===- row_blocks_test.cc - the generator's block tables ------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/inference/row_blocks.h"

#include <gtest/gtest.h>

#include <set>

namespace strata::runtime::inference {
namespace {

TEST(RowBlocksTest, EachPromptOwnsItsBlocksAndPaddingRowsShareAScratchBlock) {
  // 4 rows, blocks of 5, 4 entries per row (20 positions), a pool of 9.
  const PagedCacheShape cache{4, 5, 9, 4};
  auto table = rowBlockTable(cache, /*rows=*/2, /*lastPosition=*/11);
  ASSERT_TRUE(table.isOk()) << table.status().toString();
  // Positions 0..11 need 3 blocks per row; the scratch block is 6.
  EXPECT_EQ(*table, (std::vector<int32_t>{0, 1, 2, 0, //
                                          3, 4, 5, 3, //
                                          6, 6, 6, 6, //
                                          6, 6, 6, 6}));
  // No two prompt rows share a block they write, and padding touches none.
  std::set<int32_t> first(table->begin(), table->begin() + 3);
  std::set<int32_t> second(table->begin() + 4, table->begin() + 7);
  for (int32_t block : first)
    EXPECT_EQ(second.count(block), 0u);
  EXPECT_EQ(first.count(6) + second.count(6), 0u);
}

TEST(RowBlocksTest, AFullBatchNeedsNoScratchBlock) {
  const PagedCacheShape cache{2, 16, 4, 8};
  auto table = rowBlockTable(cache, 2, 31);
  ASSERT_TRUE(table.isOk()) << table.status().toString();
  EXPECT_EQ((*table)[0], 0);
  EXPECT_EQ((*table)[1], 1);
  EXPECT_EQ((*table)[8], 2);
  EXPECT_EQ((*table)[9], 3);
}

TEST(RowBlocksTest, ATooSmallPoolIsRefusedWithTheNumbers) {
  const PagedCacheShape cache{4, 5, 6, 4};
  auto table = rowBlockTable(cache, 2, 11);
  ASSERT_FALSE(table.isOk());
  EXPECT_EQ(table.status().message(),
            "the paged KV cache has 6 blocks of 5 positions; 2 prompts "
            "reaching position 11 need 2 x 3 blocks plus 1 scratch block for "
            "the 2 unused row(s) of the batch of 4 = 7: compile with a larger "
            "--kv-blocks, or give fewer or shorter prompts or fewer new "
            "tokens");
  // Positions past the table are the caller's error.
  EXPECT_FALSE(rowBlockTable(cache, 1, 20).isOk());
}

} // namespace
} // namespace strata::runtime::inference
