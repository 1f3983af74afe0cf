//===- shuffled_order.h - the resumable epoch-by-epoch order ----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The order in which training visits N samples: epoch after epoch, each
// epoch a Fisher-Yates shuffle of 0..N-1 seeded by (seed, epoch). Sample k
// of the whole run is a pure function of (N, seed, k), so a run resumed at
// sample k sees what an uninterrupted run sees and a checkpoint stores only
// k. Token-corpus batches (batches.h) and prompt-learning batches
// (prompt_dataset.h) both use it.
//
// Usage:
//   ShuffledOrder order(samples.size(), seed);
//   for (int64_t k = first; k < first + rows; ++k)
//     copy(samples[order.sampleAt(k)]);
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_DATA_SHUFFLED_ORDER_H
#define STRATA_RUNTIME_DATA_SHUFFLED_ORDER_H

#include <cstdint>
#include <vector>

namespace strata::runtime::data {

class ShuffledOrder {
public:
  /// The order of |size| samples under |seed|; sampleAt() needs size > 0.
  ShuffledOrder(int64_t size, uint64_t seed);

  /// The index (0..size-1) of sample |k| (>= 0) of the run. Keeps one
  /// epoch's permutation, so consecutive calls within an epoch are cheap.
  int64_t sampleAt(int64_t k);
  /// The epoch sample |k| belongs to.
  int64_t epochOf(int64_t k) const { return k / size_; }

private:
  void prepareEpoch(int64_t epoch);

  int64_t size_;
  uint64_t seed_;
  int64_t epoch_ = -1;
  std::vector<int64_t> order_;
};

} // namespace strata::runtime::data

#endif // STRATA_RUNTIME_DATA_SHUFFLED_ORDER_H
