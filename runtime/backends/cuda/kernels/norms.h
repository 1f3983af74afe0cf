//===- norms.h - LayerNorm and RMSNorm on the GPU ---------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Launchers of the norm kernels over x[rows, cols], T = float,
// __nv_bfloat16 or __half, with the formulas and argument order of
// runtime/kernels/cpu/layer_norm.h and rms_norm.h: one block per row, the
// row statistics in f32 by fixed-tree block sums (reduce.cuh), each output
// rounded once. The backwards recompute the statistics from x as the CPU
// does, store them per row (|mean|, |rstd|: the descriptor's scratch), and
// sum the scale (and bias) gradients over rows with column_sums.cuh, whose
// f32 partials are |partials| (columnSumWorkspaceBytes(rows, cols) bytes).
// Nothing is atomic: every result is bitwise reproducible. rows = 0 or
// cols = 0 launches nothing (beyond zero gradients for rows = 0).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_NORMS_H
#define STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_NORMS_H

#include <cuda_runtime_api.h>

#include <cstdint>

namespace strata::runtime::cuda::kernels {

/// y = (x - mean) * rstd * (gammaOffset + gamma) (+ beta); |beta| may be
/// null; |y| may alias |x|. |gammaOffset| is 1 for layernorm1p, else 0.
template <typename T>
void layerNorm(const T *x, const T *gamma, const T *beta, int64_t rows,
               int64_t cols, float epsilon, float gammaOffset, T *y,
               cudaStream_t stream);

/// dx, dgamma and (unless null) dbeta from dy, x and gamma (the forward's
/// |gammaOffset|); |mean| and |rstd| ([rows] f32) are written and then
/// read. No output may alias an input.
template <typename T>
void layerNormGrad(const T *dy, const T *x, const T *gamma, int64_t rows,
                   int64_t cols, float epsilon, float gammaOffset, T *dx,
                   T *dgamma, T *dbeta, float *mean, float *rstd,
                   float *partials, cudaStream_t stream);

/// y = x * rstd * gamma, rstd = 1 / sqrt(mean(x^2) + epsilon); |y| may
/// alias |x|.
template <typename T>
void rmsNorm(const T *x, const T *gamma, int64_t rows, int64_t cols,
             float epsilon, T *y, cudaStream_t stream);

/// dx and dgamma from dy, x and gamma; |rstd| ([rows] f32) is written and
/// then read. No output may alias an input.
template <typename T>
void rmsNormGrad(const T *dy, const T *x, const T *gamma, int64_t rows,
                 int64_t cols, float epsilon, T *dx, T *dgamma, float *rstd,
                 float *partials, cudaStream_t stream);

} // namespace strata::runtime::cuda::kernels

#endif // STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_NORMS_H
