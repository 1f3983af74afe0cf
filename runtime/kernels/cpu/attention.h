//===- attention.h - fused scaled dot-product attention -----------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// tfm.attention on the CPU with FlashAttention-2's algorithm: scores are
// computed one tile of (query rows x key columns) at a time with an online
// softmax, so no [S, T] matrix is ever stored; the forward keeps the
// log-sum-exp of each query row and the backward recomputes the
// probabilities from it. Tiles are multiplied with gemmSerial (oneDNN's
// sgemm for float) on each thread's own workspace.
//
// Layouts (row-major, contiguous): q[B,S,H,D], k[B,T,G,D], v[B,T,G,E],
// out[B,S,H,E], lse[B,H,S]. Query head h reads key/value group h / (H / G)
// (multi-head G = H, grouped-query, multi-query G = 1).
//
// With a key/value cache (the forward only): k and v are caches of T
// positions per sequence (keyBatchStride rows apart) and queryPositions
// gives each query's position; query (b, s) attends the cached keys
// t <= queryPositions[b*S + s], and only those are read (for a block of
// queries, those up to the block's largest position). The work is
// proportional to the positions, not to T.
//
// Results are bitwise independent of the number of threads (each output
// element is produced by one thread, in a fixed order of tiles).
//
// T = float, double, bf16 or f16. lse is AccumulatorOf<T>: f32 for bf16 and
// f16, as the dialect's tfm.attention gives it. bf16 and f16 run the float
// kernel on f32 copies of their operands (in the workspace) and round each
// output once, so the score tiles go through sgemm, not oneDNN's bf16 GEMM;
// the results are the float kernel's on the widened inputs, rounded once.
//
// Usage:
//   AttentionParams p{B, S, T, H, G, D, E, 1.0 / std::sqrt(D), true};
//   std::vector<std::byte> ws(attentionWorkspaceSize<float>(
//       p, omp_get_max_threads()));
//   attentionForward(p, q, k, v, out, lse, ws.data(), ws.size());
//   attentionBackward(p, q, k, v, out, dout, lse, dq, dk, dv, ws.data(),
//                     ws.size());
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_KERNELS_CPU_ATTENTION_H
#define STRATA_RUNTIME_KERNELS_CPU_ATTENTION_H

#include "runtime/kernels/cpu/element_type.h"

#include <cstddef>
#include <cstdint>

