//===- int8_weights.cc - kernels that read int8 weights -------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/int8_weights.h"

#include "runtime/kernels/cpu/gemm.h"
#include "runtime/kernels/cpu/kernel_util.h"

#include <algorithm>
#include <type_traits>
#include <vector>

namespace strata::runtime::cpu {

namespace {

/// Lanes of partial sums per row: two AVX-512 registers of f32.
constexpr int64_t kLanes = 32;
/// Output rows per task of the matrix-vector path, and per dequantized
/// tile of the tiled path.
constexpr int64_t kGemvBlock = 64;
constexpr int64_t kTileRows = 64;

template <typename C>
STRATA_ALWAYS_INLINE C sumLanes(const C *acc) {
  // A fixed pairwise tree, the same on every ISA.
  C t[kLanes];
  for (int64_t j = 0; j < kLanes; ++j)
    t[j] = acc[j];
  for (int64_t width = kLanes / 2; width >= 1; width /= 2)
    for (int64_t j = 0; j < width; ++j)
      t[j] += t[j + width];
  return t[0];
}

/// y[m, n] for m < M, n in [n0, n1): row n of q is read from memory once
/// and stays in L1 for the other rows of x.
template <typename C>
STRATA_ALWAYS_INLINE void gemvRowsImpl(int64_t M, int64_t n0, int64_t n1,
                                       int64_t K, const C *x, const int8_t *q,
                                       const float *scales, C *y, int64_t ldy) {
  const int64_t body = K - K % kLanes;
  for (int64_t n = n0; n < n1; ++n) {
    const int8_t *row = q + n * K;
    for (int64_t m = 0; m < M; ++m) {
      const C *xr = x + m * K;
      C acc[kLanes] = {};
      for (int64_t k = 0; k < body; k += kLanes)
        for (int64_t j = 0; j < kLanes; ++j)
          acc[j] += xr[k + j] * C(row[k + j]);
      C tail = 0;
      for (int64_t k = body; k < K; ++k)
        tail += xr[k] * C(row[k]);
      y[m * ldy + n] = C(scales[n]) * (sumLanes(acc) + tail);
    }
  }
}

#define STRATA_GEMV(C, MV)                                                     \
  MV void gemvRows(int64_t M, int64_t n0, int64_t n1, int64_t K, const C *x,   \
                   const int8_t *q, const float *scales, C *y, int64_t ldy) {  \
    gemvRowsImpl<C>(M, n0, n1, K, x, q, scales, y, ldy);                       \
  }
STRATA_GEMV(float, STRATA_MULTIVERSIONED)
STRATA_GEMV(double, )
#undef STRATA_GEMV

#define STRATA_DEQUANTIZE(C, MV)                                               \
  MV void dequantizeRows(const int8_t *q, const float *scales, int64_t rows,   \
                         int64_t K, C *w) {                                    \
    for (int64_t r = 0; r < rows; ++r) {                                       \
      const C s = C(scales[r]);                                                \
      for (int64_t k = 0; k < K; ++k)                                          \
        w[r * K + k] = s * C(q[r * K + k]);                                    \
    }                                                                          \
  }
STRATA_DEQUANTIZE(float, STRATA_MULTIVERSIONED)
STRATA_DEQUANTIZE(double, )
#undef STRATA_DEQUANTIZE

/// x in the compute type C: itself, or the 16-bit values widened.
template <typename T, typename C>
const C *widened(const T *x, int64_t n, std::vector<C> &storage) {
  if constexpr (std::is_same_v<T, C>) {
    return x;
  } else {
    storage.resize(size_t(n));
    for (int64_t i = 0; i < n; ++i)
      storage[size_t(i)] = C(x[i]);
    return storage.data();
  }
}

} // namespace

template <typename T>
void quantizedMatmul(int64_t M, int64_t N, int64_t K, const T *x,
                     const int8_t *q, const float *scales, T *y) {
  using C = AccumulatorOf<T>;
  std::vector<C> xStorage;
  const C *xc = widened<T, C>(x, M * K, xStorage);
  if (M <= kGemvRows) {
    const int64_t blocks = (N + kGemvBlock - 1) / kGemvBlock;
#pragma omp parallel for schedule(static) if (blocks > 1)
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t n0 = b * kGemvBlock, n1 = std::min(N, n0 + kGemvBlock);
      if constexpr (std::is_same_v<T, C>) {
        gemvRows(M, n0, n1, K, xc, q, scales, y, N);
      } else {
        C tile[kGemvRows * kGemvBlock];
        gemvRows(M, 0, n1 - n0, K, xc, q + n0 * K, scales + n0, tile,
                 kGemvBlock);
        for (int64_t m = 0; m < M; ++m)
          for (int64_t n = n0; n < n1; ++n)
            y[m * N + n] = T(tile[m * kGemvBlock + (n - n0)]);
      }
    }
    return;
  }
  const int64_t tiles = (N + kTileRows - 1) / kTileRows;
#pragma omp parallel
  {
    std::vector<C> w(size_t(kTileRows * K));
    std::vector<C> out;
    if constexpr (!std::is_same_v<T, C>)
      out.resize(size_t(M * kTileRows));
#pragma omp for schedule(static)
    for (int64_t t = 0; t < tiles; ++t) {
      const int64_t n0 = t * kTileRows, rows = std::min(N - n0, kTileRows);
      dequantizeRows(q + n0 * K, scales + n0, rows, K, w.data());
      if constexpr (std::is_same_v<T, C>) {
        gemmSerial<C>(Transpose::kNo, Transpose::kYes, M, rows, K, C(1), xc, K,
                      w.data(), K, C(0), y + n0, N);
      } else {
        gemmSerial<C>(Transpose::kNo, Transpose::kYes, M, rows, K, C(1), xc, K,
                      w.data(), K, C(0), out.data(), rows);
        for (int64_t m = 0; m < M; ++m)
          for (int64_t n = 0; n < rows; ++n)
            y[m * N + n0 + n] = T(out[size_t(m * rows + n)]);
      }
    }
  }
}

template <typename T>
void quantizedEmbedding(const int8_t *table, const float *scales,
                        const int32_t *ids, int64_t count, int64_t vocabOffset,
                        int64_t vocab, int64_t hidden, T *out) {
  using C = AccumulatorOf<T>;
#pragma omp parallel for schedule(static) if (detail::worthParallel(count * hidden))
  for (int64_t i = 0; i < count; ++i) {
    const int64_t r = int64_t(ids[i]) - vocabOffset;
    T *dst = out + i * hidden;
    if (r < 0 || r >= vocab) {
      std::fill(dst, dst + hidden, T(C(0)));
      continue;
    }
    const int8_t *src = table + r * hidden;
    const C s = C(scales[r]);
    for (int64_t h = 0; h < hidden; ++h)
      dst[h] = T(s * C(src[h]));
  }
}

#define STRATA_INSTANTIATE(T)                                                  \
  template void quantizedMatmul<T>(int64_t, int64_t, int64_t, const T *,       \
                                   const int8_t *, const float *, T *);        \
  template void quantizedEmbedding<T>(const int8_t *, const float *,           \
                                      const int32_t *, int64_t, int64_t,       \
                                      int64_t, int64_t, T *);
STRATA_INSTANTIATE(float)
STRATA_INSTANTIATE(double)
STRATA_INSTANTIATE(bf16)
STRATA_INSTANTIATE(f16)
#undef STRATA_INSTANTIATE

} // namespace strata::runtime::cpu
