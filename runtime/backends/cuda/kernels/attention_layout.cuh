//===- attention_layout.cuh - attention rows, masks, dropout --*- CUDA -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// What every attention kernel (attention.cu's warp-per-row kernels, the
// tensor-core kernels of flash_attention_*.cu) must agree on with the CPU:
// where a row of q, k, v, out lives (attention.h's layouts), which keys a
// query row attends (the causal mask), and the dropout index and
// multiplier of probability (b, h, s, t), so that every kernel draws the
// CPU's Philox mask bit for bit.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_ATTENTION_LAYOUT_CUH
#define STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_ATTENTION_LAYOUT_CUH

#include "runtime/backends/cuda/kernels/attention.h"

namespace strata::runtime::cuda::kernels {

__device__ __forceinline__ int64_t minI64(int64_t a, int64_t b) {
  return a < b ? a : b;
}
__device__ __forceinline__ int64_t maxI64(int64_t a, int64_t b) {
  return a > b ? a : b;
}

/// Element offsets of the rows q[b,s,h], out[b,s,h] (and dout, dq),
/// k[b,t,g] and v[b,t,g] (and dk, dv).
__device__ __forceinline__ int64_t qOffset(const AttentionDims &p, int64_t b,
                                           int64_t s, int64_t h) {
  return ((b * p.querySeq + s) * p.queryHeads + h) * p.headDim;
}
__device__ __forceinline__ int64_t oOffset(const AttentionDims &p, int64_t b,
                                           int64_t s, int64_t h) {
  return ((b * p.querySeq + s) * p.queryHeads + h) * p.valueDim;
}
__device__ __forceinline__ int64_t kOffset(const AttentionDims &p, int64_t b,
                                           int64_t t, int64_t g) {
  return ((b * p.keyRows + t) * p.kvHeads + g) * p.headDim;
}
__device__ __forceinline__ int64_t vOffset(const AttentionDims &p, int64_t b,
                                           int64_t t, int64_t g) {
  return ((b * p.keyRows + t) * p.kvHeads + g) * p.valueDim;
}
/// A paged cache's row of key t of batch b, through the block table (the
/// entry checked by the caller).
__device__ __forceinline__ int64_t pagedKeyRow(const PagedKeys &paged,
                                               int64_t b, int64_t t) {
  return int64_t(paged.table[b * paged.width + t / paged.blockSize]) *
             paged.blockSize +
         t % paged.blockSize;
}

/// Keys query row s attends without positions: [0, keyLimit).
__device__ __forceinline__ int64_t keyLimit(const AttentionDims &p, int64_t s) {
  if (!p.causal)
    return p.keySeq;
  return maxI64(0, minI64(p.keySeq, s + 1 + (p.keySeq - p.querySeq)));
}

/// The dropout index of probability (b, h, s, 0): the mask is indexed by
/// the global head over [B, maskHeads, S, T] (attention.h); key t adds t.
__device__ __forceinline__ uint64_t maskRowIndex(const AttentionDims &p,
                                                 int64_t b, int64_t h,
                                                 int64_t s) {
  return uint64_t(((b * p.maskHeads + p.maskHeadOffset + h) * p.querySeq + s) *
                  p.keySeq);
}

/// The dropout multiplier of the probability with dropout index |index|:
/// the scale if kept, 0 if dropped (philox_core.h, the CPU's function).
/// Only called when dropout is on (p.dropout.threshold != 0).
__device__ __forceinline__ float dropoutMultiplier(const AttentionDims &p,
                                                   uint64_t index) {
  return cpu::dropoutMultiplier(p.dropout, index);
}

} // namespace strata::runtime::cuda::kernels

#endif // STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_ATTENTION_LAYOUT_CUH
