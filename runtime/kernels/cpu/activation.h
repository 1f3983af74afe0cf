//===- activation.h - GELU, SiLU, SwiGLU --------------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Elementwise activations over |n| contiguous elements and their gradients.
// Fused bias + activation variants are in bias.h. T = float, double, bf16
// or f16 (computed in float, rounded once per element).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_KERNELS_CPU_ACTIVATION_H
#define STRATA_RUNTIME_KERNELS_CPU_ACTIVATION_H

#include <cstdint>

namespace strata::runtime::cpu {

/// tfm.gelu's approximation attribute.
enum class GeluApproximation {
  kNone, // x/2 * (1 + erf(x / sqrt(2)))                          (NeMo gelu)
  kTanh, // x/2 * (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))  (GPT-2 gelu_new)
};

/// y[i] = gelu(x[i]), i < |n|, as torch.nn.functional.gelu with
/// approximate='none' or 'tanh'. |y| may alias |x|.
template <typename T>
void geluForward(const T *x, T *y, int64_t n, GeluApproximation approx);

/// dx[i] = dy[i] * gelu'(x[i]). |dx| may alias |dy|.
template <typename T>
void geluBackward(const T *x, const T *dy, T *dx, int64_t n,
                  GeluApproximation approx);

/// y[i] = silu(x[i]) = x[i] * sigmoid(x[i]). |y| may alias |x|.
template <typename T>
void siluForward(const T *x, T *y, int64_t n);

/// dx[i] = dy[i] * s (1 + x[i] (1 - s)), s = sigmoid(x[i]). |dx| may alias
/// |dy|.
template <typename T>
void siluBackward(const T *x, const T *dy, T *dx, int64_t n);

/// y[i] = silu(gate[i]) * up[i] (Llama's gated MLP activation). |y| may
/// alias |gate| or |up|.
template <typename T>
void swigluForward(const T *gate, const T *up, T *y, int64_t n);

/// dgate[i] = dy[i] * up[i] * silu'(gate[i]), dup[i] = dy[i] * silu(gate[i]).
/// Either output may alias any input (each element is read before it is
/// written); |dgate| and |dup| must be distinct.
template <typename T>
void swigluBackward(const T *gate, const T *up, const T *dy, T *dgate, T *dup,
                    int64_t n);

} // namespace strata::runtime::cpu

#endif // STRATA_RUNTIME_KERNELS_CPU_ACTIVATION_H
