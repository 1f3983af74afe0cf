//===- bias.h - bias add and the fused bias epilogues -------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// x[N, H] is a matrix whose rows get the bias b[H] (N = the leading
// dimensions of tfm.bias_add, H = the bias's size). The fused kernels are
// the ones the compiler's fusion pass forms after a linear layer. Bias
// gradients (column sums) sum rows in increasing order: deterministic.
// T = float, double, bf16 or f16 (computed and summed in float, rounded
// once per element; a 16-bit bias gradient sums the rounded 16-bit dx).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_KERNELS_CPU_BIAS_H
#define STRATA_RUNTIME_KERNELS_CPU_BIAS_H

#include "runtime/kernels/cpu/activation.h"
#include "runtime/kernels/cpu/mask_indexing.h"

#include <cstdint>

namespace strata::runtime::cpu {

/// y[n,h] = x[n,h] + b[h] for x[N,H], b[H]. |y| may alias |x|.
template <typename T>
void biasAddForward(const T *x, const T *b, int64_t N, int64_t H, T *y);

/// db[h] = sum_n dy[n,h] (the input's gradient is dy itself). Overwrites.
template <typename T>
void biasAddBackward(const T *dy, int64_t N, int64_t H, T *db);

/// y[n,h] = gelu(x[n,h] + b[h]). |y| may alias |x|.
template <typename T>
void biasGeluForward(const T *x, const T *b, int64_t N, int64_t H,
                     GeluApproximation approx, T *y);

/// dx[n,h] = dy[n,h] * gelu'(x[n,h] + b[h]), db[h] = sum_n dx[n,h], from the
/// forward's input |x| (before the bias). Overwrites; |dx| may alias |dy|.
template <typename T>
void biasGeluBackward(const T *x, const T *b, const T *dy, int64_t N,
                      int64_t H, GeluApproximation approx, T *dx, T *db);

/// y[n,h] = residual[n,h] + dropout(x[n,h] + b[h]), the dropout mask of
/// element index indexing.global(n * H + h) of stream (|seed|, |offset|)
/// with probability |p| (dropout.h). |indexing| (mask_indexing.h) describes
/// x as a block of a split tensor in that tensor's own dimensions (x[N, H]
/// is a view of it: outer * rows * inner = N * H), the identity by default.
/// |b| may be null (no bias); |y| may alias |x| or |residual|.
template <typename T>
void biasDropoutResidualForward(const T *x, const T *b, const T *residual,
                                int64_t N, int64_t H, double p, uint64_t seed,
                                uint64_t offset, T *y,
                                const MaskIndexing &indexing = {});

/// dx[n,h] = dropout mask applied to dy[n,h] (the forward's mask, scaled by
/// 1/(1-p), with the forward's |indexing|), db[h] = sum_n dx[n,h]; the
/// residual's gradient is dy itself. Overwrites; |db| may be null; |dx| may
/// alias |dy|. With the rows split over ranks (N a block of the global
/// rows), db is the rank's partial sum, to be summed over the ranks.
template <typename T>
void biasDropoutResidualBackward(const T *dy, int64_t N, int64_t H, double p,
                                 uint64_t seed, uint64_t offset, T *dx, T *db,
                                 const MaskIndexing &indexing = {});

} // namespace strata::runtime::cpu

#endif // STRATA_RUNTIME_KERNELS_CPU_BIAS_H
