//===- activation.cuh - sigmoid and GELU on the device ----*- CUDA -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The formulas of runtime/kernels/cpu/kernel_util.h (sigmoid, geluValue,
// geluDerivative) in f32, with CUDA's expf and erff: shared by the
// elementwise family (GELU, SiLU, SwiGLU) and the bias family (BiasGelu).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_ACTIVATION_CUH
#define STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_ACTIVATION_CUH

namespace strata::runtime::cuda::kernels {

__device__ __forceinline__ float sigmoid(float x) {
  return 1.0f / (1.0f + expf(-x));
}

/// GELU, exact (erf) or with the tanh approximation evaluated as
/// x * sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3).
__device__ __forceinline__ float geluValue(float x, bool tanh) {
  if (tanh) {
    const float u = 0.7978845608028654f * (x + 0.044715f * x * x * x);
    return x * sigmoid(2.0f * u);
  }
  return 0.5f * x * (1.0f + erff(x * 0.7071067811865476f));
}

/// d/dx geluValue(x, tanh).
__device__ __forceinline__ float geluDerivative(float x, bool tanh) {
  if (tanh) {
    const float x2 = x * x;
    const float u = 0.7978845608028654f * (x + 0.044715f * x2 * x);
    const float s = sigmoid(2.0f * u);
    return s + x * 2.0f * s * (1.0f - s) *
                   (0.7978845608028654f * (1.0f + 3.0f * 0.044715f * x2));
  }
  return 0.5f * (1.0f + erff(x * 0.7071067811865476f)) +
         x * 0.3989422804014327f * expf(-0.5f * x * x);
}

} // namespace strata::runtime::cuda::kernels

#endif // STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_ACTIVATION_CUH
