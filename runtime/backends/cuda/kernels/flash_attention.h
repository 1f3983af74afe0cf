//===- flash_attention.h - attention on tensor cores ------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// FlashAttention-2 (Dao, 2023) on tensor cores for 16-bit q, k, v: the
// computations, layouts, masks, dropout draws and results of attention.h's
// attentionForward (without positions) and attentionBackward, for
// __nv_bfloat16 and __half with head_dim = value_dim = 64 or 128
// (flashAttentionSupports). The products run on wmma fragments with f32
// accumulators; the softmax and every sum around it are f32 as in
// attention.cu. Two roundings differ from attention.cu's kernels: the
// probabilities are rounded to T before P V (the forward, and P M before
// dV = (P M)^T dO) and dS = P (dP M - Delta) before dQ = dS K and
// dK = dS^T Q, as FlashAttention does; and the sums run in the tensor
// cores' order. The conformance suite holds both to the CPU's f64 results.
//
// Work split (forward and dq): a CTA of kFlashWarps warps per block of
// kFlashQueryBlock query rows of one (batch, head), 16 rows per warp, over
// tiles of kFlashKeyTile keys staged in shared memory. dk and dv: a CTA per
// block of 64 keys of one (batch, group), 16 per warp, over every query
// head of the group and tiles of 64 query rows. No atomics: each result
// element is written by one warp, every sum in an order fixed by the sizes
// (bitwise repeatable).
//
// Global rows are read and written 16 bytes at a time: q, k, v, out, dout,
// dq, dk, dv must be 16-byte aligned (the arena's offsets are; the dispatch
// checks). The launchers set the kernels' dynamic shared memory limit
// (up to 120 KB a CTA; sm_80 and later).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_FLASH_ATTENTION_H
#define STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_FLASH_ATTENTION_H

#include "runtime/backends/cuda/kernels/attention.h"

namespace strata::runtime::cuda::kernels {

/// Warps of a CTA, query rows of a CTA (16 per warp: a wmma fragment's),
/// keys per tile; the backward's key blocks and query tiles have the same
/// sizes.
constexpr int kFlashWarps = 4;
constexpr int kFlashQueryBlock = 16 * kFlashWarps;
constexpr int kFlashKeyTile = 64;

/// Whether the tensor-core kernels take |dims|: head_dim = value_dim = 64
/// or 128, and grids of at most 2^31 - 1 blocks.
bool flashAttentionSupports(const AttentionDims &dims);

/// attentionForward without positions, for dims that
/// flashAttentionSupports (T: __nv_bfloat16 or __half).
template <typename T>
void flashAttentionForward(const AttentionDims &dims, const T *q, const T *k,
                           const T *v, T *out, float *lse, cudaStream_t stream);

/// attentionBackward (the same operands and workspace), for dims that
/// flashAttentionSupports.
template <typename T>
void flashAttentionBackward(const AttentionDims &dims, const T *q, const T *k,
                            const T *v, const T *out, const T *dout,
                            const float *lse, float *delta, T *dq, T *dk, T *dv,
                            cudaStream_t stream);

} // namespace strata::runtime::cuda::kernels

#endif // STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_FLASH_ATTENTION_H