namespace strata::runtime::cpu {

/// How attentionBackward spreads work over threads. Both schedules give
/// bitwise identical results; kAuto picks by shape and thread count.
enum class AttentionBackwardSchedule {
  kAuto,
  /// One task per (batch, kv group): computes dq of the group's query heads
  /// and dk, dv of the group. No recomputation; B * G tasks.
  kPerGroup,
  /// Pass 1: one task per (batch, kv group, key block) for dk, dv; pass 2:
  /// one per (batch, head, query block) for dq. Recomputes scores and dP in
  /// pass 2 (7 instead of 5 tile products) for more parallelism when B * G
  /// is small (multi-query attention, batch 1).
  kTwoPass,
};

struct AttentionParams {
  int64_t batch;      // B
  int64_t querySeq;   // S
  int64_t keySeq;     // T
  int64_t queryHeads; // H
  int64_t kvHeads;    // G, divides H
  int64_t headDim;    // D: q and k
  int64_t valueDim;   // E: v and out
  double scale;       // scores = scale * q . k
  /// Query s attends key t iff t <= s + (T - S) (bottom-right aligned, as
  /// with a key/value cache); a query row with no key (only when S > T) gets
  /// out = 0 and lse = -inf.
  bool causal = false;
  /// Probability of zeroing an attention probability, in [0, 1); kept ones
  /// are scaled by 1 / (1 - dropout). The mask of probability (b, h, s, t)
  /// is DropoutMask(dropout, seed, offset).keep(((b*Hm + hm)*S + s)*T + t)
  /// (philox.h), Hm = maskHeads and hm = maskHeadOffset + h (just
  /// ((b*H + h)*S + s)*T + t by default); the backward regenerates it.
  double dropout = 0.0;
  uint64_t seed = 0;
  uint64_t offset = 0;
  AttentionBackwardSchedule backwardSchedule = AttentionBackwardSchedule::kAuto;
  /// Rows of k and v between batch elements: k[b, t] is row b * stride + t.
  /// 0 means keySeq (contiguous [B, T] keys). A cache holds keySeq rows per
  /// sequence, so its stride is keySeq too; the field exists so that a
  /// caller may pass a longer cache and a shorter keySeq.
  int64_t keyBatchStride = 0;
  /// When set (forward only): S * B positions, query (b, s) attends the keys
  /// t in [0, min(T, queryPositions[b*S + s] + 1)), whatever |causal| says
  /// (a negative position attends none: out = 0, lse = -inf). Keys between
  /// a query's position and the largest position of its block of queries
  /// are read but weigh 0, so they must be finite.
  const int32_t *queryPositions = nullptr;
  /// A paged cache (forward only, with queryPositions; null: not paged): k
  /// and v are pools [numBlocks, blockSize, G, D] (and E), and key t of
  /// batch b is row t % blockSize of block blockTable[b * tableWidth + t /
  /// blockSize]; keySeq is tableWidth * blockSize and keyBatchStride is
  /// unused. The caller checks the entries the call reads are in
  /// [0, numBlocks). Key tiles never cross a block.
  const int32_t *blockTable = nullptr;
  int64_t blockSize = 0, numBlocks = 0, tableWidth = 0;
  /// Query heads sharded over tensor-parallel ranks (Megatron-style): the
  /// call computes global heads [maskHeadOffset, maskHeadOffset + H) of a
  /// layer with maskHeads query heads. q, out, lse and dq hold only those H
  /// heads, k, v, dk and dv the G groups they read (G / tp of the global
  /// groups when tp divides them; a single group replicated on every rank
  /// when G = 1, whose dk and dv are then partial sums over the rank's
  /// heads, to be summed over the ranks). The dropout mask is indexed by
  /// the global head, so each rank draws exactly the bits the unsharded
  /// kernel draws for its heads and its results are the unsharded ones for
  /// those heads. The forward (with or without a cache) and the backward
  /// all index the mask this way: give them the same values. maskHeads = 0
  /// means H (not sharded); requires 0 <= maskHeadOffset and
  /// maskHeadOffset + H <= maskHeads.
  int64_t maskHeads = 0;
  int64_t maskHeadOffset = 0;
};

/// Bytes of workspace attentionForward and attentionBackward need to run on
/// |numThreads| threads (the same for both; a few hundred KiB per thread,
/// independent of S and T, for float and double). bf16 and f16 add f32
/// copies of q, k, v, out, dout, dq, dk, dv (4 bytes per element of each;
/// k and v with keyBatchStride rows per sequence).
template <typename T>
size_t attentionWorkspaceSize(const AttentionParams &params, int numThreads);

/// With z[b,h,s,t] = scale * sum_d q[b,s,h,d] k[b,t,g,d] (g = h / (H/G)) over
/// the keys t that query s may attend (all, t <= s + T - S if causal, or
/// t <= queryPositions[b*S + s] when given), and p = softmax_t(z):
///   lse[b,h,s]   = log sum_t exp(z[b,h,s,t]),
///   out[b,s,h,e] = sum_t dropout(p)[b,h,s,t] v[b,t,g,e].
/// |workspace| holds |workspaceBytes| bytes (aligned for T; 64 is best); the
/// kernel uses min(omp_get_max_threads(), workspaceBytes / bytes-per-thread)
/// threads. A null |workspace| makes the kernel allocate one itself.
template <typename T>
void attentionForward(const AttentionParams &params, const T *q, const T *k,
                      const T *v, T *out, AccumulatorOf<T> *lse,
                      void *workspace, size_t workspaceBytes);

/// The gradients of attentionForward given dout[B,S,H,E] and the forward's
/// out and lse (and the same params, so the same dropout mask): writes
/// dq[B,S,H,D], dk[B,T,G,D], dv[B,T,G,E] (overwritten; dk and dv sum over
/// the H/G query heads of their group). Workspace as in attentionForward.
/// No key/value cache: queryPositions must be null and keyBatchStride 0 or
/// keySeq.
template <typename T>
void attentionBackward(const AttentionParams &params, const T *q, const T *k,
                       const T *v, const T *out, const T *dout,
                       const AccumulatorOf<T> *lse, T *dq, T *dk, T *dv,
                       void *workspace, size_t workspaceBytes);

} // namespace strata::runtime::cpu

#endif // STRATA_RUNTIME_KERNELS_CPU_ATTENTION_H
