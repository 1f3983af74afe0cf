//===- gradient_buckets.cc - how the bucketed collectives pack slots ------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "common/gradient_buckets.h"

#include <algorithm>

namespace strata {

std::vector<SlotBucket> bucketSlots(const std::vector<size_t> &bytes,
                                    size_t capacity) {
  std::vector<SlotBucket> buckets;
  SlotBucket open;
  size_t filled = 0;
  auto flush = [&](size_t end) {
    if (open.begin < end)
      buckets.push_back({open.begin, end, false});
    open.begin = end;
    filled = 0;
  };
  for (size_t t = 0; t < bytes.size(); ++t) {
    if (bytes[t] > capacity) {
      flush(t);
      buckets.push_back({t, t + 1, true});
      open.begin = t + 1;
      continue;
    }
    if (filled + bytes[t] > capacity)
      flush(t);
    filled += bytes[t];
  }
  flush(bytes.size());
  return buckets;
}

GradientBucketPlan planGradientBuckets(const std::vector<size_t> &bytes) {
  GradientBucketPlan plan;
  size_t total = 0;
  for (size_t size : bytes)
    total += size;
  plan.capacity = std::min(total, kGradientBucketCapacity);
  plan.buckets = bucketSlots(bytes, plan.capacity);
  for (const SlotBucket &bucket : plan.buckets) {
    if (bucket.alone)
      continue;
    size_t packed = 0;
    for (size_t t = bucket.begin; t < bucket.end; ++t)
      packed += bytes[t];
    plan.bufferBytes = std::max(plan.bufferBytes, packed);
  }
  return plan;
}

} // namespace strata
