//===- shuffled_order.cc - the resumable epoch-by-epoch order -------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/data/shuffled_order.h"

#include <cassert>
#include <cstddef>
#include <utility>

namespace strata::runtime::data {

namespace {

uint64_t splitmix64(uint64_t &state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

} // namespace

ShuffledOrder::ShuffledOrder(int64_t size, uint64_t seed)
    : size_(size), seed_(seed) {}

int64_t ShuffledOrder::sampleAt(int64_t k) {
  assert(size_ > 0 && k >= 0 && "a sample of an order of no samples");
  prepareEpoch(epochOf(k));
  return order_[static_cast<size_t>(k % size_)];
}

void ShuffledOrder::prepareEpoch(int64_t epoch) {
  if (epoch == epoch_)
    return;
  order_.resize(static_cast<size_t>(size_));
  for (int64_t i = 0; i < size_; ++i)
    order_[i] = i;
  uint64_t state = seed_ * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(epoch);
  for (int64_t i = size_ - 1; i > 0; --i) {
    const int64_t j =
        static_cast<int64_t>(splitmix64(state) % static_cast<uint64_t>(i + 1));
    std::swap(order_[i], order_[j]);
  }
  epoch_ = epoch;
}

} // namespace strata::runtime::data
