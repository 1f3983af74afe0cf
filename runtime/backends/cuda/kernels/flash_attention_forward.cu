//===- flash_attention_forward.cu - attention's forward on tensor cores ---===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// FlashAttention-2's forward (flash_attention.h) for D = head_dim =
// value_dim. A CTA takes kFlashQueryBlock query rows of one (b, h), 16 per
// warp, and walks the keys its last row attends in tiles of kFlashKeyTile:
//
//   the CTA stages the K and V tiles [64, D] in shared memory; each warp
//     S = Q_w K^T                          (wmma, f32 in shared memory)
//     per row: z = scale S (-inf where masked), m' = max(m, max z),
//       p = exp(z - m'), alpha = exp(m - m'), l = l alpha + sum p,
//       P = T(dropout(p))                  (the sum is of undropped p,
//                                           the CPU's order)
//       O_w *= alpha                       (f32 in shared memory)
//     O_w += P V                           (wmma)
//   and at the end out = O / l, lse = m + log l (a row attending no key:
//   out 0, lse -inf, as attention.cu).
//
// The softmax gives each lane half a row of its warp's 16 (row lane / 2,
// columns (lane % 2) * 32 + ...): the halves' maxima and sums meet in one
// __shfl_xor_sync (a + b in one lane, b + a in the other: the same bits).
// Each lane starts its sweep of the row at its own column (j + lane), so
// the 32 lanes hit 32 different banks. The CTAs of the last query blocks
// (the longest rows under the causal mask) are launched first.
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/kernels/attention_layout.cuh"
#include "runtime/backends/cuda/kernels/flash_attention.h"
#include "runtime/backends/cuda/kernels/tensor_core_tiles.cuh"

