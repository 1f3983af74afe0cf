//===- norms.cu - LayerNorm and RMSNorm on the GPU ------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The CPU's formulas (runtime/kernels/cpu/layer_norm.cc, rms_norm.cc) with
// its parenthesization, in f32. A block of kThreads threads owns one row:
// thread t visits columns t, t + kThreads, ... and the block sums its
// threads' partial sums with blockSum. x is read again for each pass
// rather than kept in registers: simple, and no spills whatever the width.
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/kernels/norms.h"

#include "runtime/backends/cuda/kernels/column_sums.cuh"
#include "runtime/backends/cuda/kernels/numeric.cuh"
#include "runtime/backends/cuda/kernels/reduce.cuh"

namespace strata::runtime::cuda::kernels {

namespace {

/// Columns h < |cols| of this thread in the row.
#define STRATA_ROW_COLUMNS(h, cols)                                            \
  for (int64_t h = threadIdx.x; h < (cols); h += blockDim.x)

/// mean and rstd of row |xr| as layerNormStatistics computes them: the mean
/// first, then the mean squared deviation from it (two passes).
template <typename T>
__device__ __forceinline__ void
layerNormStatistics(const T *xr, int64_t cols, float epsilon, float *shared,
                    float &mean, float &rstd) {
  float sum = 0.0f;
  STRATA_ROW_COLUMNS(h, cols) { sum += load(xr[h]); }
  mean = blockSum(sum, shared) / float(cols);
  float squares = 0.0f;
  STRATA_ROW_COLUMNS(h, cols) {
    const float d = load(xr[h]) - mean;
    squares += d * d;
  }
  rstd = 1.0f / sqrtf(blockSum(squares, shared) / float(cols) + epsilon);
}

/// rstd of row |xr| as rmsNormStatistics computes it.
template <typename T>
__device__ __forceinline__ float rmsNormRstd(const T *xr, int64_t cols,
                                             float epsilon, float *shared) {
  float squares = 0.0f;
  STRATA_ROW_COLUMNS(h, cols) {
    const float v = load(xr[h]);
    squares += v * v;
  }
  return 1.0f / sqrtf(blockSum(squares, shared) / float(cols) + epsilon);
}

// |y| may alias |x| (no __restrict__): each element is read and written by
// the same thread, after the statistics (every read for them precedes the
// block sums' barriers).
template <typename T>
__global__ void __launch_bounds__(kThreads)
    layerNormKernel(const T *x, const T *gamma, const T *beta, int64_t cols,
                    float epsilon, float gammaOffset, T *y) {
  __shared__ float shared[kMaxWarps];
  const T *xr = x + int64_t(blockIdx.x) * cols;
  T *yr = y + int64_t(blockIdx.x) * cols;
  float mean, rstd;
  layerNormStatistics(xr, cols, epsilon, shared, mean, rstd);
  STRATA_ROW_COLUMNS(h, cols) {
    const float v =
        (load(xr[h]) - mean) * rstd * (gammaOffset + load(gamma[h]));
    yr[h] = store<T>(beta ? v + load(beta[h]) : v);
  }
}

/// dx of one row: with g = dy * (gammaOffset + gamma) and
/// xhat = (x - mean) * rstd,
/// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)); the row's statistics
/// go to |means| and |rstds| for the column sums.
template <typename T>
__global__ void __launch_bounds__(kThreads)
    layerNormGradRowsKernel(const T *dy, const T *x, const T *gamma,
                            int64_t cols, float epsilon, float gammaOffset,
                            T *dx, float *means, float *rstds) {
  __shared__ float shared[kMaxWarps];
  const int64_t row = blockIdx.x;
  const T *xr = x + row * cols, *dyr = dy + row * cols;
  T *dxr = dx + row * cols;
  float mean, rstd;
  layerNormStatistics(xr, cols, epsilon, shared, mean, rstd);
  if (threadIdx.x == 0) {
    means[row] = mean;
    rstds[row] = rstd;
  }
  float sumG = 0.0f, sumGX = 0.0f;
  STRATA_ROW_COLUMNS(h, cols) {
    const float g = load(dyr[h]) * (gammaOffset + load(gamma[h]));
    sumG += g;
    sumGX += g * ((load(xr[h]) - mean) * rstd);
  }
  const float a = blockSum(sumG, shared) / float(cols);
  const float b = blockSum(sumGX, shared) / float(cols);
  STRATA_ROW_COLUMNS(h, cols) {
    const float g = load(dyr[h]) * (gammaOffset + load(gamma[h]));
    dxr[h] = store<T>(rstd * (g - a - ((load(xr[h]) - mean) * rstd) * b));
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    rmsNormKernel(const T *x, const T *gamma, int64_t cols, float epsilon,
                  T *y) {
  __shared__ float shared[kMaxWarps];
  const T *xr = x + int64_t(blockIdx.x) * cols;
  T *yr = y + int64_t(blockIdx.x) * cols;
  const float rstd = rmsNormRstd(xr, cols, epsilon, shared);
  STRATA_ROW_COLUMNS(h, cols) {
    yr[h] = store<T>(load(xr[h]) * rstd * load(gamma[h]));
  }
}

/// dx of one row: with g = dy * gamma and xhat = x * rstd,
/// dx = rstd * (g - xhat * mean(g * xhat)); rstd goes to |rstds|.
template <typename T>
__global__ void __launch_bounds__(kThreads)
    rmsNormGradRowsKernel(const T *dy, const T *x, const T *gamma, int64_t cols,
                          float epsilon, T *dx, float *rstds) {
  __shared__ float shared[kMaxWarps];
  const int64_t row = blockIdx.x;
  const T *xr = x + row * cols, *dyr = dy + row * cols;
  T *dxr = dx + row * cols;
  const float rstd = rmsNormRstd(xr, cols, epsilon, shared);
  if (threadIdx.x == 0)
    rstds[row] = rstd;
  float sumGX = 0.0f;
  STRATA_ROW_COLUMNS(h, cols) {
    sumGX += (load(dyr[h]) * load(gamma[h])) * (load(xr[h]) * rstd);
  }
  const float b = blockSum(sumGX, shared) / float(cols);
  STRATA_ROW_COLUMNS(h, cols) {
    const float g = load(dyr[h]) * load(gamma[h]);
    dxr[h] = store<T>(rstd * (g - (load(xr[h]) * rstd) * b));
  }
}

#undef STRATA_ROW_COLUMNS

/// dgamma's term of LayerNorm: dy * xhat.
template <typename T> struct LayerNormScaleTerm {
  const T *dy, *x;
  const float *mean, *rstd;
  int64_t cols;
  __device__ float operator()(int64_t n, int64_t h) const {
    const int64_t i = n * cols + h;
    return load(dy[i]) * ((load(x[i]) - mean[n]) * rstd[n]);
  }
};

/// dgamma's term of RMSNorm: dy * xhat.
template <typename T> struct RmsNormScaleTerm {
  const T *dy, *x;
  const float *rstd;
  int64_t cols;
  __device__ float operator()(int64_t n, int64_t h) const {
    const int64_t i = n * cols + h;
    return load(dy[i]) * (load(x[i]) * rstd[n]);
  }
};

} // namespace

template <typename T>
void layerNorm(const T *x, const T *gamma, const T *beta, int64_t rows,
               int64_t cols, float epsilon, float gammaOffset, T *y,
               cudaStream_t stream) {
  if (rows <= 0 || cols <= 0)
    return;
  layerNormKernel<<<unsigned(rows), kThreads, 0, stream>>>(
      x, gamma, beta, cols, epsilon, gammaOffset, y);
}

template <typename T>
void layerNormGrad(const T *dy, const T *x, const T *gamma, int64_t rows,
                   int64_t cols, float epsilon, float gammaOffset, T *dx,
                   T *dgamma, T *dbeta, float *mean, float *rstd,
                   float *partials, cudaStream_t stream) {
  if (cols <= 0)
    return;
  if (rows > 0)
    layerNormGradRowsKernel<<<unsigned(rows), kThreads, 0, stream>>>(
        dy, x, gamma, cols, epsilon, gammaOffset, dx, mean, rstd);
  // dgamma, then dbeta: the second reuses the partials after the first
  // (stream order).
  columnSums(LayerNormScaleTerm<T>{dy, x, mean, rstd, cols}, rows, cols,
             partials, dgamma, stream);
  if (dbeta)
    columnSums(ValueTerm<T>{dy, cols}, rows, cols, partials, dbeta, stream);
}

template <typename T>
void rmsNorm(const T *x, const T *gamma, int64_t rows, int64_t cols,
             float epsilon, T *y, cudaStream_t stream) {
  if (rows <= 0 || cols <= 0)
    return;
  rmsNormKernel<<<unsigned(rows), kThreads, 0, stream>>>(x, gamma, cols,
                                                         epsilon, y);
}

template <typename T>
void rmsNormGrad(const T *dy, const T *x, const T *gamma, int64_t rows,
                 int64_t cols, float epsilon, T *dx, T *dgamma, float *rstd,
                 float *partials, cudaStream_t stream) {
  if (cols <= 0)
    return;
  if (rows > 0)
    rmsNormGradRowsKernel<<<unsigned(rows), kThreads, 0, stream>>>(
        dy, x, gamma, cols, epsilon, dx, rstd);
  columnSums(RmsNormScaleTerm<T>{dy, x, rstd, cols}, rows, cols, partials,
             dgamma, stream);
}

#define STRATA_INSTANTIATE(T)                                                  \
  template void layerNorm<T>(const T *, const T *, const T *, int64_t,         \
                             int64_t, float, float, T *, cudaStream_t);        \
  template void layerNormGrad<T>(const T *, const T *, const T *, int64_t,     \
                                 int64_t, float, float, T *, T *, T *,         \
                                 float *, float *, float *, cudaStream_t);     \
  template void rmsNorm<T>(const T *, const T *, int64_t, int64_t, float, T *, \
                           cudaStream_t);                                      \
  template void rmsNormGrad<T>(const T *, const T *, const T *, int64_t,       \
                               int64_t, float, T *, T *, float *, float *,     \
                               cudaStream_t);
STRATA_INSTANTIATE(float)
STRATA_INSTANTIATE(__nv_bfloat16)
STRATA_INSTANTIATE(__half)
#undef STRATA_INSTANTIATE

} // namespace strata::runtime::cuda::kernels
