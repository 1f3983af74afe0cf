//===- int8_weights.h - int8 weight-only kernels on the GPU -----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Launchers of runtime/kernels/cpu/int8_weights.h's kernels, T = float,
// __nv_bfloat16 or __half: y = x (scales * q)^T with q int8 [N, K] and f32
// scales per output row, and the lookup of int8 embedding rows. Products
// are computed in f32 and rounded once to T.
//
// The matmul is a matrix-vector kernel: one warp per output row streams
// q[n, :] once (16 int8 per lane and load when rows are 16-byte aligned)
// for up to kRowsPerPass rows of x, and sums its lanes by shuffles in a
// fixed order, so results are deterministic. Decode (one row of x per
// sequence) is memory bound, and this reads a quarter of an f32 weight's
// bytes. TODO(perf): prefill (many rows of x) re-reads q once per
// kRowsPerPass rows; a tensor-core path dequantizing tiles to bf16 would
// make it compute bound instead.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_INT8_WEIGHTS_H
#define STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_INT8_WEIGHTS_H

#include <cuda_runtime_api.h>

#include <cstdint>

namespace strata::runtime::cuda::kernels {

/// Rows of x one pass over q serves.
constexpr int64_t kRowsPerPass = 8;

/// y[M, N] = x[M, K] * (scales[N] * q[N, K])^T.
template <typename T>
void quantizedMatmul(int64_t M, int64_t N, int64_t K, const T *x,
                     const int8_t *q, const float *scales, T *y,
                     cudaStream_t stream);

/// out[i, :] = scales[r] * table[r, :] with r = ids[i] - rowOffset for ids
/// in the table's |vocab| rows; NaN (|nanFill|) or zeros otherwise (as
/// kernels/embedding.h).
template <typename T>
void quantizedEmbedding(const int8_t *table, const float *scales,
                        const int32_t *ids, int64_t count, int64_t rowOffset,
                        int64_t vocab, int64_t hidden, bool nanFill, T *out,
                        cudaStream_t stream);

} // namespace strata::runtime::cuda::kernels

#endif // STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_INT8_WEIGHTS_H
