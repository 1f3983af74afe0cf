//===- bias.h - bias gradient and bias-GELU on the GPU ------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Launchers over x[rows, cols] with a bias b[cols], T = float,
// __nv_bfloat16 or __half, with the formulas and argument order of
// runtime/kernels/cpu/bias.h: f32 arithmetic, each output rounded once.
// Bias gradients are column sums (column_sums.cuh: two passes of fixed
// order, no atomics) of the rounded dx, as the CPU sums its stored dx;
// |partials| holds columnSumWorkspaceBytes(rows, cols) bytes.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_BIAS_H
#define STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_BIAS_H

#include <cuda_runtime_api.h>

#include <cstdint>

namespace strata::runtime::cuda::kernels {

/// db[h] = sum_n dy[n,h].
template <typename T>
void biasGrad(const T *dy, int64_t rows, int64_t cols, T *db, float *partials,
              cudaStream_t stream);

/// y = gelu(x + b) (|tanh|: the tanh approximation); |y| may alias |x|.
template <typename T>
void biasGelu(const T *x, const T *b, int64_t rows, int64_t cols, bool tanh,
              T *y, cudaStream_t stream);

/// dx = dy * gelu'(x + b), db[h] = sum_n dx[n,h]; |dx| may alias |dy|.
template <typename T>
void biasGeluGrad(const T *x, const T *b, const T *dy, int64_t rows,
                  int64_t cols, bool tanh, T *dx, T *db, float *partials,
                  cudaStream_t stream);

} // namespace strata::runtime::cuda::kernels

#endif // STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_BIAS_H
