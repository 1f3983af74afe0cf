//===- tensor_core_tiles.cuh - shared tiles, wmma products ---*- CUDA -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The building blocks of the tensor-core attention kernels
// (flash_attention_*.cu): the threads of a CTA copy rows of 16-bit values
// from global memory into padded shared-memory tiles, 16 bytes at a time,
// and one warp multiplies 16-row slices of those tiles with nvcuda::wmma's
// 16x16x16 fragments (bf16 or f16 inputs, f32 accumulators). A fragment's
// register layout is unspecified, so whatever works per row of a product
// (a softmax, a rescaling, a conversion) goes through f32 shared memory:
// store_matrix_sync, work per element, load_matrix_sync.
//
// Alignment: wmma wants fragment pointers on 32 bytes and leading
// dimensions in multiples of 16 bytes. Every tile's rows are padded by 16
// bytes (16-bit rows: + 8 elements, f32 rows: + 4), which keeps both and
// moves consecutive rows of a column to different banks; fragments start
// at multiples of 16 rows and columns, hence on 32 bytes when the tile is.
// Global rows are read and written as 16-byte vectors: their base pointers
// and leading dimensions must be multiples of 16 bytes (the dispatch checks
// the pointers; the kernels take D = 64 or 128).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_TENSOR_CORE_TILES_CUH
#define STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_TENSOR_CORE_TILES_CUH

#include "runtime/backends/cuda/kernels/numeric.cuh"
#include "runtime/backends/cuda/kernels/reduce.cuh"

#include <mma.h>

