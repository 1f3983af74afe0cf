//===- kv_block_pool.h - the blocks of a paged KV cache ---------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A paged inference artifact (strata-compile --mode infer --kv-block-size N)
// keeps every layer's keys and values in M blocks of N positions; a
// sequence's block table says which physical block holds its positions
// [jN, (j+1)N). This pool hands blocks out and takes them back. The last
// block is scratch: no sequence owns it, and every table entry that no
// sequence block backs (an unused batch row, a row's padding past its own
// blocks) points at it, so padding writes never land in another sequence's
// blocks.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_SERVING_KV_BLOCK_POOL_H
#define STRATA_RUNTIME_SERVING_KV_BLOCK_POOL_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace strata::runtime::serving {

class KVBlockPool {
public:
  /// |totalBlocks| (at least 2: one is scratch) of |blockSize| positions.
  KVBlockPool(int64_t totalBlocks, int64_t blockSize);

  int64_t blockSize() const { return blockSize_; }
  /// Blocks sequences may own (all but scratch).
  int64_t capacity() const { return static_cast<int64_t>(capacity_); }
  int64_t freeBlocks() const { return static_cast<int64_t>(free_.size()); }
  int64_t usedBlocks() const { return capacity() - freeBlocks(); }
  int32_t scratchBlock() const { return static_cast<int32_t>(capacity_); }

  /// Blocks that hold |tokens| positions.
  int64_t blocksFor(int64_t tokens) const {
    return (tokens + blockSize_ - 1) / blockSize_;
  }
  /// Appends blocks to |blocks| until they hold |tokens| positions; false,
  /// leaving |blocks| as it was, when the pool has too few free.
  bool grow(std::vector<int32_t> &blocks, int64_t tokens);
  /// Returns every block of |blocks| to the pool and clears it.
  void release(std::vector<int32_t> &blocks);

private:
  int64_t blockSize_;
  size_t capacity_;
  /// Free block ids; the lowest ids are handed out first (a stack in
  /// decreasing order), which keeps tests and traces readable.
  std::vector<int32_t> free_;
};

} // namespace strata::runtime::serving

#endif // STRATA_RUNTIME_SERVING_KV_BLOCK_POOL_H
