//===- attention.h - fused scaled dot-product attention on the GPU -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Launchers of runtime/kernels/cpu/attention.h's computations for q, k, v
// in float, __nv_bfloat16 and __half, with the same layouts (row-major,
// contiguous): q[B,S,H,D], k[B,Tk,G,D], v[B,Tk,G,E], out[B,S,H,E] and the
// log-sum-exp lse[B,H,S] in f32 whatever T. Query head h reads key/value
// group h / (H / G). 16-bit values are widened to f32 on load, every sum is
// f32, and each result is rounded once, as the CPU kernel does on its
// widened copies.
//
// FlashAttention-2's algorithm: the forward walks the keys in tiles with an
// online softmax and keeps only the log-sum-exp of each query row; the
// backward recomputes the probabilities from it. No [S, T] matrix is ever
// stored, no float atomics are used (dk and dv are owned by one warp per
// key row), and the order of every sum depends on the sizes alone, so runs
// are bitwise repeatable.
//
// Dropout draws the CPU's mask with the CPU's own functions (philox_core.h):
// probability (b, h, s, t) is kept iff DropoutMask(p, seed, offset).keep(
// ((b*Hm + hm)*S + s)*T + t) with Hm = maskHeads and hm = maskHeadOffset +
// h, and kept ones are scaled by float(1 / (1 - p)); the backward redraws
// the same mask.
//
// Every launcher queues on |stream|; empty problems queue nothing. The head
// and value dimensions must be at most kMaxAttentionHeadDim.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_ATTENTION_H
#define STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_ATTENTION_H

#include "runtime/kernels/cpu/philox_core.h"

#include <cuda_runtime_api.h>

#include <cstdint>

namespace strata::runtime::cuda::kernels {

/// The largest head_dim and value_dim the kernels take (each lane of a warp
/// keeps up to 8 elements of a row in registers).
constexpr int64_t kMaxAttentionHeadDim = 256;

/// One attention call's sizes and options (AttentionShape resolved), passed
/// to the kernels by value.
struct AttentionDims {
  int64_t batch = 0;      // B
  int64_t querySeq = 0;   // S
  int64_t keySeq = 0;     // T: keys a query may attend
  int64_t queryHeads = 0; // H
  int64_t kvHeads = 0;    // G, divides H
  int64_t headDim = 0;    // D: q and k
  int64_t valueDim = 0;   // E: v and out
  /// Rows of k and v per batch element (Tk >= T: a KV cache's length).
  int64_t keyRows = 0;
  /// scores = scale * q . k (the CPU's float(scale)).
  float scale = 1.0f;
  /// Query s attends key t iff t <= s + (T - S) (bottom-right aligned).
  bool causal = false;
  /// The dropout mask's heads: this call computes global heads
  /// [maskHeadOffset, maskHeadOffset + H) of maskHeads.
  int64_t maskHeads = 0, maskHeadOffset = 0;
  /// Dropout (philox_core.h): the stream (the context's seed, rngBase +
  /// rngStream), the threshold (0: no dropout) and the kept multiplier.
  cpu::DropoutDraw dropout;
};

/// A paged cache (the forward with positions only; null |table|: not
/// paged): k and v are pools [numBlocks, blockSize, G, D] and key t of
/// batch b is row t % blockSize of block table[b * width + t / blockSize]
/// (device memory); keySeq = width * blockSize, keyRows unused. Apart from
/// AttentionDims, which every attention kernel takes by value: the
/// tensor-core backward is at the edge of its registers.
struct PagedKeys {
  const int32_t *table = nullptr;
  int64_t blockSize = 0, numBlocks = 0, width = 0;
};

/// The forward: for each query row (b, s, h), over the keys t it attends
/// (all; t <= s + T - S if causal; t <= positions[b*S + s] when |positions|
/// is given, whatever causal says),
///   lse[b,h,s]   = log sum_t exp(z_t),  z_t = scale * q[b,s,h] . k[b,t,g],
///   out[b,s,h,e] = sum_t dropout(exp(z_t - lse)) v[b,t,g,e];
/// a row attending no key gets out = 0 and lse = -inf. A position outside
/// [0, T) (which the CPU backend rejects before running) gives its row NaN
/// in out and lse; no key outside the cache is read. So does, with
/// |paged|, a block table entry outside [0, numBlocks) among the blocks the
/// row reads.
template <typename T>
void attentionForward(const AttentionDims &dims, const T *q, const T *k,
                      const T *v, const int32_t *positions, T *out, float *lse,
                      cudaStream_t stream, const PagedKeys &paged = {});

/// The backward of attentionForward without positions (Tk = T), given
/// dout and the forward's out and lse: writes dq[B,S,H,D], dk[B,T,G,D] and
/// dv[B,T,G,E] (overwritten; dk and dv sum over their group's query heads).
/// |delta| is a workspace of B*H*S floats (Delta = rowsum(dout * out)).
template <typename T>
void attentionBackward(const AttentionDims &dims, const T *q, const T *k,
                       const T *v, const T *out, const T *dout,
                       const float *lse, float *delta, T *dq, T *dk, T *dv,
                       cudaStream_t stream);

/// The backward's first pass alone: delta[b,h,s] = sum_e dout[b,s,h,e] *
/// out[b,s,h,e] in f32 (the tensor-core backward starts with it too).
template <typename T>
void attentionDelta(const AttentionDims &dims, const T *out, const T *dout,
                    float *delta, cudaStream_t stream);

} // namespace strata::runtime::cuda::kernels

#endif // STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_ATTENTION_H
