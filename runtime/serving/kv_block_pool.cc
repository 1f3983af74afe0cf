//===- kv_block_pool.cc - the blocks of a paged KV cache ------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/serving/kv_block_pool.h"

#include <cassert>

namespace strata::runtime::serving {

KVBlockPool::KVBlockPool(int64_t totalBlocks, int64_t blockSize)
    : blockSize_(blockSize),
      capacity_(static_cast<size_t>(totalBlocks > 0 ? totalBlocks - 1 : 0)) {
  assert(totalBlocks >= 2 && blockSize >= 1);
  free_.reserve(capacity_);
  for (size_t i = capacity_; i-- > 0;)
    free_.push_back(static_cast<int32_t>(i));
}

bool KVBlockPool::grow(std::vector<int32_t> &blocks, int64_t tokens) {
  const int64_t need = blocksFor(tokens) - static_cast<int64_t>(blocks.size());
  if (need <= 0)
    return true;
  if (need > freeBlocks())
    return false;
  for (int64_t i = 0; i < need; ++i) {
    blocks.push_back(free_.back());
    free_.pop_back();
  }
  return true;
}

void KVBlockPool::release(std::vector<int32_t> &blocks) {
  // Back in reverse, so that the next sequence gets the same ids in order.
  for (auto it = blocks.rbegin(); it != blocks.rend(); ++it)
    free_.push_back(*it);
  blocks.clear();
}

} // namespace strata::runtime::serving
