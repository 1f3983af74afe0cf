//===- batch_feed.cc - token batches into function arguments --------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/batch_feed.h"

#include <vector>

namespace strata::runtime {

Status writeMicroBatch(Executor &executor, const PreparedFunction &function,
                       const io::HostTensor &tokens, int64_t row,
                       int64_t microBatch, int64_t seq) {
  // Built on the host, then copied to the device: three small copies per
  // micro-batch. The vectors are reused (thread_local) across calls.
  thread_local std::vector<int32_t> ids, positions, labels;
  const size_t count = size_t(microBatch * seq);
  ids.resize(count);
  positions.resize(count);
  labels.resize(count);
  const int64_t width = seq + 1;
  auto token = [&](int64_t r, int64_t s) -> int32_t {
    const int64_t i = (row + r) * width + s;
    return tokens.dtype() == io::DType::I32
               ? tokens.data<int32_t>()[i]
               : static_cast<int32_t>(tokens.data<int64_t>()[i]);
  };
  for (int64_t r = 0; r < microBatch; ++r)
    for (int64_t s = 0; s < seq; ++s) {
      ids[r * seq + s] = token(r, s);
      labels[r * seq + s] = token(r, s + 1);
      positions[r * seq + s] = static_cast<int32_t>(s);
    }
  const size_t bytes = count * sizeof(int32_t);
  STRATA_RETURN_IF_ERROR(
      executor.writeBytes(function.arguments[0], ids.data(), bytes));
  STRATA_RETURN_IF_ERROR(
      executor.writeBytes(function.arguments[1], positions.data(), bytes));
  return executor.writeBytes(function.arguments[2], labels.data(), bytes);
}

Status writeMicroBatch(Executor &executor, const PreparedFunction &function,
                       const TokenBatch &batch, int64_t row,
                       int64_t microBatch, int64_t seq,
                       bool withVirtualTokens) {
  thread_local std::vector<int32_t> positions;
  const size_t count = size_t(microBatch * seq);
  const size_t bytes = count * sizeof(int32_t), offset = size_t(row * seq);
  positions.resize(count);
  for (size_t i = 0; i < count; ++i)
    positions[i] = static_cast<int32_t>(i % size_t(seq));
  STRATA_RETURN_IF_ERROR(executor.writeBytes(
      function.arguments[0], batch.tokens.data<int32_t>() + offset, bytes));
  STRATA_RETURN_IF_ERROR(
      executor.writeBytes(function.arguments[1], positions.data(), bytes));
  STRATA_RETURN_IF_ERROR(executor.writeBytes(
      function.arguments[2], batch.labels.data<int32_t>() + offset, bytes));
  if (!withVirtualTokens)
    return Status::ok();
  if (!batch.hasVirtualTokens())
    return Status::invalidArgument(
        function.name + " takes virtual tokens (a prompt-learning model) and "
                        "the batch has none");
  return executor.writeBytes(function.arguments[3],
                             batch.virtualTokens.data<int32_t>() + offset,
                             bytes);
}

Status writeScalar(Executor &executor, uint32_t id, double value) {
  if (executor.buffer(id).dtype() == artifact::DType::F64)
    return executor.writeBytes(id, &value, sizeof(double));
  const float f = static_cast<float>(value);
  return executor.writeBytes(id, &f, sizeof(float));
}

StatusOr<double> readScalar(const Executor &executor, uint32_t id) {
  if (executor.buffer(id).dtype() == artifact::DType::F64) {
    double d = 0.0;
    STRATA_RETURN_IF_ERROR(executor.readBytes(id, &d, sizeof(double)));
    return d;
  }
  float f = 0.0f;
  STRATA_RETURN_IF_ERROR(executor.readBytes(id, &f, sizeof(float)));
  return double(f);
}

DataParallel dataParallelOf(const RankMesh &mesh) {
  DataParallel dp;
  for (size_t axis = 0; axis < mesh.axes.size(); ++axis)
    if (mesh.axes[axis] == "dp" && mesh.shape[axis] > 1) {
      dp.size = mesh.shape[axis];
      dp.rank = mesh.coords[axis];
      dp.group = mesh.communicators[axis];
    }
  return dp;
}

} // namespace strata::runtime
