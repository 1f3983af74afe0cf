//===- layer_norm.h - layer normalization ------------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// tfm.layer_norm over the last dimension of x[N, H] (N = all leading
// dimensions), as torch.nn.LayerNorm: biased variance, optional bias.
// T = float, double, bf16 or f16; bf16 and f16 are computed in float, and
// the statistics mean and rstd are AccumulatorOf<T> (float for them).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_KERNELS_CPU_LAYER_NORM_H
#define STRATA_RUNTIME_KERNELS_CPU_LAYER_NORM_H

#include "runtime/kernels/cpu/element_type.h"

#include <cstdint>

namespace strata::runtime::cpu {

/// For each row n < |N| of x[N,H]:
///   mean[n] = sum_h x[n,h] / H,  var = sum_h (x[n,h] - mean[n])^2 / H,
///   rstd[n] = 1 / sqrt(var + epsilon),
///   y[n,h] = (x[n,h] - mean[n]) * rstd[n] * (|gammaOffset| + gamma[h])
///            + beta[h].
/// |gamma| is [H]; |beta| is [H] or null (no bias). |mean| and |rstd| ([N])
/// may be null when no backward follows. |y| may alias |x|. |gammaOffset|
/// is 1 for NeMo's layernorm1p (gamma stored as w - 1, the sum taken in
/// AccumulatorOf<T>), else 0.
template <typename T>
void layerNormForward(const T *x, const T *gamma, const T *beta, int64_t N,
                      int64_t H, double epsilon, T *y, AccumulatorOf<T> *mean,
                      AccumulatorOf<T> *rstd, double gammaOffset = 0.0);

/// The gradient of layerNormForward, given dy[N,H], x, gamma and the
/// forward's mean[N] and rstd[N]; with xhat = (x - mean) * rstd and
/// g = dy * (gammaOffset + gamma):
///   dx[n,h]   = rstd[n] * (g[n,h] - sum_h' g[n,h'] / H
///                          - xhat[n,h] * sum_h' g[n,h'] xhat[n,h'] / H),
///   dgamma[h] = sum_n dy[n,h] * xhat[n,h],   dbeta[h] = sum_n dy[n,h].
/// All outputs are overwritten, not accumulated into; |dbeta| may be null;
/// no output may alias an input.
/// dgamma and dbeta sum over n in increasing order (deterministic).
/// mean[n] and rstd[n] of x[N,H] exactly as layerNormForward computes them:
/// the backward of a program that did not keep them recomputes them here.
template <typename T>
void layerNormStatistics(const T *x, int64_t N, int64_t H, double epsilon,
                         AccumulatorOf<T> *mean, AccumulatorOf<T> *rstd);

template <typename T>
void layerNormBackward(const T *dy, const T *x, const T *gamma,
                       const AccumulatorOf<T> *mean,
                       const AccumulatorOf<T> *rstd, int64_t N, int64_t H,
                       T *dx, T *dgamma, T *dbeta, double gammaOffset = 0.0);

} // namespace strata::runtime::cpu

#endif // STRATA_RUNTIME_KERNELS_CPU_LAYER_NORM_H
