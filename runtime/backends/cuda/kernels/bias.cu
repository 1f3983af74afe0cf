//===- bias.cu - bias gradient and the fused bias-GELU on the GPU ---------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// runtime/kernels/cpu/bias.cc's biasAddBackward, biasGeluForward and
// biasGeluBackward: elementwise grid-stride loops, then column sums.
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/kernels/bias.h"

#include "runtime/backends/cuda/kernels/activation.cuh"
#include "runtime/backends/cuda/kernels/column_sums.cuh"
#include "runtime/backends/cuda/kernels/numeric.cuh"

namespace strata::runtime::cuda::kernels {

namespace {

template <typename T>
__global__ void biasGeluKernel(const T *x, const T *b, int64_t cols, int64_t n,
                               bool tanh, T *y) {
  STRATA_GRID_STRIDE(i, n) {
    y[i] = store<T>(geluValue(load(x[i]) + load(b[i % cols]), tanh));
  }
}

template <typename T>
__global__ void biasGeluGradKernel(const T *x, const T *b, const T *dy,
                                   int64_t cols, int64_t n, bool tanh, T *dx) {
  STRATA_GRID_STRIDE(i, n) {
    dx[i] = store<T>(load(dy[i]) *
                     geluDerivative(load(x[i]) + load(b[i % cols]), tanh));
  }
}

} // namespace

template <typename T>
void biasGrad(const T *dy, int64_t rows, int64_t cols, T *db, float *partials,
              cudaStream_t stream) {
  columnSums(ValueTerm<T>{dy, cols}, rows, cols, partials, db, stream);
}

template <typename T>
void biasGelu(const T *x, const T *b, int64_t rows, int64_t cols, bool tanh,
              T *y, cudaStream_t stream) {
  const int64_t n = rows * cols;
  if (n <= 0)
    return;
  biasGeluKernel<<<gridFor(n), kThreads, 0, stream>>>(x, b, cols, n, tanh, y);
}

template <typename T>
void biasGeluGrad(const T *x, const T *b, const T *dy, int64_t rows,
                  int64_t cols, bool tanh, T *dx, T *db, float *partials,
                  cudaStream_t stream) {
  const int64_t n = rows * cols;
  if (n > 0)
    biasGeluGradKernel<<<gridFor(n), kThreads, 0, stream>>>(x, b, dy, cols, n,
                                                            tanh, dx);
  // db sums the rounded dx, as the CPU does.
  columnSums(ValueTerm<T>{dx, cols}, rows, cols, partials, db, stream);
}

#define STRATA_INSTANTIATE(T)                                                  \
  template void biasGrad<T>(const T *, int64_t, int64_t, T *, float *,         \
                            cudaStream_t);                                     \
  template void biasGelu<T>(const T *, const T *, int64_t, int64_t, bool, T *, \
                            cudaStream_t);                                     \
  template void biasGeluGrad<T>(const T *, const T *, const T *, int64_t,      \
                                int64_t, bool, T *, T *, float *,              \
                                cudaStream_t);
STRATA_INSTANTIATE(float)
STRATA_INSTANTIATE(__nv_bfloat16)
STRATA_INSTANTIATE(__half)
#undef STRATA_INSTANTIATE

} // namespace strata::runtime::cuda::kernels
