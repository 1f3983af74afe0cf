//===- collectives.cc - collectives and pipeline transfers ----------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/collectives.h"

#include "common/gradient_buckets.h"
#include "runtime/executor/optimizer_shards.h"

#include <vector>

namespace strata::runtime {

bool isCollective(Kernel kernel) {
  return kernel == Kernel::AllReduce || kernel == Kernel::AllGather ||
         kernel == Kernel::ReduceScatter || kernel == Kernel::ReduceGradients ||
         kernel == Kernel::LocalSlice || kernel == Kernel::Send ||
         kernel == Kernel::Recv || kernel == Kernel::ReduceScatterGradients ||
         kernel == Kernel::GatherParameters;
}

namespace {

/// The gradient slots packed into buckets of at most bucketBytes (slots
/// larger than that go alone, in place), each bucket through the
/// instruction's gradient bucket in the arena: one all-reduce per bucket
/// instead of one per parameter.
///
/// TODO(overlap): these run in `reduce_gradients`, after the last
/// micro-batch's backward, on the executor's one stream, so nothing overlaps
/// them. Overlap needs the compiler to issue each bucket inside the last
/// backward where its slots become final, and this function to run it on a
/// communication stream ordered by events (docs/parallelism.md, "Not yet").
Status reduceGradients(const KernelDescriptor &p, const CollectiveContext &c,
                       DeviceCommunicator &comm) {
  const auto &shape = p.as<CollectiveShape>();
  const size_t element = dtypeSize(p.dtype);
  std::vector<size_t> bytes;
  for (const BufferRef &slot : shape.slots)
    bytes.push_back(slot.bytes());
  const DevicePtr packed = c.arena + shape.bucket.offset;
  for (const SlotBucket &bucket : bucketSlots(bytes, shape.bucketBytes)) {
    if (bucket.alone) {
      const BufferRef &slot = shape.slots[bucket.begin];
      STRATA_RETURN_IF_ERROR(comm.allReduce(c.arena + slot.offset,
                                            slot.bytes() / element, p.dtype,
                                            ReduceOp::Sum, c.stream));
      continue;
    }
    size_t at = 0;
    for (size_t t = bucket.begin; t < bucket.end; ++t) {
      const BufferRef &slot = shape.slots[t];
      STRATA_RETURN_IF_ERROR(c.device.copy(packed + at, c.arena + slot.offset,
                                           slot.bytes(), c.stream));
      at += slot.bytes();
    }
    STRATA_RETURN_IF_ERROR(
        comm.allReduce(packed, at / element, p.dtype, ReduceOp::Sum, c.stream));
    at = 0;
    for (size_t t = bucket.begin; t < bucket.end; ++t) {
      const BufferRef &slot = shape.slots[t];
      STRATA_RETURN_IF_ERROR(c.device.copy(c.arena + slot.offset, packed + at,
                                           slot.bytes(), c.stream));
      at += slot.bytes();
    }
  }
  return Status::ok();
}

Status runOn(const KernelDescriptor &p, const CollectiveContext &c,
             DeviceCommunicator &comm) {
  const auto &shape = p.as<CollectiveShape>();
  if (p.kernel == Kernel::Send || p.kernel == Kernel::Recv) {
    // The peer's coordinate is this rank's plus the offset, wrapping around
    // (the interleaved schedule's last stage sends to the first).
    const int64_t size = comm.size();
    const int peer = static_cast<int>(
        ((comm.rank() + shape.peerOffset) % size + size) % size);
    const int tag = static_cast<int>(shape.tag);
    return p.kernel == Kernel::Send
               ? comm.sendAsync(c.arena + p.operands[0].offset, shape.bytes,
                                peer, tag, c.stream)
               : comm.recv(c.arena + p.results[0].offset, shape.bytes, peer,
                           tag, c.stream);
  }
  const size_t element = dtypeSize(p.dtype);
  const size_t blockBytes = size_t(shape.block) * element;
  const size_t localBytes = size_t(shape.outer) * blockBytes;
  const int64_t outer = shape.outer, group = shape.group;
  if (p.kernel == Kernel::LocalSlice) {
    // y[o][block] = x[o][c * block + ...], c this rank's coordinate.
    return c.device.copy2D(
        c.arena + p.results[0].offset, blockBytes,
        c.arena + p.operands[0].offset + size_t(shape.sliceBlock) * blockBytes,
        blockBytes * size_t(group), blockBytes, size_t(outer), c.stream);
  }
  if (p.kernel == Kernel::ReduceGradients)
    return reduceGradients(p, c, comm);
  if (p.kernel == Kernel::ReduceScatterGradients)
    return reduceScatterGradients(p, c, comm);
  if (p.kernel == Kernel::GatherParameters)
    return gatherParameters(p, c, comm);
  const DevicePtr x = c.arena + p.operands[0].offset;
  const DevicePtr y = c.arena + p.results[0].offset;
  const ReduceOp op = shape.reduceMax ? ReduceOp::Max : ReduceOp::Sum;
  switch (p.kernel) {
  case Kernel::AllReduce:
    if (x != y)
      STRATA_RETURN_IF_ERROR(c.device.copy(y, x, localBytes, c.stream));
    return comm.allReduce(y, size_t(outer * shape.block), p.dtype, op,
                          c.stream);
  case Kernel::AllGather: {
    // y[o][r][block] = x_r[o][block]
    if (outer == 1)
      return comm.allGather(x, y, size_t(shape.block), p.dtype, c.stream);
    STRATA_RETURN_IF_ERROR(comm.allGather(
        x, c.scratch, size_t(outer * shape.block), p.dtype, c.stream));
    for (int64_t r = 0; r < group; ++r)
      STRATA_RETURN_IF_ERROR(c.device.copy2D(
          y + size_t(r) * blockBytes, size_t(group) * blockBytes,
          c.scratch + size_t(r) * localBytes, blockBytes, blockBytes,
          size_t(outer), c.stream));
    return Status::ok();
  }
  default: { // ReduceScatter: y[o][block] = sum_r x_r[o][rank's block]
    if (outer == 1)
      return comm.reduceScatter(x, y, size_t(shape.block), p.dtype, op,
                                c.stream);
    for (int64_t r = 0; r < group; ++r)
      STRATA_RETURN_IF_ERROR(c.device.copy2D(
          c.scratch + size_t(r) * localBytes, blockBytes,
          x + size_t(r) * blockBytes, size_t(group) * blockBytes, blockBytes,
          size_t(outer), c.stream));
    return comm.reduceScatter(c.scratch, y, size_t(outer * shape.block),
                              p.dtype, op, c.stream);
  }
  }
}

} // namespace

Status runCollective(const KernelDescriptor &p, const CollectiveContext &c) {
  const int axis = p.as<CollectiveShape>().axis;
  if (axis < 0 || axis >= static_cast<int>(c.communicators.size()) ||
      !c.communicators[axis])
    return Status::failedPrecondition(
        p.where + ": no communicator for mesh axis " + std::to_string(axis));
  Status status = runOn(p, c, *c.communicators[axis]);
  return status.isOk() ? status : status.withContext(p.where);
}

} // namespace strata::runtime
