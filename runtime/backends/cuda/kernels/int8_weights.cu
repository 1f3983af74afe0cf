//===- int8_weights.cu - int8 weight-only kernels on the GPU --------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/kernels/int8_weights.h"

#include "runtime/backends/cuda/kernels/numeric.cuh"

namespace strata::runtime::cuda::kernels {

namespace {

constexpr int kWarp = 32;
constexpr int kWarpsPerBlock = 4;

/// Warp w of block b computes y[m0 + m, n] for n = b * kWarpsPerBlock + w
/// and m < min(kRowsPerPass, M - m0), m0 = blockIdx.y * kRowsPerPass.
/// kVector: every row of q starts 16-byte aligned and K % 16 == 0.
template <typename T, bool kVector>
__global__ void __launch_bounds__(kWarp *kWarpsPerBlock)
    quantizedGemvKernel(int64_t M, int64_t N, int64_t K, const T *x,
                        const int8_t *q, const float *scales, T *y) {
  const int lane = threadIdx.x % kWarp;
  const int64_t n = int64_t(blockIdx.x) * kWarpsPerBlock + threadIdx.x / kWarp;
  const int64_t m0 = int64_t(blockIdx.y) * kRowsPerPass;
  if (n >= N)
    return;
  const int rows = int(M - m0 < kRowsPerPass ? M - m0 : kRowsPerPass);
  const int8_t *row = q + n * K;
  const T *xs = x + m0 * K;
  float acc[kRowsPerPass] = {};
  if constexpr (kVector) {
    for (int64_t k = int64_t(lane) * 16; k < K; k += kWarp * 16) {
      const int4 packed = *reinterpret_cast<const int4 *>(row + k);
      const int8_t *v = reinterpret_cast<const int8_t *>(&packed);
      float w[16];
#pragma unroll
      for (int j = 0; j < 16; ++j)
        w[j] = float(v[j]);
#pragma unroll
      for (int m = 0; m < kRowsPerPass; ++m)
        if (m < rows)
#pragma unroll
          for (int j = 0; j < 16; ++j)
            acc[m] = fmaf(load(xs[m * K + k + j]), w[j], acc[m]);
    }
  } else {
    for (int64_t k = lane; k < K; k += kWarp) {
      const float w = float(row[k]);
#pragma unroll
      for (int m = 0; m < kRowsPerPass; ++m)
        if (m < rows)
          acc[m] = fmaf(load(xs[m * K + k]), w, acc[m]);
    }
  }
  const float scale = scales[n];
#pragma unroll
  for (int m = 0; m < kRowsPerPass; ++m) {
    float s = acc[m];
    // A butterfly in a fixed order: every lane ends with the same sum.
#pragma unroll
    for (int offset = kWarp / 2; offset > 0; offset /= 2)
      s += __shfl_xor_sync(0xffffffffu, s, offset);
    if (lane == 0 && m < rows)
      y[(m0 + m) * N + n] = store<T>(scale * s);
  }
}

template <typename T>
__global__ void quantizedEmbeddingKernel(const int8_t *table,
                                         const float *scales,
                                         const int32_t *ids, int64_t rowOffset,
                                         int64_t vocab, int64_t hidden,
                                         int64_t n, bool nanFill, T *out) {
  const float fill = nanFill ? __int_as_float(0x7fc00000) : 0.0f;
  STRATA_GRID_STRIDE(e, n) {
    const int64_t i = e / hidden, h = e % hidden;
    const int64_t r = int64_t(ids[i]) - rowOffset;
    out[e] = store<T>(r >= 0 && r < vocab ? scales[r] * float(table[r * hidden + h])
                                          : fill);
  }
}

} // namespace

template <typename T>
void quantizedMatmul(int64_t M, int64_t N, int64_t K, const T *x,
                     const int8_t *q, const float *scales, T *y,
                     cudaStream_t stream) {
  if (M == 0 || N == 0)
    return;
  const dim3 grid(unsigned((N + kWarpsPerBlock - 1) / kWarpsPerBlock),
                  unsigned((M + kRowsPerPass - 1) / kRowsPerPass));
  const dim3 block(kWarp * kWarpsPerBlock);
  const bool vector = K % 16 == 0 && reinterpret_cast<uintptr_t>(q) % 16 == 0;
  if (vector)
    quantizedGemvKernel<T, true>
        <<<grid, block, 0, stream>>>(M, N, K, x, q, scales, y);
  else
    quantizedGemvKernel<T, false>
        <<<grid, block, 0, stream>>>(M, N, K, x, q, scales, y);
}

template <typename T>
void quantizedEmbedding(const int8_t *table, const float *scales,
                        const int32_t *ids, int64_t count, int64_t rowOffset,
                        int64_t vocab, int64_t hidden, bool nanFill, T *out,
                        cudaStream_t stream) {
  const int64_t n = count * hidden;
  if (n == 0)
    return;
  quantizedEmbeddingKernel<T><<<gridFor(n), kThreads, 0, stream>>>(
      table, scales, ids, rowOffset, vocab, hidden, n, nanFill, out);
}

#define STRATA_INSTANTIATE(T)                                                  \
  template void quantizedMatmul<T>(int64_t, int64_t, int64_t, const T *,       \
                                   const int8_t *, const float *, T *,         \
                                   cudaStream_t);                              \
  template void quantizedEmbedding<T>(const int8_t *, const float *,           \
                                      const int32_t *, int64_t, int64_t,       \
                                      int64_t, int64_t, bool, T *,             \
                                      cudaStream_t);
STRATA_INSTANTIATE(float)
STRATA_INSTANTIATE(__nv_bfloat16)
STRATA_INSTANTIATE(__half)
#undef STRATA_INSTANTIATE

} // namespace strata::runtime::cuda::kernels
