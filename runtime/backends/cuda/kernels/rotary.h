//===- rotary.h - rotary position embedding on the GPU ----------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The launcher of runtime/kernels/cpu/rotary_embedding.h's rotation, T =
// float, __nv_bfloat16 or __half, over x[batch, seq, heads, headDim] with
// int32 positions[batch, seq]: the first |rotaryDim| (even) dims of each
// head rotate in the "rotate half" convention by theta_i = position *
// base^(-2i / rotaryDim); the rest pass through. The angles, cos and sin
// are computed in f64 exactly as the CPU writes them (then rounded to f32
// once); the rotation is f32, each output rounded once.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_ROTARY_H
#define STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_ROTARY_H

#include <cuda_runtime_api.h>

#include <cstdint>

namespace strata::runtime::cuda::kernels {

/// y = x rotated by +theta, or by -theta when |inverse| (the backward's
/// rotation: dx from dy). |y| may alias |x|.
template <typename T>
void rotaryEmbedding(const T *x, const int32_t *positions, int64_t batch,
                     int64_t seq, int64_t heads, int64_t headDim,
                     int64_t rotaryDim, double base, bool inverse, T *y,
                     cudaStream_t stream);

} // namespace strata::runtime::cuda::kernels

#endif // STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_ROTARY_H
