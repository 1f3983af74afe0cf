//===- kv_cache.cu - KV-cache writes and position gathers on the GPU ------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/kernels/kv_cache.h"

#include "runtime/backends/cuda/kernels/numeric.cuh"

namespace strata::runtime::cuda::kernels {

namespace {

/// Block (b, t) copies row t of sequence b to its cache position, unless the
/// position is outside the cache or a later token of the sequence writes the
/// same position (it wins, as on the CPU, which writes in token order).
template <typename T>
__global__ void __launch_bounds__(kThreads)
    cacheWriteKernel(const T *values, const int32_t *positions, int64_t seq,
                     int64_t length, int64_t row, T *cache,
                     BlockTable blocks) {
  const int64_t token = blockIdx.x; // b * seq + t
  const int64_t b = token / seq, t = token % seq;
  const int32_t position = positions[token];
  if (position < 0 || position >= length)
    return; // the whole block: |position| is the same for every thread
  int64_t toRow = b * length + position;
  if (blocks.table) {
    const int32_t entry =
        blocks.table[b * blocks.width + position / blocks.blockSize];
    if (entry < 0 || entry >= blocks.numBlocks)
      return; // as a bad position: the same for every thread
    toRow = int64_t(entry) * blocks.blockSize + position % blocks.blockSize;
  }
  int overwritten = 0;
  for (int64_t later = t + 1 + threadIdx.x; later < seq; later += blockDim.x)
    overwritten |= positions[b * seq + later] == position;
  if (__syncthreads_or(overwritten))
    return;
  const T *from = values + token * row;
  T *to = cache + toRow * row;
  for (int64_t j = threadIdx.x; j < row; j += blockDim.x)
    to[j] = from[j];
}

template <typename T>
__global__ void takePositionsKernel(const T *x, const int32_t *index,
                                    int64_t seq, int64_t row, int64_t n, T *y) {
  const T nan = store<T>(__int_as_float(0x7fc00000));
  STRATA_GRID_STRIDE(e, n) {
    const int64_t b = e / row, j = e % row;
    const int32_t t = index[b];
    y[e] = t >= 0 && t < seq ? x[(b * seq + t) * row + j] : nan;
  }
}

} // namespace

template <typename T>
void cacheWrite(const T *values, const int32_t *positions, int64_t batch,
                int64_t seq, int64_t length, int64_t row, T *cache,
                const BlockTable &blocks, cudaStream_t stream) {
  if (batch * seq <= 0 || row <= 0)
    return;
  cacheWriteKernel<<<unsigned(batch * seq), kThreads, 0, stream>>>(
      values, positions, seq, length, row, cache, blocks);
}

template <typename T>
void takePositions(const T *x, const int32_t *index, int64_t batch, int64_t seq,
                   int64_t row, T *y, cudaStream_t stream) {
  const int64_t n = batch * row;
  if (n <= 0)
    return;
  takePositionsKernel<<<gridFor(n), kThreads, 0, stream>>>(x, index, seq, row,
                                                           n, y);
}

#define STRATA_INSTANTIATE(T)                                                  \
  template void cacheWrite<T>(const T *, const int32_t *, int64_t, int64_t,    \
                              int64_t, int64_t, T *, const BlockTable &,       \
                              cudaStream_t);                                   \
  template void takePositions<T>(const T *, const int32_t *, int64_t, int64_t, \
                                 int64_t, T *, cudaStream_t);
STRATA_INSTANTIATE(float)
STRATA_INSTANTIATE(__nv_bfloat16)
STRATA_INSTANTIATE(__half)
#undef STRATA_INSTANTIATE

} // namespace strata::runtime::cuda::kernels
