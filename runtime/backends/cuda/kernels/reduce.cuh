//===- reduce.cuh - deterministic block sums ---------------*- CUDA -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Sums over the threads of a block in a fixed tree: a butterfly within each
// warp (every lane ends with the same bits, IEEE addition being
// commutative), then the warp sums in warp order. The result depends on
// the block size only, never on scheduling: no atomics.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_REDUCE_CUH
#define STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_REDUCE_CUH

namespace strata::runtime::cuda::kernels {

constexpr int kWarpSize = 32;
constexpr int kMaxWarps = 32; // 1024 threads

/// The sum of |v| over the 32 lanes of a full warp, in every lane.
__device__ __forceinline__ float warpSum(float v) {
  for (int mask = kWarpSize / 2; mask > 0; mask /= 2)
    v += __shfl_xor_sync(0xffffffffu, v, mask);
  return v;
}

/// The sum of |v| over the threads of the block, returned to every thread.
/// blockDim.x must be a multiple of 32; every thread of the block must call
/// it (it synchronizes). |shared| holds kMaxWarps floats of shared memory
/// and may be reused by the next call.
__device__ __forceinline__ float blockSum(float v, float *shared) {
  const int lane = threadIdx.x % kWarpSize, warp = threadIdx.x / kWarpSize;
  const int warps = blockDim.x / kWarpSize;
  v = warpSum(v);
  __syncthreads(); // a previous call's readers of |shared| are done
  if (lane == 0)
    shared[warp] = v;
  __syncthreads();
  // Every warp adds the warp sums the same way: the same total everywhere.
  return warpSum(lane < warps ? shared[lane] : 0.0f);
}

} // namespace strata::runtime::cuda::kernels

#endif // STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_REDUCE_CUH