namespace strata::runtime::cuda::kernels {

namespace {

using namespace tiles;

constexpr int kThreads = kFlashWarps * kWarpSize;

/// The forward CTA's shared memory (byte offsets): the Q block, the K and
/// V tiles (16-bit), and per warp its scores (f32), probabilities (16-bit)
/// and output accumulator (f32).
template <typename T, int D> struct ForwardLayout {
  static constexpr int kLd = paddedHalfRow(D);
  static constexpr int kScoreLd = paddedFloatRow(kFlashKeyTile);
  static constexpr int kProbLd = paddedHalfRow(kFlashKeyTile);
  static constexpr int kOutLd = paddedFloatRow(D);
  static constexpr size_t kQ = 0;
  static constexpr size_t kK = kQ + sizeof(T) * kFlashQueryBlock * kLd;
  static constexpr size_t kV = kK + sizeof(T) * kFlashKeyTile * kLd;
  static constexpr size_t kScores = kV + sizeof(T) * kFlashKeyTile * kLd;
  static constexpr size_t kProbs =
      kScores + sizeof(float) * kFlashQueryBlock * kScoreLd;
  static constexpr size_t kOut =
      kProbs + sizeof(T) * kFlashQueryBlock * kProbLd;
  static constexpr size_t kBytes =
      kOut + sizeof(float) * kFlashQueryBlock * kOutLd;
  static_assert(kK % 32 == 0 && kV % 32 == 0 && kScores % 32 == 0 &&
                    kProbs % 32 == 0 && kOut % 32 == 0,
                "wmma fragments start on 32 bytes");
};

extern __shared__ __align__(128) unsigned char flashForwardShared[];

template <typename T, int D>
__global__ void __launch_bounds__(kThreads)
    flashForwardKernel(AttentionDims p, const T *q, const T *k, const T *v,
                       T *out, float *lse) {
  using L = ForwardLayout<T, D>;
  constexpr int kHalf = kFlashKeyTile / 2; // a lane's columns of a row
  static_assert(kHalf == kWarpSize && D / 2 % kWarpSize == 0,
                "the bank rotation assumes 32 columns per lane and step");
  unsigned char *shared = flashForwardShared;
  T *qBlock = reinterpret_cast<T *>(shared + L::kQ);
  T *kTile = reinterpret_cast<T *>(shared + L::kK);
  T *vTile = reinterpret_cast<T *>(shared + L::kV);
  const int warp = int(threadIdx.x) / kWarpSize;
  const int lane = int(threadIdx.x) % kWarpSize;
  float *scores = reinterpret_cast<float *>(shared + L::kScores) +
                  warp * kFragment * L::kScoreLd;
  T *probs =
      reinterpret_cast<T *>(shared + L::kProbs) + warp * kFragment * L::kProbLd;
  float *acc = reinterpret_cast<float *>(shared + L::kOut) +
               warp * kFragment * L::kOutLd;

  // This CTA's (b, h) and query rows [s0, s0 + queries).
  const int64_t S = p.querySeq, H = p.queryHeads;
  const int64_t blocksPerHead = (S + kFlashQueryBlock - 1) / kFlashQueryBlock;
  const int64_t bh = int64_t(blockIdx.x) / blocksPerHead;
  const int64_t s0 = (blocksPerHead - 1 - int64_t(blockIdx.x) % blocksPerHead) *
                     kFlashQueryBlock;
  const int64_t b = bh / H, h = bh % H, g = h / (H / p.kvHeads);
  const int queries = int(minI64(kFlashQueryBlock, S - s0));
  // keyLimit grows with s: the last row attends the most keys.
  const int64_t keyEnd = keyLimit(p, s0 + queries - 1);

  // This lane's row of the warp's 16 and half of the tile's columns.
  const int row = lane / 2, half = lane % 2;
  const int64_t s = s0 + warp * kFragment + row;
  const int64_t rowKeyEnd = s < S ? keyLimit(p, s) : 0;
  const uint64_t maskRow = maskRowIndex(p, b, h, s);
  const bool dropout = p.dropout.threshold != 0;

  loadRows<kFlashQueryBlock, D, kThreads>(q + qOffset(p, b, s0, h), H * D,
                                          queries, qBlock);
  for (int i = lane; i < kFragment * D; i += kWarpSize)
    acc[i / D * L::kOutLd + i % D] = 0.0f;
  float m = -CUDART_INF_F, l = 0.0f;
  const int64_t ldkv = p.kvHeads * D;
  for (int64_t t0 = 0; t0 < keyEnd; t0 += kFlashKeyTile) {
    const int keys = int(minI64(kFlashKeyTile, keyEnd - t0));
    __syncthreads(); // the previous tile's readers are done
    loadRows<kFlashKeyTile, D, kThreads>(k + kOffset(p, b, t0, g), ldkv, keys,
                                         kTile);
    loadRows<kFlashKeyTile, D, kThreads>(v + vOffset(p, b, t0, g), ldkv, keys,
                                         vTile);
    __syncthreads();
    multiplyTransposed<D, kFlashKeyTile>(qBlock + warp * kFragment * L::kLd,
                                         L::kLd, kTile, L::kLd, scores,
                                         L::kScoreLd);
    __syncwarp();

    const float *zRow = scores + row * L::kScoreLd + half * kHalf;
    const int64_t tHalf = t0 + half * kHalf;
    float tileMax = -CUDART_INF_F;
#pragma unroll 4
    for (int j = 0; j < kHalf; ++j) {
      const int c = (j + lane) % kHalf;
      if (tHalf + c < rowKeyEnd)
        tileMax = fmaxf(tileMax, p.scale * zRow[c]);
    }
    tileMax = fmaxf(tileMax, __shfl_xor_sync(kFullWarp, tileMax, 1));
    const float mNew = fmaxf(m, tileMax);
    // A row that has met no key yet keeps p = 0 (never exp(-inf + inf)).
    const float mBase = mNew == -CUDART_INF_F ? 0.0f : mNew;
    const float alpha = expf(m - mBase); // 0 while m = -inf
    T *pRow = probs + row * L::kProbLd + half * kHalf;
    float sum = 0.0f;
#pragma unroll 4
    for (int j = 0; j < kHalf; ++j) {
      const int c = (j + lane) % kHalf;
      const int64_t t = tHalf + c;
      float weight = 0.0f;
      if (t < rowKeyEnd) {
        const float prob = expf(p.scale * zRow[c] - mBase);
        sum += prob;
        weight =
            dropout ? prob * dropoutMultiplier(p, maskRow + uint64_t(t)) : prob;
      }
      pRow[c] = store<T>(weight);
    }
    sum += __shfl_xor_sync(kFullWarp, sum, 1);
    l = l * alpha + sum;
    m = mNew;
    float *oRow = acc + row * L::kOutLd + half * (D / 2);
#pragma unroll 8
    for (int j = 0; j < D / 2; ++j)
      oRow[(j + lane) % (D / 2)] *= alpha;
    __syncwarp();
    multiplyAccumulateShared<kFlashKeyTile, D>(probs, L::kProbLd, vTile, L::kLd,
                                               acc, L::kOutLd);
  }
  __syncwarp();

  const bool empty = !(l > 0.0f);
  if (half == 0 && s < S)
    lse[(b * H + h) * S + s] = empty ? -CUDART_INF_F : m + logf(l);
  const float inverse = empty ? 0.0f : 1.0f / l;
  const int warpRows = queries - warp * kFragment; // may be <= 0
  storeRows<D>(
      acc, L::kOutLd, warpRows,
      [&](int r) { return __shfl_sync(kFullWarp, inverse, 2 * r); },
      out + oOffset(p, b, s0 + warp * kFragment, h), H * D);
}

template <typename T, int D>
void launchForward(const AttentionDims &dims, const T *q, const T *k,
                   const T *v, T *out, float *lse, cudaStream_t stream) {
  constexpr size_t kBytes = ForwardLayout<T, D>::kBytes;
  const int64_t blocks =
      dims.batch * dims.queryHeads *
      ((dims.querySeq + kFlashQueryBlock - 1) / kFlashQueryBlock);
  // Above 48 KB a kernel must opt in; a failure here is the launch's
  // error (cudaGetLastError), which the dispatch reports.
  (void)cudaFuncSetAttribute(flashForwardKernel<T, D>,
                             cudaFuncAttributeMaxDynamicSharedMemorySize,
                             int(kBytes));
  flashForwardKernel<T, D>
      <<<unsigned(blocks), kThreads, kBytes, stream>>>(dims, q, k, v, out, lse);
}

} // namespace

bool flashAttentionSupports(const AttentionDims &dims) {
  if (dims.headDim != dims.valueDim ||
      (dims.headDim != 64 && dims.headDim != 128))
    return false;
  const int64_t queryBlocks =
      dims.batch * dims.queryHeads *
      ((dims.querySeq + kFlashQueryBlock - 1) / kFlashQueryBlock);
  const int64_t keyBlocks = dims.batch * dims.kvHeads *
                            ((dims.keySeq + kFlashKeyTile - 1) / kFlashKeyTile);
  constexpr int64_t kMaxGrid = (int64_t(1) << 31) - 1;
  return queryBlocks <= kMaxGrid && keyBlocks <= kMaxGrid;
}

template <typename T>
void flashAttentionForward(const AttentionDims &dims, const T *q, const T *k,
                           const T *v, T *out, float *lse,
                           cudaStream_t stream) {
  if (dims.batch * dims.queryHeads * dims.querySeq == 0)
    return;
  if (dims.headDim == 64)
    launchForward<T, 64>(dims, q, k, v, out, lse, stream);
  else
    launchForward<T, 128>(dims, q, k, v, out, lse, stream);
}

template void flashAttentionForward<__nv_bfloat16>(
    const AttentionDims &, const __nv_bfloat16 *, const __nv_bfloat16 *,
    const __nv_bfloat16 *, __nv_bfloat16 *, float *, cudaStream_t);
template void flashAttentionForward<__half>(const AttentionDims &,
                                            const __half *, const __half *,
                                            const __half *, __half *, float *,
                                            cudaStream_t);

} // namespace strata::runtime::cuda::kernels
