//===- shared_gradients.cc - gradients of parameters two stages hold ------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/shared_gradients.h"

#include "runtime/executor/pipeline_group.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace strata::runtime {

namespace {

/// mine := lower + higher, elementwise, whichever of the two is mine.
template <typename T>
void addInOrder(T *mine, const T *theirs, size_t n, bool mineIsLower) {
  for (size_t i = 0; i < n; ++i)
    mine[i] = mineIsLower ? mine[i] + theirs[i] : theirs[i] + mine[i];
}

} // namespace

Status sumSharedGradients(Executor &executor) {
  const artifact::Artifact &root = executor.root();
  if (!root.parameters())
    return Status::ok();
  std::vector<const artifact::Parameter *> shared;
  for (const artifact::Parameter *parameter : *root.parameters())
    if (parameter->shared_with_stage() >= 0 && parameter->grad() >= 0)
      shared.push_back(parameter);
  if (shared.empty())
    return Status::ok();
  // Both stages walk the same names in the same order.
  std::sort(shared.begin(), shared.end(),
            [](const artifact::Parameter *a, const artifact::Parameter *b) {
              return a->name()->str() < b->name()->str();
            });
  const PipelineGroup group = pipelineGroupOf(executor.mesh());
  const std::string &path = executor.artifact().path();
  // Reused by every step: fresh pages of a tied embedding's size cost more
  // to touch than the transfer itself (two 25 MiB buffers took about 0.2 s
  // a step on a 2-core VM).
  thread_local std::vector<uint8_t> mineHost, theirs;
  for (const artifact::Parameter *parameter : shared) {
    const std::string name = parameter->name()->str();
    const int64_t peer = parameter->shared_with_stage();
    if (peer == group.stage || peer >= group.stages)
      return Status::dataLoss(
          path + ": parameter " + name + " is shared with pipeline stage " +
          std::to_string(peer) + ", but this is stage " +
          std::to_string(group.stage) + " of " + std::to_string(group.stages));
    const uint32_t slot = uint32_t(parameter->grad());
    const artifact::Buffer &buffer = executor.buffer(slot);
    const artifact::DType dtype = buffer.dtype();
    if (dtype != artifact::DType::F32 && dtype != artifact::DType::F64)
      return Status::failedPrecondition(
          path + ": summing the gradient of shared parameter " + name +
          " of element type " + io::toString(toIoDType(dtype)) +
          " (f32 and f64 only)");
    // Summed on the host: one tied embedding per step, copied out and back.
    const size_t bytes = buffer.size();
    mineHost.resize(bytes);
    theirs.resize(bytes);
    STRATA_RETURN_IF_ERROR(executor.readBytes(slot, mineHost.data(), bytes));
    uint8_t *mine = mineHost.data();
    const bool mineIsLower = group.stage < peer;
    // The lower stage sends first, the higher receives first: blocking
    // transfers that cannot wait on each other.
    const std::string what = "the gradient of " + name +
                             " shared with "
                             "pipeline stage " +
                             std::to_string(peer);
    if (mineIsLower) {
      STRATA_RETURN_IF_ERROR(
          sendToStage(group, mine, bytes, peer, PipelineTag::SharedGradient)
              .withContext("sending " + what));
      STRATA_RETURN_IF_ERROR(recvFromStage(group, theirs.data(), bytes, peer,
                                           PipelineTag::SharedGradient)
                                 .withContext("receiving " + what));
    } else {
      STRATA_RETURN_IF_ERROR(recvFromStage(group, theirs.data(), bytes, peer,
                                           PipelineTag::SharedGradient)
                                 .withContext("receiving " + what));
      STRATA_RETURN_IF_ERROR(
          sendToStage(group, mine, bytes, peer, PipelineTag::SharedGradient)
              .withContext("sending " + what));
    }
    if (dtype == artifact::DType::F64)
      addInOrder(reinterpret_cast<double *>(mine),
                 reinterpret_cast<const double *>(theirs.data()), bytes / 8,
                 mineIsLower);
    else
      addInOrder(reinterpret_cast<float *>(mine),
                 reinterpret_cast<const float *>(theirs.data()), bytes / 4,
                 mineIsLower);
    STRATA_RETURN_IF_ERROR(executor.writeBytes(slot, mine, bytes));
  }
  return Status::ok();
}

} // namespace strata::runtime
