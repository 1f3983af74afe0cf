//===- flash_attention_backward.cu - attention's backward on tensor cores -===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// FlashAttention-2's backward (flash_attention.h) for D = head_dim =
// value_dim, in three passes without atomics:
//
//   Delta = rowsum(dout * out)       attention.cu's deltaKernel;
//   dk, dv                           a CTA per block of 64 keys of one
//                                    (b, g); warp w owns keys 16 w .. 16 w +
//                                    15 and, over the group's query heads
//                                    and tiles of 64 query rows attending
//                                    the block, computes (transposed, keys
//                                    as rows)
//       S^T = K_w Q^T, P^T = exp(scale S^T - lse)  (0 where masked),
//       dP^T = V_w dO^T, M the dropout multiplier (1 without dropout),
//       dV_w += T(P^T M) dO,  dK_w += T(P^T (dP^T M - Delta)) Q,
//     then dk = scale dK, dv = dV;
//   dq                               a CTA per block of 64 query rows of
//                                    one (b, h), 16 per warp, over the key
//                                    tiles its last row attends:
//       S = Q_w K^T, P = exp(scale S - lse), dP = dO_w V^T,
//       dQ_w += T(P (dP M - Delta)) K,  then dq = scale dQ.
//
// These are attention.cu's formulas in f32 (its keyGradKernel's and
// queryGradKernel's), the products on wmma fragments. dK, dV and dQ stay
// in registers (no rescaling, unlike the forward's O); the elementwise
// passes give each lane the columns lane and lane + 32 of the warp's 16
// rows (conflict-free in shared memory, and no per-row reductions are
// needed). Every result element is summed by one warp in an order fixed by
// the sizes: bitwise repeatable.
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/kernels/attention_layout.cuh"
#include "runtime/backends/cuda/kernels/flash_attention.h"
#include "runtime/backends/cuda/kernels/tensor_core_tiles.cuh"

