//===- embedding.cc - embedding lookup -----------------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/embedding.h"

#include "runtime/kernels/cpu/kernel_util.h"

#include <algorithm>
#include <string>
#include <vector>

namespace strata::runtime::cpu {

Status validateIds(const int32_t *ids, int64_t count, int64_t V) {
  for (int64_t i = 0; i < count; ++i)
    if (ids[i] < 0 || ids[i] >= V)
      return Status::invalidArgument(
          "id " + std::to_string(ids[i]) + " at position " + std::to_string(i) +
          " is outside the embedding table [0, " + std::to_string(V) + ")");
  return Status::ok();
}

namespace {

/// out[i,:] = table[ids[i] - rowOffset,:] for the ids in [rowOffset,
/// rowOffset + V), |fill| for the others; the difference is taken in 64
/// bits, so no id overflows into the table.
template <typename T>
void gatherRows(const T *table, const int32_t *ids, int64_t count,
                int64_t rowOffset, int64_t V, int64_t H, T fill, T *out) {
#pragma omp parallel for schedule(static) if (detail::worthParallel(count * H))
  for (int64_t i = 0; i < count; ++i) {
    const int64_t row = int64_t(ids[i]) - rowOffset;
    T *o = out + i * H;
    if (row >= 0 && row < V)
      std::copy(table + row * H, table + (row + 1) * H, o);
    else
      std::fill(o, o + H, fill);
  }
}

/// Zeroes dtable[V,H] unless the gradient accumulates into it.
template <typename T>
void clearUnlessAccumulating(int64_t V, int64_t H, T *dtable, bool accumulate) {
  if (!accumulate)
    detail::parallelChunks(V * H, 1 << 18, [&](int64_t s, int64_t e) {
      std::fill(dtable + s, dtable + e, T{});
    });
}

/// dtable[v,:] (+)= sum over i with ids[i] == rowOffset + v of dout[i,:],
/// v < V; other ids are skipped.
template <typename T>
void scatterAddRows(const T *dout, const int32_t *ids, int64_t count,
                    int64_t rowOffset, int64_t V, int64_t H, T *dtable,
                    bool accumulate) {
  clearUnlessAccumulating(V, H, dtable, accumulate);
  // Column blocks of 64 own their slice of every table row; ids are visited
  // in order within a block.
  const int64_t blocks = (H + detail::kColumnBlock - 1) / detail::kColumnBlock;
#pragma omp parallel for schedule(static) if (detail::worthParallel(count * H))
  for (int64_t blk = 0; blk < blocks; ++blk) {
    const int64_t h0 = blk * detail::kColumnBlock;
    const int64_t w = std::min(detail::kColumnBlock, H - h0);
    for (int64_t i = 0; i < count; ++i) {
      const int64_t row = int64_t(ids[i]) - rowOffset;
      if (row < 0 || row >= V)
        continue;
      T *__restrict d = dtable + row * H + h0;
      const T *__restrict g = dout + i * H + h0;
      for (int64_t j = 0; j < w; ++j)
        d[j] += g[j];
    }
  }
}

/// The same for bf16 and f16, summed in float and rounded once per table
/// element (adding into a 16-bit row once per id would round once per
/// occurrence). The positions with an id in the shard, sorted stably by
/// row, form one run per row; a task owns whole runs and sums a run's dout
/// rows in increasing i, so the result does not depend on the threads.
/// Allocates the sorted positions (8 bytes per id).
template <typename T>
void scatterAddRowsWidened(const T *dout, const int32_t *ids, int64_t count,
                           int64_t rowOffset, int64_t V, int64_t H, T *dtable,
                           bool accumulate) {
  clearUnlessAccumulating(V, H, dtable, accumulate);
  auto rowOf = [&](int64_t i) { return int64_t(ids[i]) - rowOffset; };
  std::vector<int64_t> order;
  order.reserve(size_t(count));
  for (int64_t i = 0; i < count; ++i)
    if (rowOf(i) >= 0 && rowOf(i) < V)
      order.push_back(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return rowOf(a) < rowOf(b); });
  std::vector<int64_t> runStarts;
  for (size_t k = 0; k < order.size(); ++k)
    if (k == 0 || rowOf(order[k]) != rowOf(order[k - 1]))
      runStarts.push_back(int64_t(k));
  runStarts.push_back(int64_t(order.size()));
  const int64_t runs = int64_t(runStarts.size()) - 1;
#pragma omp parallel for schedule(static) if (detail::worthParallel(count * H))
  for (int64_t r = 0; r < runs; ++r) {
    T *d = dtable + rowOf(order[size_t(runStarts[r])]) * H;
    for (int64_t h0 = 0; h0 < H; h0 += detail::kColumnBlock) {
      const int64_t w = std::min(detail::kColumnBlock, H - h0);
      float acc[detail::kColumnBlock];
      for (int64_t j = 0; j < w; ++j)
        acc[j] = float(d[h0 + j]);
      for (int64_t k = runStarts[r]; k < runStarts[r + 1]; ++k) {
        const T *__restrict g = dout + order[size_t(k)] * H + h0;
        for (int64_t j = 0; j < w; ++j)
          acc[j] += float(g[j]);
      }
      for (int64_t j = 0; j < w; ++j)
        d[h0 + j] = T(acc[j]);
    }
  }
}

template <typename T>
void scatterAdd(const T *dout, const int32_t *ids, int64_t count,
                int64_t rowOffset, int64_t V, int64_t H, T *dtable,
                bool accumulate) {
  if constexpr (kIsHalf<T>)
    scatterAddRowsWidened(dout, ids, count, rowOffset, V, H, dtable,
                          accumulate);
  else
    scatterAddRows(dout, ids, count, rowOffset, V, H, dtable, accumulate);
}

} // namespace

