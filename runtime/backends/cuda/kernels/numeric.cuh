//===- numeric.cuh - loads and stores of f32, bf16 and f16 ------*- CUDA -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Kernels compute in f32 (f64 runs on the GPU only where the CPU kernel
// itself computes in f64 whatever the element type: the rotary angles):
// load() widens a value, store() rounds to nearest even. One grid-stride
// loop launcher for elementwise kernels.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_NUMERIC_CUH
#define STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_NUMERIC_CUH

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

namespace strata::runtime::cuda::kernels {

__device__ __forceinline__ float load(float v) { return v; }
__device__ __forceinline__ float load(__nv_bfloat16 v) {
  return __bfloat162float(v);
}
__device__ __forceinline__ float load(__half v) { return __half2float(v); }

template <typename T> __device__ __forceinline__ T store(float v);
template <> __device__ __forceinline__ float store<float>(float v) {
  return v;
}
template <> __device__ __forceinline__ __nv_bfloat16 store<__nv_bfloat16>(
    float v) {
  return __float2bfloat16_rn(v);
}
template <> __device__ __forceinline__ __half store<__half>(float v) {
  return __float2half_rn(v);
}

/// Blocks of 256 threads, at most 65535 x 4 blocks per SM-ish grid: a
/// grid-stride loop covers any n.
constexpr int kThreads = 256;
inline unsigned gridFor(int64_t n) {
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(blocks < 1 ? 1 : (blocks > 65535 * 4 ? 65535 * 4
                                                                    : blocks));
}

#define STRATA_GRID_STRIDE(i, n)                                               \
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (n);    \
       i += int64_t(gridDim.x) * blockDim.x)

} // namespace strata::runtime::cuda::kernels

#endif // STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_NUMERIC_CUH
