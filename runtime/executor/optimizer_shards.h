//===- optimizer_shards.h - distributed optimizer collectives ---*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The distributed optimizer (ZeRO stage 1, Parameter.optimizer_split_axis):
// over a group of S ranks, a buffer of n elements seen flat is S contiguous
// blocks of n / S, and the rank with coordinate c owns block c of every
// split parameter. Two instructions move the blocks:
//
//   ReduceScatterGradients  each gradient slot summed over the group into
//                           the owner's block (after the micro-batches)
//   GatherParameters        each owner's updated block of the parameter
//                           copied to every rank (after the AdamW updates)
//
// Slots are packed into buckets as gradient_buckets.h plans them (one
// collective per bucket, in rank-major order through the instruction's
// gradient bucket, a buffer of the arena); slots larger than the capacity go
// alone, in place.
//
// Usage (runCollective):
//   if (p.kernel == Kernel::ReduceScatterGradients)
//     return reduceScatterGradients(p, context, comm);
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_OPTIMIZER_SHARDS_H
#define STRATA_RUNTIME_EXECUTOR_OPTIMIZER_SHARDS_H

#include "runtime/executor/collectives.h"
#include "common/gradient_buckets.h"
#include "runtime/support/status.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace strata::runtime {

/// out[offset(t) ...] = block |rank| of slot t (of |bytes[t]| bytes in
/// |group| blocks), for every slot t, offset(t) being the sum of the earlier
/// slots' block sizes: rank |rank|'s part of the rank-major layout a
/// reduce-scatter scatters from and an all-gather gathers to. Each slot's
/// size divides by |group|. Device copies on |stream|.
Status packBlocks(Device &device, Stream &stream,
                  const std::vector<DevicePtr> &slots,
                  const std::vector<size_t> &bytes, int64_t group, int64_t rank,
                  DevicePtr out);

/// The inverse of packBlocks: block |rank| of slot t = in[offset(t) ...].
Status unpackBlocks(Device &device, Stream &stream, DevicePtr in,
                    const std::vector<size_t> &bytes, int64_t group,
                    int64_t rank, const std::vector<DevicePtr> &slots);

/// ReduceScatterGradients over |comm| (the group of the instruction's axis).
Status reduceScatterGradients(const KernelDescriptor &p,
                              const CollectiveContext &context,
                              DeviceCommunicator &comm);

/// GatherParameters over |comm|.
Status gatherParameters(const KernelDescriptor &p,
                        const CollectiveContext &context,
                        DeviceCommunicator &comm);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_OPTIMIZER_SHARDS_H
