//===- rms_norm.h - root-mean-square normalization ---------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// tfm.rms_norm over the last dimension of x[N, H] (Llama's RMSNorm).
// T = float, double, bf16 or f16; bf16 and f16 are computed in float, and
// the statistic rstd is AccumulatorOf<T> (float for them).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_KERNELS_CPU_RMS_NORM_H
#define STRATA_RUNTIME_KERNELS_CPU_RMS_NORM_H

#include "runtime/kernels/cpu/element_type.h"

#include <cstdint>

namespace strata::runtime::cpu {

/// For each row n < |N| of x[N,H]:
///   rstd[n] = 1 / sqrt(sum_h x[n,h]^2 / H + epsilon),
///   y[n,h]  = x[n,h] * rstd[n] * gamma[h].
/// |gamma| is [H]; |rstd| ([N]) may be null when no backward follows. |y| may
/// alias |x|.
template <typename T>
void rmsNormForward(const T *x, const T *gamma, int64_t N, int64_t H,
                    double epsilon, T *y, AccumulatorOf<T> *rstd);

/// The gradient of rmsNormForward given dy[N,H], x, gamma and the forward's
/// rstd[N]; with xhat = x * rstd and g = dy * gamma:
///   dx[n,h]   = rstd[n] * (g[n,h] - xhat[n,h] * sum_h' g[n,h'] xhat[n,h'] / H),
///   dgamma[h] = sum_n dy[n,h] * xhat[n,h]  (n in increasing order).
/// Outputs are overwritten and must not alias inputs.
/// rstd[n] of x[N,H] exactly as rmsNormForward computes it (for a backward
/// whose program did not keep it).
template <typename T>
void rmsNormStatistics(const T *x, int64_t N, int64_t H, double epsilon,
                       AccumulatorOf<T> *rstd);

template <typename T>
void rmsNormBackward(const T *dy, const T *x, const T *gamma,
                     const AccumulatorOf<T> *rstd, int64_t N, int64_t H, T *dx,
                     T *dgamma);

} // namespace strata::runtime::cpu

#endif // STRATA_RUNTIME_KERNELS_CPU_RMS_NORM_H
