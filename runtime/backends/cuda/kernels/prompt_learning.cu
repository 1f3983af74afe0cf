//===- prompt_learning.cu - virtual tokens on the GPU ---------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/kernels/numeric.cuh"
#include "runtime/backends/cuda/kernels/prompt_learning.h"

namespace strata::runtime::cuda::kernels {

namespace {

/// The task's table row of a virtual row, or -1.
__device__ __forceinline__ int64_t taskRow(int32_t v, int64_t offset,
                                           int64_t rows) {
  const int64_t r = int64_t(v) - offset;
  return r >= 0 && r < rows ? r : -1;
}

template <typename T>
__global__ void insertKernel(const T *x, const T *table, const int32_t *vt,
                             int64_t offset, int64_t rows, int64_t hidden,
                             int64_t n, T *y) {
  STRATA_GRID_STRIDE(i, n) {
    const int64_t r = taskRow(vt[i / hidden], offset, rows);
    y[i] = r >= 0 ? table[r * hidden + i % hidden] : x[i];
  }
}

template <typename T>
__global__ void maskKernel(const T *dy, const int32_t *vt, int64_t offset,
                           int64_t rows, int64_t hidden, int64_t n, T *dx) {
  STRATA_GRID_STRIDE(i, n) {
    dx[i] = taskRow(vt[i / hidden], offset, rows) >= 0 ? store<T>(0.0f)
                                                       : dy[i];
  }
}

template <typename T>
__global__ void tableGradKernel(const T *dy, const int32_t *vt,
                                int64_t positions, int64_t offset,
                                int64_t hidden, int64_t n, T *dtable) {
  STRATA_GRID_STRIDE(i, n) {
    const int64_t r = i / hidden, h = i % hidden;
    float sum = 0.0f;
    for (int64_t p = 0; p < positions; ++p)
      if (int64_t(vt[p]) - offset == r)
        sum += load(dy[p * hidden + h]);
    dtable[i] = store<T>(sum);
  }
}

} // namespace

template <typename T>
void insertVirtualTokens(const T *x, const T *table, const int32_t *vt,
                         int64_t positions, int64_t offset, int64_t rows,
                         int64_t hidden, T *y, cudaStream_t stream) {
  const int64_t n = positions * hidden;
  if (n > 0)
    insertKernel<<<gridFor(n), kThreads, 0, stream>>>(x, table, vt, offset,
                                                      rows, hidden, n, y);
}

template <typename T>
void maskVirtualTokens(const T *dy, const int32_t *vt, int64_t positions,
                       int64_t offset, int64_t rows, int64_t hidden, T *dx,
                       cudaStream_t stream) {
  const int64_t n = positions * hidden;
  if (n > 0)
    maskKernel<<<gridFor(n), kThreads, 0, stream>>>(dy, vt, offset, rows,
                                                    hidden, n, dx);
}

template <typename T>
void virtualTokenTableGrad(const T *dy, const int32_t *vt, int64_t positions,
                           int64_t offset, int64_t rows, int64_t hidden,
                           T *dtable, cudaStream_t stream) {
  const int64_t n = rows * hidden;
  if (n > 0)
    tableGradKernel<<<gridFor(n), kThreads, 0, stream>>>(
        dy, vt, positions, offset, hidden, n, dtable);
}

#define STRATA_INSTANTIATE(T)                                                  \
  template void insertVirtualTokens<T>(const T *, const T *, const int32_t *, \
                                       int64_t, int64_t, int64_t, int64_t,     \
                                       T *, cudaStream_t);                     \
  template void maskVirtualTokens<T>(const T *, const int32_t *, int64_t,      \
                                     int64_t, int64_t, int64_t, T *,           \
                                     cudaStream_t);                            \
  template void virtualTokenTableGrad<T>(const T *, const int32_t *, int64_t,  \
                                         int64_t, int64_t, int64_t, T *,       \
                                         cudaStream_t);
STRATA_INSTANTIATE(float)
STRATA_INSTANTIATE(__nv_bfloat16)
STRATA_INSTANTIATE(__half)
#undef STRATA_INSTANTIATE

} // namespace strata::runtime::cuda::kernels