template <typename T>
void embeddingForward(const T *table, const int32_t *ids, int64_t count,
                      int64_t V, int64_t H, T *out) {
  gatherRows(table, ids, count, /*rowOffset=*/0, V, H,
             T(std::numeric_limits<AccumulatorOf<T>>::quiet_NaN()), out);
}

template <typename T>
void embeddingBackward(const T *dout, const int32_t *ids, int64_t count,
                       int64_t V, int64_t H, T *dtable, bool accumulate) {
  scatterAdd(dout, ids, count, /*rowOffset=*/0, V, H, dtable, accumulate);
}

template <typename T>
void embeddingForwardShard(const T *tableLocal, const int32_t *ids,
                           int64_t count, int64_t vocabOffset, int64_t Vl,
                           int64_t H, T *out) {
  gatherRows(tableLocal, ids, count, vocabOffset, Vl, H, T{}, out);
}

template <typename T>
void embeddingBackwardShard(const T *dout, const int32_t *ids, int64_t count,
                            int64_t vocabOffset, int64_t Vl, int64_t H,
                            T *dtableLocal, bool accumulate) {
  scatterAdd(dout, ids, count, vocabOffset, Vl, H, dtableLocal, accumulate);
}

#define STRATA_INSTANTIATE(T)                                                  \
  template void embeddingForward<T>(const T *, const int32_t *, int64_t,       \
                                    int64_t, int64_t, T *);                    \
  template void embeddingBackward<T>(const T *, const int32_t *, int64_t,      \
                                     int64_t, int64_t, T *, bool);             \
  template void embeddingForwardShard<T>(const T *, const int32_t *, int64_t,  \
                                         int64_t, int64_t, int64_t, T *);      \
  template void embeddingBackwardShard<T>(const T *, const int32_t *, int64_t, \
                                          int64_t, int64_t, int64_t, T *,      \
                                          bool);
STRATA_FOR_EACH_ELEMENT_TYPE(STRATA_INSTANTIATE)
#undef STRATA_INSTANTIATE

} // namespace strata::runtime::cpu