namespace strata::runtime::cuda::kernels::tiles {

namespace wmma = nvcuda::wmma;

/// A wmma fragment's side: rows of a warp's slice, columns of a block.
constexpr int kFragment = 16;
/// 16-bit elements per 16-byte vector.
constexpr int kVector = 8;

/// Leading dimensions (in elements) of padded rows of |n| 16-bit values
/// and of |n| floats.
constexpr int paddedHalfRow(int n) { return n + 8; }
constexpr int paddedFloatRow(int n) { return n + 4; }

template <typename T>
using MatrixA = wmma::fragment<wmma::matrix_a, kFragment, kFragment, kFragment,
                               T, wmma::row_major>;
template <typename T>
using MatrixB = wmma::fragment<wmma::matrix_b, kFragment, kFragment, kFragment,
                               T, wmma::row_major>;
/// B^T of a row-major B: the same bytes read column-major.
template <typename T>
using MatrixBTransposed = wmma::fragment<wmma::matrix_b, kFragment, kFragment,
                                         kFragment, T, wmma::col_major>;
using AccumulatorFragment =
    wmma::fragment<wmma::accumulator, kFragment, kFragment, kFragment, float>;

/// The bits of a 16-bit value.
__device__ __forceinline__ uint32_t bits(__nv_bfloat16 v) {
  return __bfloat16_as_ushort(v);
}
__device__ __forceinline__ uint32_t bits(__half v) {
  return __half_as_ushort(v);
}

/// tile[r][0, C) = rows[r * ld + (0, C)] for r < n, and zeros for
/// n <= r < R (so that products over them add nothing, never a NaN), by
/// the |Threads| threads of the CTA. |tile|'s leading dimension is
/// paddedHalfRow(C).
template <int R, int C, int Threads, typename T>
__device__ __forceinline__ void loadRows(const T *rows, int64_t ld, int n,
                                         T *tile) {
  static_assert(C % kVector == 0, "rows of whole 16-byte vectors");
  constexpr int kVectors = C / kVector;
  constexpr int kLd = paddedHalfRow(C);
  for (int i = int(threadIdx.x); i < R * kVectors; i += Threads) {
    const int r = i / kVectors, c = (i % kVectors) * kVector;
    uint4 value = make_uint4(0u, 0u, 0u, 0u);
    if (r < n)
      value = __ldg(reinterpret_cast<const uint4 *>(rows + r * ld + c));
    *reinterpret_cast<uint4 *>(tile + r * kLd + c) = value;
  }
}

/// tile[i] = values[i] for i < n, 0 for n <= i < R (per-row f32 values: a
/// log-sum-exp, a Delta), by the |Threads| threads of the CTA.
template <int R, int Threads>
__device__ __forceinline__ void loadValues(const float *values, int n,
                                           float *tile) {
  for (int i = int(threadIdx.x); i < R; i += Threads)
    tile[i] = i < n ? values[i] : 0.0f;
}

/// out[16][N] = a[16][K] b[N][K]^T, by one warp: |a| a 16-row slice and
/// |b| N rows, both 16-bit row-major; |out| f32 in shared memory.
template <int K, int N, typename T>
__device__ __forceinline__ void multiplyTransposed(const T *a, int lda,
                                                   const T *b, int ldb,
                                                   float *out, int ldOut) {
#pragma unroll 1
  for (int n0 = 0; n0 < N; n0 += kFragment) {
    AccumulatorFragment acc;
    wmma::fill_fragment(acc, 0.0f);
#pragma unroll
    for (int k0 = 0; k0 < K; k0 += kFragment) {
      MatrixA<T> fa;
      MatrixBTransposed<T> fb;
      wmma::load_matrix_sync(fa, a + k0, lda);
      wmma::load_matrix_sync(fb, b + n0 * ldb + k0, ldb);
      wmma::mma_sync(acc, fa, fb, acc);
    }
    wmma::store_matrix_sync(out + n0, acc, ldOut, wmma::mem_row_major);
  }
}

/// acc[j] += (a[16][K] b[K][N]) columns [16 j, 16 j + 16), by one warp:
/// |a| a 16-row slice, |b| K rows, both 16-bit row-major; the 16 x N
/// result stays in registers (N / 16 fragments).
template <int K, int N, typename T>
__device__ __forceinline__ void
multiplyAccumulate(const T *a, int lda, const T *b, int ldb,
                   AccumulatorFragment (&acc)[N / kFragment]) {
  MatrixA<T> fa[K / kFragment];
#pragma unroll
  for (int k = 0; k < K / kFragment; ++k)
    wmma::load_matrix_sync(fa[k], a + k * kFragment, lda);
#pragma unroll
  for (int j = 0; j < N / kFragment; ++j) {
#pragma unroll
    for (int k = 0; k < K / kFragment; ++k) {
      MatrixB<T> fb;
      wmma::load_matrix_sync(fb, b + k * kFragment * ldb + j * kFragment, ldb);
      wmma::mma_sync(acc[j], fa[k], fb, acc[j]);
    }
  }
}

/// out[16][N] += a[16][K] b[K][N], by one warp, |out| f32 in shared memory
/// (for accumulators the caller rescales per row between products).
template <int K, int N, typename T>
__device__ __forceinline__ void
multiplyAccumulateShared(const T *a, int lda, const T *b, int ldb, float *out,
                         int ldOut) {
  MatrixA<T> fa[K / kFragment];
#pragma unroll
  for (int k = 0; k < K / kFragment; ++k)
    wmma::load_matrix_sync(fa[k], a + k * kFragment, lda);
  for (int n0 = 0; n0 < N; n0 += kFragment) {
    AccumulatorFragment acc;
    wmma::load_matrix_sync(acc, out + n0, ldOut, wmma::mem_row_major);
#pragma unroll
    for (int k = 0; k < K / kFragment; ++k) {
      MatrixB<T> fb;
      wmma::load_matrix_sync(fb, b + k * kFragment * ldb + n0, ldb);
      wmma::mma_sync(acc, fa[k], fb, acc);
    }
    wmma::store_matrix_sync(out + n0, acc, ldOut, wmma::mem_row_major);
  }
}

/// The fragments of a 16 x N register accumulator into f32 shared memory.
template <int N>
__device__ __forceinline__ void
storeAccumulators(const AccumulatorFragment (&acc)[N / kFragment], float *out,
                  int ldOut) {
#pragma unroll
  for (int j = 0; j < N / kFragment; ++j)
    wmma::store_matrix_sync(out + j * kFragment, acc[j], ldOut,
                            wmma::mem_row_major);
}

/// rows[r * ld + (0, C)] = T(tile[r][0, C) * rowScale(r)) for r < n, by one
/// warp from 16 rows of f32 |tile| (leading dimension ldTile), one 16-byte
/// store per lane and step. Every lane calls rowScale(r) for every r it
/// visits, the same number of times (it may shuffle).
template <int C, typename T, typename RowScale>
__device__ __forceinline__ void storeRows(const float *tile, int ldTile, int n,
                                          RowScale rowScale, T *rows,
                                          int64_t ld) {
  constexpr int kVectors = C / kVector;
  static_assert(kFragment * kVectors % kWarpSize == 0,
                "every lane takes the same number of steps");
  const int lane = int(threadIdx.x) % kWarpSize;
  for (int i = lane; i < kFragment * kVectors; i += kWarpSize) {
    const int r = i / kVectors, c = (i % kVectors) * kVector;
    const float scale = rowScale(r);
    if (r < n) {
      const float *from = tile + r * ldTile + c;
      uint32_t word[kVector / 2];
#pragma unroll
      for (int e = 0; e < kVector / 2; ++e)
        word[e] = bits(store<T>(from[2 * e] * scale)) |
                  bits(store<T>(from[2 * e + 1] * scale)) << 16;
      *reinterpret_cast<uint4 *>(rows + r * ld + c) =
          make_uint4(word[0], word[1], word[2], word[3]);
    }
  }
}

} // namespace strata::runtime::cuda::kernels::tiles

#endif // STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_TENSOR_CORE_TILES_CUH
