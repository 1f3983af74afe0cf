//===- row_blocks.h - the generator's block tables on a paged cache -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// On a paged KV cache (strata-compile --kv-block-size) every call takes a
// block table [B, W]: row b's position t lives in block table[b, t / N].
// The generator's policy, as plain data: each of its |rows| prompts gets
// its own fixed slice of the pool, blocks [r * Wr, (r + 1) * Wr) with Wr
// the blocks of the highest position any call writes for it; batch rows
// beyond the prompts (padding) share one scratch block, the next one. A
// padding row still runs, and writes its keys at its positions: through
// the scratch block they land where no prompt's row ever reads. A finished
// row keeps decoding at position 0 of its own first block, which it never
// reads again. So no call writes into another row's blocks.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_INFERENCE_ROW_BLOCKS_H
#define STRATA_RUNTIME_INFERENCE_ROW_BLOCKS_H

#include "runtime/support/status.h"

#include <cstdint>
#include <vector>

namespace strata::runtime::inference {

/// A paged cache's shape as the artifact has it.
struct PagedCacheShape {
  int64_t batch = 0;      // B
  int64_t blockSize = 0;  // N
  int64_t numBlocks = 0;  // M
  int64_t tableWidth = 0; // W
};

/// Block table [B * W] (row-major) for |rows| (1..B) prompts whose calls
/// write positions up to |lastPosition| (< W * N): row r < rows owns
/// blocks [r * Wr, (r + 1) * Wr), Wr = lastPosition / N + 1 (its entries
/// past Wr, never read, repeat its first block); rows >= |rows| point
/// every entry at the scratch block rows * Wr. Fails, naming the numbers,
/// when the pool has fewer than rows * Wr blocks (+1 with padding rows).
StatusOr<std::vector<int32_t>> rowBlockTable(const PagedCacheShape &cache,
                                             int64_t rows,
                                             int64_t lastPosition);

} // namespace strata::runtime::inference

#endif // STRATA_RUNTIME_INFERENCE_ROW_BLOCKS_H
