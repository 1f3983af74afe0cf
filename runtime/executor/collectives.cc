//===- collectives.cc - collectives and pipeline transfers ----------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/collectives.h"

#include "runtime/executor/optimizer_shards.h"

#include <cstring>
#include <vector>

namespace strata::runtime {

using artifact::Kernel;

bool isCollective(Kernel kernel) {
  return kernel == Kernel::AllReduce || kernel == Kernel::AllGather ||
         kernel == Kernel::ReduceScatter || kernel == Kernel::ReduceGradients ||
         kernel == Kernel::LocalSlice || kernel == Kernel::Send ||
         kernel == Kernel::Recv || kernel == Kernel::ReduceScatterGradients ||
         kernel == Kernel::GatherParameters;
}

namespace {

int axisOfMask(int64_t mask) {
  int axis = 0;
  while (!((mask >> axis) & 1))
    ++axis;
  return axis;
}

/// Copies |runs| runs of |run| bytes from stride |from| to stride |to|.
void copyRuns(const uint8_t *src, uint8_t *dst, int64_t runs, size_t run,
              size_t from, size_t to) {
  for (int64_t i = 0; i < runs; ++i)
    std::memcpy(dst + i * to, src + i * from, run);
}

/// The gradient slots packed into buckets of at most scratchBytes (slots
/// larger than that go alone, in place): one all-reduce per bucket instead
/// of one per parameter.
Status reduceGradients(const PreparedInstruction &p, uint8_t *arena,
                       uint8_t *scratch, Communicator &comm, ElementType type,
                       const artifact::Artifact &root) {
  const size_t element = elementSize(type);
  std::vector<const artifact::Buffer *> bucket;
  size_t filled = 0;
  auto flush = [&]() -> Status {
    if (bucket.empty())
      return Status::ok();
    Status status = Status::ok();
    if (bucket.size() == 1) {
      status = comm.allReduce(arena + bucket[0]->offset(),
                              bucket[0]->size() / element, type, ReduceOp::Sum);
    } else {
      size_t at = 0;
      for (const artifact::Buffer *slot : bucket) {
        std::memcpy(scratch + at, arena + slot->offset(), slot->size());
        at += slot->size();
      }
      status = comm.allReduce(scratch, at / element, type, ReduceOp::Sum);
      at = 0;
      for (const artifact::Buffer *slot : bucket) {
        std::memcpy(arena + slot->offset(), scratch + at, slot->size());
        at += slot->size();
      }
    }
    bucket.clear();
    filled = 0;
    return status.isOk() ? status : status.withContext(p.where);
  };
  for (int64_t parameter : p.parameterList) {
    const artifact::Buffer *slot = root.buffers()->Get(
        uint32_t(root.parameters()->Get(uint32_t(parameter))->grad()));
    if (filled + slot->size() > p.scratchBytes)
      STRATA_RETURN_IF_ERROR(flush());
    bucket.push_back(slot);
    filled += slot->size();
  }
  return flush();
}

} // namespace

Status runCollective(const PreparedInstruction &p, uint8_t *arena,
                     uint8_t *scratch, const RankMesh &mesh,
                     const artifact::Artifact &root) {
  const int axis = axisOfMask(p.collectiveAxes);
  if (axis >= static_cast<int>(mesh.communicators.size()) ||
      !mesh.communicators[axis])
    return Status::failedPrecondition(
        p.where + ": no communicator for mesh axis " + std::to_string(axis));
  Communicator &comm = *mesh.communicators[axis];
  if (p.kernel == Kernel::Send || p.kernel == Kernel::Recv) {
    // The peer's coordinate is this rank's plus the offset, wrapping around
    // (the interleaved schedule's last stage sends to the first).
    const int64_t size = comm.size();
    const int peer =
        static_cast<int>(((comm.rank() + p.ints[1]) % size + size) % size);
    const int tag = static_cast<int>(p.ints[2]);
    const size_t bytes = static_cast<size_t>(p.dims[0]);
    Status status =
        p.kernel == Kernel::Send
            ? comm.sendAsync(arena + p.operands[0].offset, bytes, peer, tag)
            : comm.recv(arena + p.results[0].offset, bytes, peer, tag);
    return status.isOk() ? status : status.withContext(p.where);
  }
  if (p.kernel == Kernel::LocalSlice) {
    // y[o][block] = x[o][c * block + ...], c this rank's coordinate.
    const int64_t outer = p.dims[0];
    const size_t run = static_cast<size_t>(p.dims[1] * p.dims[3]);
    copyRuns(arena + p.operands[0].offset + mesh.coords[axis] * run,
             arena + p.results[0].offset, outer, run, run * p.dims[2], run);
    return Status::ok();
  }
  const ElementType type = p.isDouble ? ElementType::F64 : ElementType::F32;
  if (p.kernel == Kernel::ReduceGradients)
    return reduceGradients(p, arena, scratch, comm, type, root);
  if (p.kernel == Kernel::ReduceScatterGradients)
    return reduceScatterGradients(p, arena, scratch, comm, type, root);
  if (p.kernel == Kernel::GatherParameters)
    return gatherParameters(p, arena, scratch, comm, type, root);
  const size_t element = p.isDouble ? 8 : 4;
  uint8_t *x = arena + p.operands[0].offset;
  uint8_t *y = arena + p.results[0].offset;
  const int64_t outer = p.dims[0], block = p.dims[1], group = p.dims[2];
  const size_t blockBytes = static_cast<size_t>(block) * element;
  const size_t localBytes = static_cast<size_t>(outer) * blockBytes;
  Status status = Status::ok();
  switch (p.kernel) {
  case Kernel::AllReduce: {
    if (x != y)
      std::memmove(y, x, localBytes);
    status = comm.allReduce(y, static_cast<size_t>(outer * block), type,
                            p.ints[1] == 1 ? ReduceOp::Max : ReduceOp::Sum);
    break;
  }
  case Kernel::AllGather: {
    // y[o][r][block] = x_r[o][block]
    if (outer == 1) {
      status = comm.allGather(x, y, static_cast<size_t>(block), type);
      break;
    }
    status =
        comm.allGather(x, scratch, static_cast<size_t>(outer * block), type);
    if (status.isOk())
      for (int64_t r = 0; r < group; ++r)
        copyRuns(scratch + r * localBytes, y + r * blockBytes, outer,
                 blockBytes, blockBytes, group * blockBytes);
    break;
  }
  default: { // ReduceScatter: y[o][block] = sum_r x_r[o][rank's block]
    const ReduceOp op = p.ints[2] == 1 ? ReduceOp::Max : ReduceOp::Sum;
    if (outer == 1) {
      status = comm.reduceScatter(x, y, static_cast<size_t>(block), type, op);
      break;
    }
    for (int64_t r = 0; r < group; ++r)
      copyRuns(x + r * blockBytes, scratch + r * localBytes, outer, blockBytes,
               group * blockBytes, blockBytes);
    status = comm.reduceScatter(scratch, y, static_cast<size_t>(outer * block),
                                type, op);
    break;
  }
  }
  return status.isOk() ? status : status.withContext(p.where);
}

} // namespace strata::runtime
