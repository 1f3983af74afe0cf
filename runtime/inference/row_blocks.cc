//===- row_blocks.cc - the generator's block tables on a paged cache ------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/inference/row_blocks.h"

#include <string>

namespace strata::runtime::inference {

StatusOr<std::vector<int32_t>> rowBlockTable(const PagedCacheShape &cache,
                                             int64_t rows,
                                             int64_t lastPosition) {
  const int64_t N = cache.blockSize, W = cache.tableWidth;
  if (rows < 1 || rows > cache.batch || N < 1 || lastPosition < 0 ||
      lastPosition >= W * N)
    return Status::invalidArgument(
        "block tables for " + std::to_string(rows) + " of " +
        std::to_string(cache.batch) + " rows up to position " +
        std::to_string(lastPosition) + " on a cache of " +
        std::to_string(W) + " blocks of " + std::to_string(N) +
        " positions per row");
  const int64_t perRow = lastPosition / N + 1;
  const bool padding = rows < cache.batch;
  const int64_t needed = rows * perRow + (padding ? 1 : 0);
  if (needed > cache.numBlocks)
    return Status::invalidArgument(
        "the paged KV cache has " + std::to_string(cache.numBlocks) +
        " blocks of " + std::to_string(N) + " positions; " +
        std::to_string(rows) + " prompt" + (rows == 1 ? "" : "s") +
        " reaching position " + std::to_string(lastPosition) + " need " +
        std::to_string(rows) + " x " + std::to_string(perRow) + " blocks" +
        (padding ? " plus 1 scratch block for the " +
                       std::to_string(cache.batch - rows) +
                       " unused row(s) of the batch of " +
                       std::to_string(cache.batch)
                 : std::string()) +
        " = " + std::to_string(needed) +
        ": compile with a larger --kv-blocks, or give fewer or shorter "
        "prompts or fewer new tokens");
  std::vector<int32_t> table(cache.batch * W);
  const int32_t scratch = static_cast<int32_t>(rows * perRow);
  for (int64_t b = 0; b < cache.batch; ++b)
    for (int64_t w = 0; w < W; ++w)
      table[b * W + w] =
          b >= rows ? scratch
                    : static_cast<int32_t>(b * perRow + (w < perRow ? w : 0));
  return table;
}

} // namespace strata::runtime::inference
