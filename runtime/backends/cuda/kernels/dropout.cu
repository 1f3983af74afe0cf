//===- dropout.cu - dropout kernels on the GPU ----------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// One thread per element draws its own Philox word (philoxStreamBits
// computes the whole 4-word block and keeps word i % 4): four times the
// CPU's Philox work, in exchange for kernels that are plain grid-stride
// loops over dropoutMultiplier, the function the CPU's mask is tested
// against.
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/kernels/dropout.h"

#include "runtime/backends/cuda/kernels/column_sums.cuh"
#include "runtime/backends/cuda/kernels/numeric.cuh"

namespace strata::runtime::cuda::kernels {

namespace {

using cpu::dropoutMultiplier;

template <typename T>
__global__ void dropoutKernel(const T *x, T *y, int64_t n, DropoutDraw draw,
                              MaskIndexing indexing) {
  STRATA_GRID_STRIDE(i, n) {
    y[i] = store<T>(load(x[i]) * dropoutMultiplier(draw, indexing.global(i)));
  }
}

template <typename T>
__global__ void biasDropoutAddKernel(const T *x, const T *b, const T *residual,
                                     int64_t cols, int64_t n, DropoutDraw draw,
                                     MaskIndexing indexing, T *y) {
  STRATA_GRID_STRIDE(i, n) {
    const float m = dropoutMultiplier(draw, indexing.global(i));
    y[i] = store<T>(load(residual[i]) + (load(x[i]) + load(b[i % cols])) * m);
  }
}

} // namespace

template <typename T>
void dropout(const T *x, T *y, int64_t n, const DropoutDraw &draw,
             const MaskIndexing &indexing, cudaStream_t stream) {
  if (n <= 0)
    return;
  dropoutKernel<<<gridFor(n), kThreads, 0, stream>>>(x, y, n, draw, indexing);
}

template <typename T>
void biasDropoutAdd(const T *x, const T *b, const T *residual, int64_t rows,
                    int64_t cols, const DropoutDraw &draw,
                    const MaskIndexing &indexing, T *y, cudaStream_t stream) {
  const int64_t n = rows * cols;
  if (n <= 0)
    return;
  biasDropoutAddKernel<<<gridFor(n), kThreads, 0, stream>>>(
      x, b, residual, cols, n, draw, indexing, y);
}

template <typename T>
void biasDropoutAddGrad(const T *dy, int64_t rows, int64_t cols,
                        const DropoutDraw &draw, const MaskIndexing &indexing,
                        T *dx, T *db, float *partials, cudaStream_t stream) {
  const int64_t n = rows * cols;
  if (n > 0)
    dropoutKernel<<<gridFor(n), kThreads, 0, stream>>>(dy, dx, n, draw,
                                                       indexing);
  columnSums(ValueTerm<T>{dx, cols}, rows, cols, partials, db, stream);
}

#define STRATA_INSTANTIATE(T)                                                  \
  template void dropout<T>(const T *, T *, int64_t, const DropoutDraw &,       \
                           const MaskIndexing &, cudaStream_t);                \
  template void biasDropoutAdd<T>(const T *, const T *, const T *, int64_t,    \
                                  int64_t, const DropoutDraw &,                \
                                  const MaskIndexing &, T *, cudaStream_t);    \
  template void biasDropoutAddGrad<T>(                                         \
      const T *, int64_t, int64_t, const DropoutDraw &, const MaskIndexing &,  \
      T *, T *, float *, cudaStream_t);
STRATA_INSTANTIATE(float)
STRATA_INSTANTIATE(__nv_bfloat16)
STRATA_INSTANTIATE(__half)
#undef STRATA_INSTANTIATE

} // namespace strata::runtime::cuda::kernels
