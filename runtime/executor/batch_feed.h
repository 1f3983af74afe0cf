//===- batch_feed.h - token batches into function arguments -----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// What ModelProgram and PipelineProgram share: a micro-batch of rows of a
// token batch [rows, seq + 1] becomes the tokens T[:, :-1], labels T[:, 1:]
// and positions 0..seq-1 of a function; scalars are read and written in the
// program's float type; and a data-parallel rank takes its own block of a
// step's micro-batches.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_BATCH_FEED_H
#define STRATA_RUNTIME_EXECUTOR_BATCH_FEED_H

#include "runtime/executor/executor.h"
#include "runtime/executor/token_batch.h"
#include "runtime/io/host_tensor.h"

#include <cstdint>

namespace strata::runtime {

/// Fills the first three arguments of |function| (tokens, positions,
/// labels; I32 [microBatch, seq]) from rows [row, row + microBatch) of
/// |tokens| (int32 or int64 [rows, seq + 1], checked by the caller).
Status writeMicroBatch(Executor &executor, const PreparedFunction &function,
                       const io::HostTensor &tokens, int64_t row,
                       int64_t microBatch, int64_t seq);

/// The same from rows [row, row + microBatch) of |batch| (tokens, labels
/// and, when |withVirtualTokens|, the fourth argument's virtual tokens).
Status writeMicroBatch(Executor &executor, const PreparedFunction &function,
                       const TokenBatch &batch, int64_t row,
                       int64_t microBatch, int64_t seq,
                       bool withVirtualTokens);

/// Buffer |id| (an F32 or F64 scalar) set to / read as a double.
Status writeScalar(Executor &executor, uint32_t id, double value);
StatusOr<double> readScalar(const Executor &executor, uint32_t id);

/// The mesh's dp axis as seen from one rank.
struct DataParallel {
  int64_t size = 1;
  int64_t rank = 0;
  /// The communicator of the dp ranks (null without dp).
  Communicator *group = nullptr;
};

DataParallel dataParallelOf(const RankMesh &mesh);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_BATCH_FEED_H
