//===- elementwise.h - elementwise CUDA kernels -----------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Launchers of the elementwise kernels, instantiated for float and
// __nv_bfloat16 (and __half): 16-bit values are widened to f32, computed in
// f32 and rounded once (round to nearest even), as the CPU kernels do, so
// the conformance suite holds both to the same tolerance. Each launch is
// queued on |stream|; errors surface at the next synchronize (launch
// configuration errors through cuda::checkLaunch).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_ELEMENTWISE_H
#define STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_ELEMENTWISE_H

#include <cuda_runtime_api.h>

#include <cstdint>

namespace strata::runtime::cuda::kernels {

/// out = a + b.
template <typename T>
void add(const T *a, const T *b, T *out, int64_t n, cudaStream_t stream);
/// grad += contribution (gradient accumulation).
template <typename T>
void accumulate(const T *contribution, T *grad, int64_t n,
                cudaStream_t stream);
/// out = x + bias (bias of |cols| repeated over |rows|).
template <typename T>
void biasAdd(const T *x, const T *bias, int64_t rows, int64_t cols, T *out,
             cudaStream_t stream);
/// GELU (|tanh|: the tanh approximation) and its backward
/// dx = dy * gelu'(x). Arguments in the order of runtime/kernels/cpu/
/// activation.h (and of the instructions' operands).
template <typename T>
void gelu(const T *x, T *out, int64_t n, bool tanh, cudaStream_t stream);
template <typename T>
void geluGrad(const T *x, const T *dy, T *dx, int64_t n, bool tanh,
              cudaStream_t stream);
/// SiLU and its backward.
template <typename T>
void silu(const T *x, T *out, int64_t n, cudaStream_t stream);
template <typename T>
void siluGrad(const T *x, const T *dy, T *dx, int64_t n, cudaStream_t stream);
/// ReLU: out = max(x, 0), and its backward dx = dy where x > 0.
template <typename T>
void relu(const T *x, T *out, int64_t n, cudaStream_t stream);
template <typename T>
void reluGrad(const T *x, const T *dy, T *dx, int64_t n, cudaStream_t stream);
/// out = x * factor (LoRA's alpha / r), in f32.
template <typename T>
void scale(const T *x, float factor, T *out, int64_t n, cudaStream_t stream);
/// SwiGLU: out = silu(gate) * up, and its backward into dgate, dup.
template <typename T>
void swiglu(const T *gate, const T *up, T *out, int64_t n,
            cudaStream_t stream);
template <typename T>
void swigluGrad(const T *gate, const T *up, const T *dy, T *dgate, T *dup,
                int64_t n, cudaStream_t stream);
/// out = cast(in), between any two of float, __nv_bfloat16, __half.
template <typename From, typename To>
void cast(const From *in, To *out, int64_t n, cudaStream_t stream);

} // namespace strata::runtime::cuda::kernels

#endif // STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_ELEMENTWISE_H
