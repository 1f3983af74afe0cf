//===- rotary_embedding.h - rotary position embedding -------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// tfm.rotary_embedding in the "rotate half" convention of GPT-NeoX, Llama
// (HF apply_rotary_pos_emb) and Megatron-LM.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_KERNELS_CPU_ROTARY_EMBEDDING_H
#define STRATA_RUNTIME_KERNELS_CPU_ROTARY_EMBEDDING_H

#include "runtime/kernels/cpu/element_type.h"

#include <cstdint>

namespace strata::runtime::cpu {

/// For x[B,S,H,D], positions[B,S] (int32), d = |rotaryDims| (even, <= D):
/// with theta_i = positions[b,s] * base^(-2i/d) for i < d/2, computed in
/// double (cos and sin rounded to AccumulatorOf<T> once; bf16 and f16 are
/// rotated in float),
///   y[b,s,h,i]       = x[..,i] cos(theta_i) - x[..,i+d/2] sin(theta_i),
///   y[b,s,h,i+d/2]   = x[..,i+d/2] cos(theta_i) + x[..,i] sin(theta_i),
///   y[b,s,h,j]       = x[b,s,h,j] for d <= j < D (passed through),
/// i.e. y = x * cos + rotate_half(x) * sin with rotate_half(x) = [-x2, x1].
/// |y| may alias |x|.
template <typename T>
void rotaryEmbeddingForward(const T *x, const int32_t *positions, int64_t B,
                            int64_t S, int64_t H, int64_t D, int64_t rotaryDims,
                            double base, T *y);

/// The gradient: dx = the rotation of dy by -theta (the transpose of the
/// forward's rotation); dims beyond |rotaryDims| pass dy through. |dx| may
/// alias |dy|.
template <typename T>
void rotaryEmbeddingBackward(const T *dy, const int32_t *positions, int64_t B,
                             int64_t S, int64_t H, int64_t D,
                             int64_t rotaryDims, double base, T *dx);

} // namespace strata::runtime::cpu

#endif // STRATA_RUNTIME_KERNELS_CPU_ROTARY_EMBEDDING_H
