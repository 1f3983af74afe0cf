//===- stash_slots.h - saved values between forward and backward -*- C++
//-*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Under a pipeline schedule a stage runs several micro-batches' forward
// steps before their backward steps; each forward step's saved values wait
// in a slot until the backward step of the same micro-batch and chunk reads
// them. The slots of a chunk all have its size (the chunk's saved values,
// back to back); a step needs as many as the schedule keeps in flight
// (inFlightMicroBatches). Slots are allocated once and touched then, and
// reused by every later step: first-touching fresh memory each step would
// cost more than the copies.
//
// Usage:
//   StashSlots stash;
//   STRATA_RETURN_IF_ERROR(stash.reserve({bytes0, bytes1}, {4, 3}));
//   STRATA_ASSIGN_OR_RETURN(uint8_t *slot, stash.acquire(chunk, mb));
//   ... copy the forward step's saved values in ...
//   STRATA_ASSIGN_OR_RETURN(uint8_t *slot, stash.find(chunk, mb));
//   ... copy them into the backward step's arguments ...
//   STRATA_RETURN_IF_ERROR(stash.release(chunk, mb));
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_STASH_SLOTS_H
#define STRATA_RUNTIME_EXECUTOR_STASH_SLOTS_H

#include "runtime/support/status.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace strata::runtime {

class StashSlots {
public:
  /// Makes room for |slots[c]| slots of |slotBytes[c]| bytes for chunk c:
  /// grows, never shrinks, and keeps what the slots hold. A chunk's slot
  /// size is fixed by the first reserve.
  Status reserve(const std::vector<size_t> &slotBytes,
                 const std::vector<int64_t> &slots);

  /// A free slot of |chunk| for micro-batch |microBatch|; an error when
  /// every slot is taken or the micro-batch holds one already.
  StatusOr<uint8_t *> acquire(int chunk, int64_t microBatch);
  /// The slot micro-batch |microBatch| of |chunk| holds.
  StatusOr<uint8_t *> find(int chunk, int64_t microBatch);
  /// Frees that slot.
  Status release(int chunk, int64_t microBatch);

  int chunks() const { return int(chunks_.size()); }
  size_t slotBytes(int chunk) const { return chunks_[chunk].slotBytes; }
  int64_t slots(int chunk) const {
    return int64_t(chunks_[chunk].holder.size());
  }
  /// Slots held over every chunk.
  int64_t inUse() const;
  /// Bytes allocated over every chunk.
  size_t allocatedBytes() const;

private:
  struct Chunk {
    size_t slotBytes = 0;
    std::vector<std::vector<uint8_t>> memory;
    /// Per slot, the micro-batch it holds (-1: free).
    std::vector<int64_t> holder;
  };
  Status checkChunk(int chunk, const char *what) const;
  int64_t slotOf(int chunk, int64_t microBatch) const;

  std::vector<Chunk> chunks_;
};

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_STASH_SLOTS_H
