//===- dropout.h - dropout kernels on the GPU -------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Launchers of Dropout, BiasDropoutAdd and its gradient, T = float,
// __nv_bfloat16 or __half, with the formulas of runtime/kernels/cpu/
// dropout.h and bias.h. The mask is the CPU's bit for bit: element i draws
// dropoutMultiplier(|draw|, |indexing|.global(i)) from philox_core.h, the
// very functions the CPU's DropoutMask is built on (and tested against),
// so a GPU run drops exactly the elements a CPU run drops, whatever the
// element type, and a backward regenerates its forward's mask. The
// multiplier is f32; each output is rounded once.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_DROPOUT_H
#define STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_DROPOUT_H

#include "runtime/kernels/cpu/mask_indexing.h"
#include "runtime/kernels/cpu/philox_core.h"

#include <cuda_runtime_api.h>

#include <cstdint>

namespace strata::runtime::cuda::kernels {

using cpu::DropoutDraw;
using cpu::MaskIndexing;

/// y[i] = x[i] * multiplier(i) for i < |n|; |y| may alias |x|.
template <typename T>
void dropout(const T *x, T *y, int64_t n, const DropoutDraw &draw,
             const MaskIndexing &indexing, cudaStream_t stream);

/// y = residual + (x + b) * multiplier over x[rows, cols], b[cols]; |y| may
/// alias |x| or |residual|.
template <typename T>
void biasDropoutAdd(const T *x, const T *b, const T *residual, int64_t rows,
                    int64_t cols, const DropoutDraw &draw,
                    const MaskIndexing &indexing, T *y, cudaStream_t stream);

/// dx = dy * multiplier, db[h] = sum_n dx[n,h] (column_sums.cuh, of the
/// rounded dx as on the CPU; |partials|: columnSumWorkspaceBytes(rows,
/// cols) bytes); |dx| may alias |dy|.
template <typename T>
void biasDropoutAddGrad(const T *dy, int64_t rows, int64_t cols,
                        const DropoutDraw &draw, const MaskIndexing &indexing,
                        T *dx, T *db, float *partials, cudaStream_t stream);

} // namespace strata::runtime::cuda::kernels

#endif // STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_DROPOUT_H
