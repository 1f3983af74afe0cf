//===- rotary.cu - rotary position embedding on the GPU -------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// runtime/kernels/cpu/rotary_embedding.cc's rotate(). One thread per
// (token, column j) of width half + passed: for j < half = rotaryDim / 2
// it computes frequency j's cos and sin once, in f64 as the CPU does, and
// rotates the pair (j, j + half) of every head of the token; for j >= half
// it copies column rotaryDim + (j - half) of every head (unless in place).
// Each element is read and written by one thread, so |y| may alias |x|.
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/kernels/rotary.h"

#include "runtime/backends/cuda/kernels/numeric.cuh"

namespace strata::runtime::cuda::kernels {

namespace {

template <typename T>
__global__ void rotaryKernel(const T *x, const int32_t *positions,
                             int64_t heads, int64_t headDim, int64_t rotaryDim,
                             double base, double sign, bool copyRest,
                             int64_t width, int64_t n, T *y) {
  const int64_t half = rotaryDim / 2;
  STRATA_GRID_STRIDE(e, n) {
    const int64_t token = e / width, j = e % width;
    const T *xs = x + token * heads * headDim;
    T *ys = y + token * heads * headDim;
    if (j < half) {
      // The CPU's expressions, in double.
      const double invFreq = pow(base, -double(2 * j) / double(rotaryDim));
      const double theta = double(positions[token]) * invFreq;
      const float c = float(cos(theta));
      const float s = float(sign * sin(theta));
      for (int64_t h = 0; h < heads; ++h) {
        const int64_t i1 = h * headDim + j, i2 = i1 + half;
        const float a = load(xs[i1]), b = load(xs[i2]);
        ys[i1] = store<T>(a * c - b * s);
        ys[i2] = store<T>(b * c + a * s);
      }
    } else if (copyRest) {
      const int64_t k = rotaryDim + (j - half);
      for (int64_t h = 0; h < heads; ++h)
        ys[h * headDim + k] = xs[h * headDim + k];
    }
  }
}

} // namespace

template <typename T>
void rotaryEmbedding(const T *x, const int32_t *positions, int64_t batch,
                     int64_t seq, int64_t heads, int64_t headDim,
                     int64_t rotaryDim, double base, bool inverse, T *y,
                     cudaStream_t stream) {
  const int64_t width = rotaryDim / 2 + (headDim - rotaryDim);
  const int64_t n = batch * seq * width;
  if (n <= 0 || heads <= 0)
    return;
  rotaryKernel<<<gridFor(n), kThreads, 0, stream>>>(
      x, positions, heads, headDim, rotaryDim, base, inverse ? -1.0 : 1.0,
      x != y, width, n, y);
}

#define STRATA_INSTANTIATE(T)                                                  \
  template void rotaryEmbedding<T>(const T *, const int32_t *, int64_t,        \
                                   int64_t, int64_t, int64_t, int64_t, double, \
                                   bool, T *, cudaStream_t);
STRATA_INSTANTIATE(float)
STRATA_INSTANTIATE(__nv_bfloat16)
STRATA_INSTANTIATE(__half)
#undef STRATA_INSTANTIATE

} // namespace strata::runtime::cuda::kernels
