//===- column_sums.cuh - deterministic column sums --------*- CUDA -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// out[h] = sum over rows n of term(n, h), for h < cols, in two passes of
// fixed order (column_sums.h). |Term| is a small struct with
//   __device__ float operator()(int64_t n, int64_t h) const
// (the value of row n, column h in f32: dy itself for a bias gradient,
// dy * xhat for a norm's scale gradient).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_COLUMN_SUMS_CUH
#define STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_COLUMN_SUMS_CUH

#include "runtime/backends/cuda/kernels/column_sums.h"
#include "runtime/backends/cuda/kernels/numeric.cuh"

#include <cuda_runtime_api.h>

namespace strata::runtime::cuda::kernels {

/// The value of element (n, h) of x[rows, cols]: a bias gradient's term.
template <typename T> struct ValueTerm {
  const T *x;
  int64_t cols;
  __device__ float operator()(int64_t n, int64_t h) const {
    return load(x[n * cols + h]);
  }
};

/// Pass 1: partials[c, h] = sum of term(n, h) over the rows n of chunk c
/// (blockIdx.y), in increasing n.
template <typename Term>
__global__ void __launch_bounds__(kThreads)
    columnPartialsKernel(Term term, int64_t rows, int64_t cols,
                         int64_t chunkRows, float *partials) {
  const int64_t h = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (h >= cols)
    return;
  const int64_t chunk = blockIdx.y;
  const int64_t begin = chunk * chunkRows;
  const int64_t end = begin + chunkRows < rows ? begin + chunkRows : rows;
  float sum = 0.0f;
  for (int64_t n = begin; n < end; ++n)
    sum += term(n, h);
  partials[chunk * cols + h] = sum;
}

/// Pass 2: out[h] = the partials of column h summed in chunk order, rounded
/// once.
template <typename T>
__global__ void __launch_bounds__(kThreads)
    columnTotalsKernel(const float *partials, int64_t chunks, int64_t cols,
                       T *out) {
  const int64_t h = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (h >= cols)
    return;
  float sum = 0.0f;
  for (int64_t c = 0; c < chunks; ++c)
    sum += partials[c * cols + h];
  out[h] = store<T>(sum);
}

/// Queues both passes on |stream|; |partials| holds
/// columnSumWorkspaceBytes(rows, cols) bytes. rows = 0 gives zeros.
template <typename T, typename Term>
void columnSums(Term term, int64_t rows, int64_t cols, float *partials, T *out,
                cudaStream_t stream) {
  if (cols <= 0)
    return;
  const int64_t chunks = columnSumChunks(rows);
  const int64_t chunkRows = (rows + chunks - 1) / chunks;
  const unsigned columnBlocks = unsigned((cols + kThreads - 1) / kThreads);
  columnPartialsKernel<<<dim3(columnBlocks, unsigned(chunks)), kThreads, 0,
                         stream>>>(term, rows, cols, chunkRows, partials);
  columnTotalsKernel<<<columnBlocks, kThreads, 0, stream>>>(partials, chunks,
                                                            cols, out);
}

} // namespace strata::runtime::cuda::kernels

#endif // STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_COLUMN_SUMS_CUH
