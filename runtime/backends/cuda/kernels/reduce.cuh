//===- reduce.cuh - deterministic block reductions -------------*- CUDA -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Sums and maxima over a warp and over a block, in a fixed order: a
// butterfly of __shfl_xor_sync within each warp (every lane ends with the
// same bits: each step adds a pair of equal partial sums in either order,
// and addition is commutative), then the warps' results, written to shared
// memory, combined the same way. The order depends on blockDim.x alone, so
// a kernel launched with a fixed block size gives the same bits on every
// run and every GPU; no atomics anywhere.
//
// Every thread of the block must call blockSum/blockMax (they synchronize),
// with blockDim.x a multiple of 32 of at most 1024; every thread gets the
// result. They synchronize again before returning, so calls may follow
// each other.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_REDUCE_CUH
#define STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_REDUCE_CUH

#include <math_constants.h>

namespace strata::runtime::cuda::kernels {

constexpr unsigned kFullWarp = 0xffffffffu;

struct SumOp {
  template <typename A>
  __device__ __forceinline__ A operator()(A a, A b) const {
    return a + b;
  }
};
/// fmaxf: a NaN operand is ignored (as the CPU's `v > m ? v : m` does for
/// a NaN v); a NaN logit still makes the row's sum of exponentials NaN.
struct MaxOp {
  __device__ __forceinline__ float operator()(float a, float b) const {
    return fmaxf(a, b);
  }
};

template <typename A, typename Op>
__device__ __forceinline__ A warpReduce(A value, Op op) {
  for (int offset = 16; offset > 0; offset /= 2)
    value = op(value, __shfl_xor_sync(kFullWarp, value, offset));
  return value;
}

/// The reduction of every thread's |value| over the block, with |identity|
/// for the lanes of the second stage that have no warp.
template <typename A, typename Op>
__device__ __forceinline__ A blockReduce(A value, Op op, A identity) {
  __shared__ A warpValues[32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int warps = blockDim.x / 32;
  value = warpReduce(value, op);
  if (lane == 0)
    warpValues[warp] = value;
  __syncthreads();
  value = warpReduce(lane < warps ? warpValues[lane] : identity, op);
  __syncthreads(); // warpValues may be written again by the next call
  return value;
}

template <typename A> __device__ __forceinline__ A blockSum(A value) {
  return blockReduce(value, SumOp(), A(0));
}
__device__ __forceinline__ float blockMax(float value) {
  return blockReduce(value, MaxOp(), -CUDART_INF_F);
}

constexpr int kWarpSize = 32;
constexpr int kMaxWarps = 32; // 1024 threads

/// The sum of |v| over the 32 lanes of a full warp, in every lane.
__device__ __forceinline__ float warpSum(float v) {
  return warpReduce(v, SumOp());
}

/// blockSum with the caller's shared memory (|shared|: kMaxWarps floats,
/// reusable by the next call), for kernels that lay out their own shared
/// memory; the same order as blockSum(value).
__device__ __forceinline__ float blockSum(float v, float *shared) {
  const int lane = threadIdx.x % kWarpSize, warp = threadIdx.x / kWarpSize;
  const int warps = blockDim.x / kWarpSize;
  v = warpSum(v);
  __syncthreads(); // a previous call's readers of |shared| are done
  if (lane == 0)
    shared[warp] = v;
  __syncthreads();
  return warpSum(lane < warps ? shared[lane] : 0.0f);
}

} // namespace strata::runtime::cuda::kernels

#endif // STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_REDUCE_CUH
