//===- batch_feed.cc - token batches into function arguments --------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/batch_feed.h"

#include <cstring>

namespace strata::runtime {

void writeMicroBatch(Executor &executor, const PreparedFunction &function,
                     const io::HostTensor &tokens, int64_t row,
                     int64_t microBatch, int64_t seq) {
  auto *ids = reinterpret_cast<int32_t *>(executor.data(function.arguments[0]));
  auto *positions =
      reinterpret_cast<int32_t *>(executor.data(function.arguments[1]));
  auto *labels =
      reinterpret_cast<int32_t *>(executor.data(function.arguments[2]));
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
}

void writeScalar(Executor &executor, uint32_t id, double value) {
  uint8_t *data = executor.data(id);
  if (executor.buffer(id).dtype() == artifact::DType::F64)
    std::memcpy(data, &value, sizeof(double));
  else {
    const float f = static_cast<float>(value);
    std::memcpy(data, &f, sizeof(float));
  }
}

double readScalar(const Executor &executor, uint32_t id) {
  const uint8_t *data = executor.data(id);
  if (executor.buffer(id).dtype() == artifact::DType::F64) {
    double d;
    std::memcpy(&d, data, sizeof(double));
    return d;
  }
  float f;
  std::memcpy(&f, data, sizeof(float));
  return f;
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