namespace strata::runtime::cuda::kernels {

namespace {

using namespace tiles;

constexpr int kThreads = kFlashWarps * kWarpSize;
/// Keys per block of the dk/dv pass (16 per warp), query rows per tile.
constexpr int kKeyBlock = kFlashQueryBlock;
constexpr int kQueryTile = kFlashKeyTile;

/// Shared memory of both passes (byte offsets): the warps' own rows (of Q
/// and dO for dq; of K and V for dk/dv), the tile walked over (K and V; Q
/// and dO), and per warp two f32 score tiles [16][64] (S, dP; afterwards
/// the result's f32 rows on their way out) and two 16-bit tiles (P M for
/// dv, and dS).
template <typename T, int D> struct BackwardLayout {
  static constexpr int kRows = 64; // block rows and tile rows alike
  static constexpr int kLd = paddedHalfRow(D);
  static constexpr int kScoreLd = paddedFloatRow(kRows);
  static constexpr int kProbLd = paddedHalfRow(kRows);
  static constexpr int kOutLd = paddedFloatRow(D);
  static constexpr int kWarpScratch =
      2 * kFragment * kScoreLd > kFragment *kOutLd ? 2 * kFragment *kScoreLd
                                                   : kFragment *kOutLd;
  static constexpr size_t kTileBytes = sizeof(T) * kRows * kLd;
  static constexpr size_t kOwnA = 0, kOwnB = kTileBytes;
  static constexpr size_t kTileA = 2 * kTileBytes, kTileB = 3 * kTileBytes;
  static constexpr size_t kScratch = 4 * kTileBytes;
  static constexpr size_t kProbs =
      kScratch + sizeof(float) * kFlashWarps * kWarpScratch;
  static constexpr size_t kGrads =
      kProbs + sizeof(T) * kFlashWarps * kFragment * kProbLd;
  static constexpr size_t kLse =
      kGrads + sizeof(T) * kFlashWarps * kFragment * kProbLd;
  static constexpr size_t kDelta = kLse + sizeof(float) * kRows;
  static constexpr size_t kBytes = kDelta + sizeof(float) * kRows;
  static_assert(kTileBytes % 32 == 0 && kWarpScratch * 4 % 32 == 0 &&
                    kFragment * kScoreLd * 4 % 32 == 0 && kProbs % 32 == 0 &&
                    kFragment * kProbLd * sizeof(T) % 32 == 0 &&
                    kGrads % 32 == 0,
                "wmma fragments start on 32 bytes");
  static_assert(kRows == kKeyBlock && kRows == kQueryTile &&
                    kRows == kFlashQueryBlock && kRows == kFlashKeyTile,
                "one layout for both passes");
};

/// A warp's pieces of a BackwardLayout.
template <typename T, int D> struct WarpTiles {
  using L = BackwardLayout<T, D>;
  float *scores, *scoreGrads; // S and dP (f32)
  T *probs, *grads;           // P M and dS (16-bit)

  __device__ WarpTiles(unsigned char *shared, int warp) {
    scores = reinterpret_cast<float *>(shared + L::kScratch) +
             warp * L::kWarpScratch;
    scoreGrads = scores + kFragment * L::kScoreLd;
    probs = reinterpret_cast<T *>(shared + L::kProbs) +
            warp * kFragment * L::kProbLd;
    grads = reinterpret_cast<T *>(shared + L::kGrads) +
            warp * kFragment * L::kProbLd;
  }
};

extern __shared__ __align__(128) unsigned char flashBackwardShared[];

template <typename T, int D>
__global__ void __launch_bounds__(kThreads)
    flashKeyGradKernel(AttentionDims p, const T *q, const T *k, const T *v,
                       const T *dout, const float *lse, const float *delta,
                       T *dk, T *dv) {
  using L = BackwardLayout<T, D>;
  unsigned char *shared = flashBackwardShared;
  T *kBlock = reinterpret_cast<T *>(shared + L::kOwnA);
  T *vBlock = reinterpret_cast<T *>(shared + L::kOwnB);
  T *qTile = reinterpret_cast<T *>(shared + L::kTileA);
  T *doTile = reinterpret_cast<T *>(shared + L::kTileB);
  float *lseTile = reinterpret_cast<float *>(shared + L::kLse);
  float *deltaTile = reinterpret_cast<float *>(shared + L::kDelta);
  const int warp = int(threadIdx.x) / kWarpSize;
  const int lane = int(threadIdx.x) % kWarpSize;
  const WarpTiles<T, D> w(shared, warp);

  // This CTA's (b, g) and keys [t0, t0 + keys).
  const int64_t S = p.querySeq, T_ = p.keySeq, H = p.queryHeads;
  const int64_t G = p.kvHeads, R = H / G;
  const int64_t blocksPerGroup = (T_ + kKeyBlock - 1) / kKeyBlock;
  const int64_t bg = int64_t(blockIdx.x) / blocksPerGroup;
  const int64_t t0 = int64_t(blockIdx.x) % blocksPerGroup * kKeyBlock;
  const int64_t b = bg / G, g = bg % G;
  const int keys = int(minI64(kKeyBlock, T_ - t0));
  // Causal: query s attends key t iff s >= t - (T - S); the per-element
  // test below is the exact one (keyLimit), this only skips whole tiles.
  const int64_t firstQuery = p.causal ? maxI64(0, t0 - (T_ - S)) : 0;
  const bool dropout = p.dropout.threshold != 0;

  loadRows<kKeyBlock, D, kThreads>(k + kOffset(p, b, t0, g), G * D, keys,
                                   kBlock);
  loadRows<kKeyBlock, D, kThreads>(v + vOffset(p, b, t0, g), G * D, keys,
                                   vBlock);
  AccumulatorFragment dkSum[D / kFragment], dvSum[D / kFragment];
#pragma unroll
  for (int j = 0; j < D / kFragment; ++j) {
    wmma::fill_fragment(dkSum[j], 0.0f);
    wmma::fill_fragment(dvSum[j], 0.0f);
  }
  const T *kRows = kBlock + warp * kFragment * L::kLd;
  const T *vRows = vBlock + warp * kFragment * L::kLd;
  for (int64_t hh = 0; hh < R; ++hh) {
    const int64_t h = g * R + hh;
    for (int64_t s0 = firstQuery; s0 < S; s0 += kQueryTile) {
      const int queries = int(minI64(kQueryTile, S - s0));
      __syncthreads(); // the previous tile's readers are done
      loadRows<kQueryTile, D, kThreads>(q + qOffset(p, b, s0, h), H * D,
                                        queries, qTile);
      loadRows<kQueryTile, D, kThreads>(dout + oOffset(p, b, s0, h), H * D,
                                        queries, doTile);
      loadValues<kQueryTile, kThreads>(lse + (b * H + h) * S + s0, queries,
                                       lseTile);
      loadValues<kQueryTile, kThreads>(delta + (b * H + h) * S + s0, queries,
                                       deltaTile);
      __syncthreads();
      multiplyTransposed<D, kQueryTile>(kRows, L::kLd, qTile, L::kLd, w.scores,
                                        L::kScoreLd);
      multiplyTransposed<D, kQueryTile>(vRows, L::kLd, doTile, L::kLd,
                                        w.scoreGrads, L::kScoreLd);
      __syncwarp();
#pragma unroll 1
      for (int i = 0; i < kFragment; ++i) {
        const int64_t t = t0 + warp * kFragment + i;
        for (int c = lane; c < kQueryTile; c += kWarpSize) {
          const int64_t s = s0 + c;
          float pm = 0.0f, dz = 0.0f; // P M and dS of (s, t)
          if (c < queries && t < keyLimit(p, s)) {
            const float prob =
                expf(p.scale * w.scores[i * L::kScoreLd + c] - lseTile[c]);
            const float mult =
                dropout ? dropoutMultiplier(p, maskRowIndex(p, b, h, s) +
                                                   uint64_t(t))
                        : 1.0f;
            pm = prob * mult;
            dz = prob *
                 (w.scoreGrads[i * L::kScoreLd + c] * mult - deltaTile[c]);
          }
          w.probs[i * L::kProbLd + c] = store<T>(pm);
          w.grads[i * L::kProbLd + c] = store<T>(dz);
        }
      }
      __syncwarp();
      multiplyAccumulate<kQueryTile, D>(w.probs, L::kProbLd, doTile, L::kLd,
                                        dvSum);
      multiplyAccumulate<kQueryTile, D>(w.grads, L::kProbLd, qTile, L::kLd,
                                        dkSum);
    }
  }

  // dk = scale dK, dv = dV, through the warp's f32 scratch.
  const int warpKeys = keys - warp * kFragment; // may be <= 0
  const int64_t t = t0 + warp * kFragment;
  __syncwarp();
  storeAccumulators<D>(dkSum, w.scores, L::kOutLd);
  __syncwarp();
  storeRows<D>(
      w.scores, L::kOutLd, warpKeys, [&](int) { return p.scale; },
      dk + kOffset(p, b, t, g), G * D);
  __syncwarp();
  storeAccumulators<D>(dvSum, w.scores, L::kOutLd);
  __syncwarp();
  storeRows<D>(
      w.scores, L::kOutLd, warpKeys, [](int) { return 1.0f; },
      dv + vOffset(p, b, t, g), G * D);
}

template <typename T, int D>
__global__ void __launch_bounds__(kThreads)
    flashQueryGradKernel(AttentionDims p, const T *q, const T *k, const T *v,
                         const T *dout, const float *lse, const float *delta,
                         T *dq) {
  using L = BackwardLayout<T, D>;
  unsigned char *shared = flashBackwardShared;
  T *qBlock = reinterpret_cast<T *>(shared + L::kOwnA);
  T *doBlock = reinterpret_cast<T *>(shared + L::kOwnB);
  T *kTile = reinterpret_cast<T *>(shared + L::kTileA);
  T *vTile = reinterpret_cast<T *>(shared + L::kTileB);
  float *lseBlock = reinterpret_cast<float *>(shared + L::kLse);
  float *deltaBlock = reinterpret_cast<float *>(shared + L::kDelta);
  const int warp = int(threadIdx.x) / kWarpSize;
  const int lane = int(threadIdx.x) % kWarpSize;
  const WarpTiles<T, D> w(shared, warp);

  // This CTA's (b, h) and query rows [s0, s0 + queries), the longest rows
  // (the last blocks under the causal mask) first.
  const int64_t S = p.querySeq, H = p.queryHeads;
  const int64_t blocksPerHead = (S + kFlashQueryBlock - 1) / kFlashQueryBlock;
  const int64_t bh = int64_t(blockIdx.x) / blocksPerHead;
  const int64_t s0 = (blocksPerHead - 1 - int64_t(blockIdx.x) % blocksPerHead) *
                     kFlashQueryBlock;
  const int64_t b = bh / H, h = bh % H, g = h / (H / p.kvHeads);
  const int queries = int(minI64(kFlashQueryBlock, S - s0));
  const int64_t keyEnd = keyLimit(p, s0 + queries - 1);
  const bool dropout = p.dropout.threshold != 0;

  loadRows<kFlashQueryBlock, D, kThreads>(q + qOffset(p, b, s0, h), H * D,
                                          queries, qBlock);
  loadRows<kFlashQueryBlock, D, kThreads>(dout + oOffset(p, b, s0, h), H * D,
                                          queries, doBlock);
  loadValues<kFlashQueryBlock, kThreads>(lse + bh * S + s0, queries, lseBlock);
  loadValues<kFlashQueryBlock, kThreads>(delta + bh * S + s0, queries,
                                         deltaBlock);
  AccumulatorFragment dqSum[D / kFragment];
#pragma unroll
  for (int j = 0; j < D / kFragment; ++j)
    wmma::fill_fragment(dqSum[j], 0.0f);
  const T *qRows = qBlock + warp * kFragment * L::kLd;
  const T *doRows = doBlock + warp * kFragment * L::kLd;
  const int64_t ldkv = p.kvHeads * D;
  for (int64_t t0 = 0; t0 < keyEnd; t0 += kFlashKeyTile) {
    const int keys = int(minI64(kFlashKeyTile, keyEnd - t0));
    __syncthreads(); // the previous tile's readers are done
    loadRows<kFlashKeyTile, D, kThreads>(k + kOffset(p, b, t0, g), ldkv, keys,
                                         kTile);
    loadRows<kFlashKeyTile, D, kThreads>(v + vOffset(p, b, t0, g), ldkv, keys,
                                         vTile);
    __syncthreads();
    multiplyTransposed<D, kFlashKeyTile>(qRows, L::kLd, kTile, L::kLd, w.scores,
                                         L::kScoreLd);
    multiplyTransposed<D, kFlashKeyTile>(doRows, L::kLd, vTile, L::kLd,
                                         w.scoreGrads, L::kScoreLd);
    __syncwarp();
#pragma unroll 1
    for (int i = 0; i < kFragment; ++i) {
      const int r = warp * kFragment + i;
      const int64_t s = s0 + r;
      const int64_t rowKeyEnd = r < queries ? keyLimit(p, s) : 0;
      const uint64_t maskRow = maskRowIndex(p, b, h, s);
      for (int c = lane; c < kFlashKeyTile; c += kWarpSize) {
        const int64_t t = t0 + c;
        float dz = 0.0f;
        if (t < rowKeyEnd) {
          const float prob =
              expf(p.scale * w.scores[i * L::kScoreLd + c] - lseBlock[r]);
          float dp = w.scoreGrads[i * L::kScoreLd + c];
          if (dropout)
            dp *= dropoutMultiplier(p, maskRow + uint64_t(t));
          dz = prob * (dp - deltaBlock[r]);
        }
        w.grads[i * L::kProbLd + c] = store<T>(dz);
      }
    }
    __syncwarp();
    multiplyAccumulate<kFlashKeyTile, D>(w.grads, L::kProbLd, kTile, L::kLd,
                                         dqSum);
  }

  // dq = scale dQ, through the warp's f32 scratch.
  __syncwarp();
  storeAccumulators<D>(dqSum, w.scores, L::kOutLd);
  __syncwarp();
  storeRows<D>(
      w.scores, L::kOutLd, queries - warp * kFragment,
      [&](int) { return p.scale; },
      dq + qOffset(p, b, s0 + warp * kFragment, h), H * D);
}

template <typename T, int D>
void launchBackward(const AttentionDims &dims, const T *q, const T *k,
                    const T *v, const T *dout, const float *lse,
                    const float *delta, T *dq, T *dk, T *dv,
                    cudaStream_t stream) {
  constexpr size_t kBytes = BackwardLayout<T, D>::kBytes;
  const int64_t keyBlocks =
      dims.batch * dims.kvHeads * ((dims.keySeq + kKeyBlock - 1) / kKeyBlock);
  const int64_t queryBlocks =
      dims.batch * dims.queryHeads *
      ((dims.querySeq + kFlashQueryBlock - 1) / kFlashQueryBlock);
  // Above 48 KB a kernel must opt in; a failure here is the launch's
  // error (cudaGetLastError), which the dispatch reports.
  if (keyBlocks > 0) {
    (void)cudaFuncSetAttribute(flashKeyGradKernel<T, D>,
                               cudaFuncAttributeMaxDynamicSharedMemorySize,
                               int(kBytes));
    flashKeyGradKernel<T, D><<<unsigned(keyBlocks), kThreads, kBytes, stream>>>(
        dims, q, k, v, dout, lse, delta, dk, dv);
  }
  if (queryBlocks > 0) {
    (void)cudaFuncSetAttribute(flashQueryGradKernel<T, D>,
                               cudaFuncAttributeMaxDynamicSharedMemorySize,
                               int(kBytes));
    flashQueryGradKernel<T, D>
        <<<unsigned(queryBlocks), kThreads, kBytes, stream>>>(
            dims, q, k, v, dout, lse, delta, dq);
  }
}

} // namespace

template <typename T>
void flashAttentionBackward(const AttentionDims &dims, const T *q, const T *k,
                            const T *v, const T *out, const T *dout,
                            const float *lse, float *delta, T *dq, T *dk, T *dv,
                            cudaStream_t stream) {
  attentionDelta<T>(dims, out, dout, delta, stream);
  if (dims.headDim == 64)
    launchBackward<T, 64>(dims, q, k, v, dout, lse, delta, dq, dk, dv, stream);
  else
    launchBackward<T, 128>(dims, q, k, v, dout, lse, delta, dq, dk, dv, stream);
}

#define STRATA_INSTANTIATE(T)                                                  \
  template void flashAttentionBackward<T>(                                     \
      const AttentionDims &, const T *, const T *, const T *, const T *,       \
      const T *, const float *, float *, T *, T *, T *, cudaStream_t);
STRATA_INSTANTIATE(__nv_bfloat16)
STRATA_INSTANTIATE(__half)
#undef STRATA_INSTANTIATE

} // namespace strata::runtime::cuda::kernels
