//===- optimizer_shards.cc - the distributed optimizer's collectives ------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/optimizer_shards.h"

#include <cstring>

namespace strata::runtime {

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

void packBlocks(const std::vector<uint8_t *> &slots,
                const std::vector<size_t> &bytes, int64_t group, int64_t rank,
                uint8_t *out) {
  size_t at = 0;
  for (size_t t = 0; t < slots.size(); ++t) {
    const size_t block = bytes[t] / size_t(group);
    std::memcpy(out + at, slots[t] + size_t(rank) * block, block);
    at += block;
  }
}

void unpackBlocks(const uint8_t *in, const std::vector<size_t> &bytes,
                  int64_t group, int64_t rank,
                  const std::vector<uint8_t *> &slots) {
  size_t at = 0;
  for (size_t t = 0; t < slots.size(); ++t) {
    const size_t block = bytes[t] / size_t(group);
    std::memcpy(slots[t] + size_t(rank) * block, in + at, block);
    at += block;
  }
}

namespace {

enum class Direction { ReduceScatter, AllGather };

/// The listed parameters' gradient slots (ReduceScatter) or values
/// (AllGather), bucketed, each bucket one collective over |comm|.
Status moveBlocks(const PreparedInstruction &p, uint8_t *arena,
                  uint8_t *scratch, Communicator &comm, ElementType type,
                  const artifact::Artifact &root, Direction direction) {
  const int64_t group = comm.size(), rank = comm.rank();
  const size_t element = elementSize(type);
  std::vector<uint8_t *> slots;
  std::vector<size_t> bytes;
  for (int64_t parameter : p.parameterList) {
    const artifact::Parameter &entry =
        *root.parameters()->Get(uint32_t(parameter));
    const uint32_t id = direction == Direction::AllGather
                            ? entry.value()
                            : uint32_t(entry.grad());
    const artifact::Buffer &buffer = *root.buffers()->Get(id);
    slots.push_back(arena + buffer.offset());
    bytes.push_back(buffer.size());
  }
  for (const SlotBucket &bucket : bucketSlots(bytes, p.scratchBytes)) {
    const std::vector<uint8_t *> s(slots.begin() + bucket.begin,
                                   slots.begin() + bucket.end);
    const std::vector<size_t> b(bytes.begin() + bucket.begin,
                                bytes.begin() + bucket.end);
    size_t total = 0;
    for (size_t size : b)
      total += size;
    const size_t blockBytes = total / size_t(group);
    const size_t count = blockBytes / element;
    Status status = Status::ok();
    if (direction == Direction::ReduceScatter) {
      if (bucket.alone) {
        // In place: the sum of block c lands in the slot's first block.
        status = comm.reduceScatter(s[0], s[0], count, type, ReduceOp::Sum);
        if (status.isOk() && rank != 0)
          std::memcpy(s[0] + size_t(rank) * blockBytes, s[0], blockBytes);
      } else {
        for (int64_t r = 0; r < group; ++r)
          packBlocks(s, b, group, r, scratch + size_t(r) * blockBytes);
        status =
            comm.reduceScatter(scratch, scratch, count, type, ReduceOp::Sum);
        if (status.isOk())
          unpackBlocks(scratch, b, group, rank, s);
      }
    } else if (bucket.alone) {
      status =
          comm.allGather(s[0] + size_t(rank) * blockBytes, s[0], count, type);
    } else {
      uint8_t *own = scratch + size_t(rank) * blockBytes;
      packBlocks(s, b, group, rank, own);
      status = comm.allGather(own, scratch, count, type);
      if (status.isOk())
        for (int64_t r = 0; r < group; ++r)
          if (r != rank)
            unpackBlocks(scratch + size_t(r) * blockBytes, b, group, r, s);
    }
    if (!status.isOk())
      return status.withContext(p.where);
  }
  return Status::ok();
}

} // namespace

Status reduceScatterGradients(const PreparedInstruction &p, uint8_t *arena,
                              uint8_t *scratch, Communicator &comm,
                              ElementType type,
                              const artifact::Artifact &root) {
  return moveBlocks(p, arena, scratch, comm, type, root,
                    Direction::ReduceScatter);
}

Status gatherParameters(const PreparedInstruction &p, uint8_t *arena,
                        uint8_t *scratch, Communicator &comm, ElementType type,
                        const artifact::Artifact &root) {
  return moveBlocks(p, arena, scratch, comm, type, root, Direction::AllGather);
}

} // namespace strata::runtime
