//===- gradient_buckets.h - slots packed into buckets ----------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The instructions that move every listed parameter's gradient (or value)
// slot across a data-parallel group (ReduceGradients, ReduceScatterGradients,
// GatherParameters) pack consecutive small slots into buckets and run one
// collective per bucket instead of one per parameter; a slot larger than the
// bucket capacity is moved alone, in place. A packed bucket goes through a
// buffer of the instruction's own: the gradient bucket, which the compiler
// plans in the arena (BufferCategory GradientBucket, format 0.9) and sizes
// with planGradientBuckets, and which the runtime's preparation checks
// against the same plan. Plain C++ (StrataGradientBuckets needs nothing), so
// compiler and runtime share one definition of the rule.
//
// The rule: the capacity is min(total bytes of the slots, 16 MiB) (the
// runtime's rule since the distributed optimizer, kept so that every
// collective moves the same message as before); the bucket buffer holds the
// largest packed bucket, which is at most the capacity and is smaller when
// the slots that would fill it go alone.
//
// Usage:
//   const GradientBucketPlan plan = planGradientBuckets(slotBytes);
//   for (const SlotBucket &bucket : plan.buckets)
//     bucket.alone ? move slot bucket.begin in place
//                  : pack [begin, end) into the bucket buffer, move, unpack;
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMMON_GRADIENT_BUCKETS_H
#define STRATA_COMMON_GRADIENT_BUCKETS_H

#include <cstddef>
#include <vector>

namespace strata {

/// The most bytes one packed bucket holds (PyTorch DDP's default is 25 MiB,
/// Megatron-LM's 40M elements). The bucket is planned in the arena, where it
/// normally reuses activation memory that is dead by then.
inline constexpr size_t kGradientBucketCapacity = size_t(16) << 20;

/// Slots [begin, end) of a list, moved by one collective; |alone| for a
/// single slot larger than the bucket capacity (moved in place).
struct SlotBucket {
  size_t begin = 0, end = 0;
  bool alone = false;
};

/// Consecutive slots of |bytes| packed into buckets of at most |capacity|
/// bytes, in order; a slot larger than |capacity| gets a bucket of its own.
std::vector<SlotBucket> bucketSlots(const std::vector<size_t> &bytes,
                                    size_t capacity);

/// How one bucketed instruction moves slots of |bytes| (in list order).
struct GradientBucketPlan {
  /// min(sum of bytes, kGradientBucketCapacity).
  size_t capacity = 0;
  /// bucketSlots(bytes, capacity).
  std::vector<SlotBucket> buckets;
  /// The bytes of the largest bucket that is not alone: what the
  /// instruction's bucket buffer must hold (0 when every slot goes alone).
  size_t bufferBytes = 0;
};

GradientBucketPlan planGradientBuckets(const std::vector<size_t> &bytes);

} // namespace strata

#endif // STRATA_COMMON_GRADIENT_BUCKETS_H
