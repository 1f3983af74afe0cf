//===- int8_weights.h - kernels that read int8 weights ----------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Int8 weight-only quantization (docs/quantization.md): a weight is stored as
// q[N, K] int8 with one f32 scale per output row, w[n, k] = scales[n] *
// q[n, k], and dequantized on the fly; nothing of the size of w is ever
// written. Products accumulate in f32 (f64 for double, the conformance
// suite's reference) and are rounded once to T.
//
// Two paths, by the rows of x (the decode step has one per sequence):
//   * M <= kGemvRows: each output row n streams q[n, :] once, converting
//     int8 lanes to f32 and multiplying with every row of x (memory bound:
//     a quarter of an f32 weight's bytes). Lanes of fixed width hold the
//     partial sums, summed in a fixed order at the end, so the compiler
//     vectorizes it (AVX-512 / AVX2 clones, STRATA_MULTIVERSIONED) without
//     reordering a sum.
//   * otherwise (prefill): per block of kTileRows output rows, the block of
//     w is dequantized into a thread's f32 tile and multiplied by gemmSerial.
// Both are parallel over output rows, each y[m, n] computed by one thread
// in an order that depends on the sizes only (bitwise independent of the
// thread count).
//
// Usage:
//   // y[tokens, out] = x[tokens, in] * (scales[out] * q[out, in])^T
//   quantizedMatmul<float>(tokens, out, in, x, q, scales, y);
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_KERNELS_CPU_INT8_WEIGHTS_H
#define STRATA_RUNTIME_KERNELS_CPU_INT8_WEIGHTS_H

#include "runtime/kernels/cpu/element_type.h"

#include <cstdint>

namespace strata::runtime::cpu {

/// Rows of x up to which the matrix-vector path runs.
constexpr int64_t kGemvRows = 8;

/// y[M, N] = x[M, K] * (scales[N] * q[N, K])^T, all row-major and dense.
/// T = float, double, bf16 or f16. Multi-threaded; call outside a parallel
/// region.
template <typename T>
void quantizedMatmul(int64_t M, int64_t N, int64_t K, const T *x,
                     const int8_t *q, const float *scales, T *y);

/// out[i, :] = scales[r] * table[r, :] for r = ids[i] - |vocabOffset|,
/// |count| ids into a table block of |vocab| rows of |hidden| (the whole
/// table: vocabOffset 0); an id outside [vocabOffset, vocabOffset + vocab)
/// gives a zero row (the rank's part of a vocabulary-parallel lookup). Ids
/// are checked by the caller (validateIds).
template <typename T>
void quantizedEmbedding(const int8_t *table, const float *scales,
                        const int32_t *ids, int64_t count, int64_t vocabOffset,
                        int64_t vocab, int64_t hidden, T *out);

} // namespace strata::runtime::cpu

#endif // STRATA_RUNTIME_KERNELS_CPU_INT8_WEIGHTS_H
