//===- stash_slots.cc - saved values between forward and backward ---------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/stash_slots.h"

#include <string>

namespace strata::runtime {

namespace {
std::string place(int chunk, int64_t microBatch) {
  return "micro-batch " + std::to_string(microBatch) + " of chunk " +
         std::to_string(chunk);
}
} // namespace

Status StashSlots::reserve(const std::vector<size_t> &slotBytes,
                           const std::vector<int64_t> &slots) {
  if (slotBytes.size() != slots.size())
    return Status::internal("stash: " + std::to_string(slotBytes.size()) +
                            " slot sizes for " + std::to_string(slots.size()) +
                            " chunks");
  if (chunks_.size() < slots.size())
    chunks_.resize(slots.size());
  for (size_t c = 0; c < slots.size(); ++c) {
    Chunk &chunk = chunks_[c];
    if (!chunk.memory.empty() && chunk.slotBytes != slotBytes[c])
      return Status::internal(
          "stash: chunk " + std::to_string(c) + " has slots of " +
          std::to_string(chunk.slotBytes) + " bytes, asked for " +
          std::to_string(slotBytes[c]));
    chunk.slotBytes = slotBytes[c];
    // Zero-filled: the memory is touched now, not in the first step.
    while (int64_t(chunk.memory.size()) < slots[c]) {
      chunk.memory.emplace_back(chunk.slotBytes, uint8_t(0));
      chunk.holder.push_back(-1);
    }
  }
  return Status::ok();
}

Status StashSlots::checkChunk(int chunk, const char *what) const {
  if (chunk < 0 || chunk >= int(chunks_.size()))
    return Status::internal(std::string("stash: ") + what + " chunk " +
                            std::to_string(chunk) + " of " +
                            std::to_string(chunks_.size()));
  return Status::ok();
}

int64_t StashSlots::slotOf(int chunk, int64_t microBatch) const {
  const std::vector<int64_t> &holder = chunks_[chunk].holder;
  for (size_t i = 0; i < holder.size(); ++i)
    if (holder[i] == microBatch)
      return int64_t(i);
  return -1;
}

StatusOr<uint8_t *> StashSlots::acquire(int chunk, int64_t microBatch) {
  STRATA_RETURN_IF_ERROR(checkChunk(chunk, "acquiring a slot of"));
  if (microBatch < 0)
    return Status::internal("stash: " + place(chunk, microBatch));
  if (slotOf(chunk, microBatch) >= 0)
    return Status::internal("stash: " + place(chunk, microBatch) +
                            " already holds a slot");
  const int64_t free = slotOf(chunk, -1);
  if (free < 0)
    return Status::internal(
        "stash: no free slot for " + place(chunk, microBatch) + " (all " +
        std::to_string(chunks_[chunk].holder.size()) + " held)");
  chunks_[chunk].holder[free] = microBatch;
  return chunks_[chunk].memory[free].data();
}

StatusOr<uint8_t *> StashSlots::find(int chunk, int64_t microBatch) {
  STRATA_RETURN_IF_ERROR(checkChunk(chunk, "finding a slot of"));
  const int64_t slot = microBatch < 0 ? -1 : slotOf(chunk, microBatch);
  if (slot < 0)
    return Status::internal("stash: " + place(chunk, microBatch) +
                            " holds no slot (its forward step did not run)");
  return chunks_[chunk].memory[slot].data();
}

Status StashSlots::release(int chunk, int64_t microBatch) {
  STRATA_RETURN_IF_ERROR(checkChunk(chunk, "releasing a slot of"));
  const int64_t slot = microBatch < 0 ? -1 : slotOf(chunk, microBatch);
  if (slot < 0)
    return Status::internal("stash: " + place(chunk, microBatch) +
                            " holds no slot to release");
  chunks_[chunk].holder[slot] = -1;
  return Status::ok();
}

int64_t StashSlots::inUse() const {
  int64_t n = 0;
  for (const Chunk &chunk : chunks_)
    for (int64_t holder : chunk.holder)
      n += holder >= 0;
  return n;
}

size_t StashSlots::allocatedBytes() const {
  size_t n = 0;
  for (const Chunk &chunk : chunks_)
    n += chunk.memory.size() * chunk.slotBytes;
  return n;
}

} // namespace strata::runtime
