//===- optimizer_shards.cc - the distributed optimizer's collectives ------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/optimizer_shards.h"

#include <cstring>

namespace strata::runtime {

Status packBlocks(Device &device, Stream &stream,
                  const std::vector<DevicePtr> &slots,
                  const std::vector<size_t> &bytes, int64_t group, int64_t rank,
                  DevicePtr out) {
  size_t at = 0;
  for (size_t t = 0; t < slots.size(); ++t) {
    const size_t block = bytes[t] / size_t(group);
    STRATA_RETURN_IF_ERROR(
        device.copy(out + at, slots[t] + size_t(rank) * block, block, stream));
    at += block;
  }
  return Status::ok();
}

Status unpackBlocks(Device &device, Stream &stream, DevicePtr in,
                    const std::vector<size_t> &bytes, int64_t group,
                    int64_t rank, const std::vector<DevicePtr> &slots) {
  size_t at = 0;
  for (size_t t = 0; t < slots.size(); ++t) {
    const size_t block = bytes[t] / size_t(group);
    STRATA_RETURN_IF_ERROR(
        device.copy(slots[t] + size_t(rank) * block, in + at, block, stream));
    at += block;
  }
  return Status::ok();
}

namespace {

enum class Direction { ReduceScatter, AllGather };

/// The listed parameters' gradient slots (ReduceScatter) or values
/// (AllGather), bucketed, each bucket one collective over |comm|.
Status moveBlocks(const KernelDescriptor &p, const CollectiveContext &c,
                  DeviceCommunicator &comm, Direction direction) {
  const auto &shape = p.as<CollectiveShape>();
  const int64_t group = comm.size(), rank = comm.rank();
  const size_t element = dtypeSize(p.dtype);
  std::vector<DevicePtr> slots;
  std::vector<size_t> bytes;
  for (const BufferRef &slot : shape.slots) {
    slots.push_back(c.arena + slot.offset);
    bytes.push_back(slot.bytes());
  }
  Device &device = c.device;
  Stream &stream = c.stream;
  const DevicePtr packed = c.arena + shape.bucket.offset;
  for (const SlotBucket &bucket : bucketSlots(bytes, shape.bucketBytes)) {
    const std::vector<DevicePtr> s(slots.begin() + bucket.begin,
                                   slots.begin() + bucket.end);
    const std::vector<size_t> b(bytes.begin() + bucket.begin,
                                bytes.begin() + bucket.end);
    size_t total = 0;
    for (size_t size : b)
      total += size;
    const size_t blockBytes = total / size_t(group);
    const size_t count = blockBytes / element;
    if (direction == Direction::ReduceScatter) {
      if (bucket.alone) {
        // In place: the sum of block c lands in the slot's first block.
        STRATA_RETURN_IF_ERROR(comm.reduceScatter(s[0], s[0], count, p.dtype,
                                                  ReduceOp::Sum, stream));
        if (rank != 0)
          STRATA_RETURN_IF_ERROR(device.copy(s[0] + size_t(rank) * blockBytes,
                                             s[0], blockBytes, stream));
      } else {
        for (int64_t r = 0; r < group; ++r)
          STRATA_RETURN_IF_ERROR(packBlocks(device, stream, s, b, group, r,
                                            packed + size_t(r) * blockBytes));
        STRATA_RETURN_IF_ERROR(comm.reduceScatter(
            packed, packed, count, p.dtype, ReduceOp::Sum, stream));
        STRATA_RETURN_IF_ERROR(
            unpackBlocks(device, stream, packed, b, group, rank, s));
      }
    } else if (bucket.alone) {
      STRATA_RETURN_IF_ERROR(comm.allGather(s[0] + size_t(rank) * blockBytes,
                                            s[0], count, p.dtype, stream));
    } else {
      const DevicePtr own = packed + size_t(rank) * blockBytes;
      STRATA_RETURN_IF_ERROR(
          packBlocks(device, stream, s, b, group, rank, own));
      STRATA_RETURN_IF_ERROR(
          comm.allGather(own, packed, count, p.dtype, stream));
      for (int64_t r = 0; r < group; ++r)
        if (r != rank)
          STRATA_RETURN_IF_ERROR(unpackBlocks(
              device, stream, packed + size_t(r) * blockBytes, b, group, r, s));
    }
  }
  return Status::ok();
}

} // namespace

Status reduceScatterGradients(const KernelDescriptor &p,
                              const CollectiveContext &context,
                              DeviceCommunicator &comm) {
  return moveBlocks(p, context, comm, Direction::ReduceScatter);
}

Status gatherParameters(const KernelDescriptor &p,
                        const CollectiveContext &context,
                        DeviceCommunicator &comm) {
  return moveBlocks(p, context, comm, Direction::AllGather);
}

} // namespace strata::runtime
