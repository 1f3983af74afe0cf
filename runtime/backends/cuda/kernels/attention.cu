//===- attention.cu - fused scaled dot-product attention on the GPU -------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The formulas are runtime/kernels/cpu/attention.cc's, in f32 (expf, logf,
// IEEE division: no fast math). Every kernel gives one row to one warp
// (kWarps warps per block, the rows of a block consecutive so that they
// share their key/value or query rows in L1) and walks the other side of
// the score matrix in tiles of 32, one element of the tile per lane:
//
//   forward (one query row (b, h, s)): per tile of keys, lane j computes
//     z_j = scale * q . k[t0 + j]; m' = max(m, max_j z_j);
//     p_j = exp(z_j - m'); l = l * exp(m - m') + sum_j p_j;
//     o = o * exp(m - m') + sum_j dropout(p_j) v[t0 + j];  m = m'
//   then out = o / l and lse = m + log l.
//   Delta (one query row): Delta = dout . out.
//   dq (one query row): per tile of keys, lane j recomputes
//     P_j = exp(z_j - lse), dP_j = dout . v[t0 + j], M_j the dropout
//     multiplier (1 without dropout), dZ_j = P_j (dP_j M_j - Delta);
//     dq += sum_j dZ_j k[t0 + j]; dq *= scale at the end.
//   dk, dv (one key row (b, g, t)): over the query heads of group g, per
//     tile of the query rows that attend t, lane j recomputes P_j, M_j and
//     dZ_j as above for its query row;
//     dv += sum_j P_j M_j dout[s0 + j], dk += sum_j dZ_j q[s0 + j];
//     dk *= scale at the end.
//
// The row being computed (q; dout; k and v) is widened once into the
// warp's shared memory; each lane reads it there (a broadcast) for its own
// dot product. Each lane holds elements lane + 32 i of the accumulated rows
// (o, dq, dk, dv) in registers: N = ceil(max(D, E) / 32) of them, a
// template parameter (1, 2, 4 or 8), so the arrays stay in registers.
// Weights are passed between lanes with __shfl_sync; sums over a tile are
// reduce.cuh's butterflies. Nothing depends on timing: bitwise repeatable.
//
// TODO(perf): FlashAttention-2's tiling on tensor cores: a block of 64-128
// query rows per CTA (one 16-row slice per warp), Q in shared memory, K and
// V tiles staged through shared memory (cp.async / TMA), S = Q K^T and
// O += P V as mma.sync / wgmma with f32 accumulators, the online softmax on
// the accumulator fragments; the backward as FA2's (a CTA per key block
// accumulating dK, dV; dQ by a second pass, not atomics, to stay
// deterministic). The tile loops below (forwardKernel's, queryGradKernel's
// and keyGradKernel's) are what such kernels replace; the launchers, the
// layouts, the Delta pass and the dropout indexing stay.
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/kernels/attention.h"
#include "runtime/backends/cuda/kernels/attention_layout.cuh"
#include "runtime/backends/cuda/kernels/numeric.cuh"
#include "runtime/backends/cuda/kernels/reduce.cuh"

namespace strata::runtime::cuda::kernels {

namespace {

constexpr int kWarpSize = 32;
/// Rows per block (one per warp).
constexpr int kWarps = 4;
constexpr int kBlockThreads = kWarps * kWarpSize;
/// Blocks per SM the kernels are compiled for: a budget of 65536 / (4 *
/// 128) = 128 registers per thread. Without it ptxas trades a few spills
/// for occupancy (seen at 56-96 registers); with it no kernel here spills
/// (ptxas -v: 0 bytes of stack, 80-114 registers). CMakeLists.txt has
/// ptxas warn on any spill.
constexpr int kMinBlocksPerSm = 4;
/// Keys (forward, dq) or queries (dk, dv) per tile: one per lane.
constexpr int kTile = kWarpSize;
/// Blocks of a launch at most; the warps stride over the remaining rows.
constexpr int64_t kMaxBlocks = int64_t(1) << 20;

//===----------------------------------------------------------------------===//
// Rows (the layouts and masks are attention_layout.cuh's)
//===----------------------------------------------------------------------===//

/// A query row: its index (b*H + h)*S + s is also its log-sum-exp's and
/// its Delta's.
struct QueryRow {
  int64_t b, h, s, g;
};
__device__ __forceinline__ QueryRow queryRow(const AttentionDims &p,
                                             int64_t row) {
  QueryRow r;
  r.s = row % p.querySeq;
  const int64_t bh = row / p.querySeq;
  r.h = bh % p.queryHeads;
  r.b = bh / p.queryHeads;
  r.g = r.h / (p.queryHeads / p.kvHeads);
  return r;
}

//===----------------------------------------------------------------------===//
// Warp helpers
//===----------------------------------------------------------------------===//

__device__ __forceinline__ int lane() { return int(threadIdx.x) % kWarpSize; }
/// The first row of this warp and the stride between its rows.
__device__ __forceinline__ int64_t firstWarpRow() {
  return int64_t(blockIdx.x) * kWarps + int(threadIdx.x) / kWarpSize;
}
__device__ __forceinline__ int64_t warpRowStride() {
  return int64_t(gridDim.x) * kWarps;
}

/// shared[0, n) = row[0, n) widened; the warp's lanes share the copy.
/// Callers __syncwarp() before (the previous row's readers are done) and
/// after (the copy is visible).
template <typename T>
__device__ __forceinline__ void widenRow(const T *row, int n, float *shared) {
  for (int i = lane(); i < n; i += kWarpSize)
    shared[i] = load(row[i]);
}

/// sum_i a[i] * b[i] over i < n, in order (a: the warp's shared row).
template <typename T>
__device__ __forceinline__ float dot(const float *a, const T *b, int n) {
  float sum = 0.0f;
  for (int i = 0; i < n; ++i)
    sum += a[i] * load(b[i]);
  return sum;
}

/// One lane's share of a row of n <= 32 N floats: elements lane + 32 i.
template <int N> struct LaneRow {
  float x[N];

  __device__ __forceinline__ void zero() {
#pragma unroll
    for (int i = 0; i < N; ++i)
      x[i] = 0.0f;
  }
  __device__ __forceinline__ void scale(float a) {
#pragma unroll
    for (int i = 0; i < N; ++i)
      x[i] *= a;
  }
  /// this += w * row[0, n).
  template <typename T>
  __device__ __forceinline__ void addScaled(float w, const T *row, int n) {
#pragma unroll
    for (int i = 0; i < N; ++i) {
      const int e = lane() + kWarpSize * i;
      if (e < n)
        x[i] += w * load(row[e]);
    }
  }
  /// row[0, n) = this * a, rounded to T.
  template <typename T>
  __device__ __forceinline__ void storeScaled(float a, T *row, int n) const {
#pragma unroll
    for (int i = 0; i < N; ++i) {
      const int e = lane() + kWarpSize * i;
      if (e < n)
        row[e] = store<T>(x[i] * a);
    }
  }
};

/// row[0, n) = value (the warp's lanes).
template <typename T>
__device__ __forceinline__ void fillRow(T *row, int n, float value) {
  for (int i = lane(); i < n; i += kWarpSize)
    row[i] = store<T>(value);
}

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

template <typename T, int N>
__global__ void __launch_bounds__(kBlockThreads, kMinBlocksPerSm)
    forwardKernel(AttentionDims p, const T *q, const T *k, const T *v,
                  const int32_t *positions, T *out, float *lse,
                  PagedKeys paged) {
  __shared__ float qShared[kWarps][N * kWarpSize];
  float *qRow = qShared[threadIdx.x / kWarpSize];
  const int D = int(p.headDim), E = int(p.valueDim);
  const int64_t ldk = p.kvHeads * p.headDim, ldv = p.kvHeads * p.valueDim;
  const int64_t rows = p.batch * p.queryHeads * p.querySeq;
  for (int64_t row = firstWarpRow(); row < rows; row += warpRowStride()) {
    const QueryRow r = queryRow(p, row);
    __syncwarp();
    widenRow(q + qOffset(p, r.b, r.s, r.h), D, qRow);
    __syncwarp();
    int64_t keyEnd = keyLimit(p, r.s);
    bool badPosition = false;
    if (positions) {
      const int64_t position = positions[r.b * p.querySeq + r.s];
      badPosition = position < 0 || position >= p.keySeq;
      keyEnd = badPosition ? 0 : position + 1;
    }
    if (paged.table && keyEnd > 0) {
      // Every block the row reads must be in the pool (the CPU refuses
      // the call; here the row becomes NaN).
      bool badEntry = false;
      for (int64_t w = lane(); w <= (keyEnd - 1) / paged.blockSize;
           w += kWarpSize) {
        const int32_t entry = paged.table[r.b * paged.width + w];
        badEntry |= entry < 0 || entry >= paged.numBlocks;
      }
      if (__any_sync(kFullWarp, badEntry)) {
        badPosition = true;
        keyEnd = 0;
      }
    }
    // Unpaged: the row's keys are contiguous from its first.
    const T *kRows = k + kOffset(p, r.b, 0, r.g);
    const T *vRows = v + vOffset(p, r.b, 0, r.g);
    const bool isPaged = paged.table != nullptr;
    float m = -CUDART_INF_F, l = 0.0f;
    LaneRow<N> o;
    o.zero();
    for (int64_t t0 = 0; t0 < keyEnd; t0 += kTile) {
      const int n = int(minI64(kTile, keyEnd - t0));
      const bool mine = lane() < n;
      const int64_t t = t0 + lane();
      const T *kRow =
          isPaged ? k + (mine ? (pagedKeyRow(paged, r.b, t) * p.kvHeads + r.g) * D
                              : 0)
                  : kRows + t * ldk;
      const float z = mine ? p.scale * dot(qRow, kRow, D) : -CUDART_INF_F;
      const float mNew = fmaxf(m, warpReduce(z, MaxOp()));
      const float prob = mine ? expf(z - mNew) : 0.0f;
      const float alpha = expf(m - mNew); // 0 on the first tile (m = -inf)
      l = l * alpha + warpReduce(prob, SumOp());
      m = mNew;
      // The sum above is of the undropped probabilities (the CPU's order:
      // softmax, then the mask on what multiplies V).
      float weight = prob;
      if (p.dropout.threshold != 0 && mine)
        weight *= dropoutMultiplier(p, maskRowIndex(p, r.b, r.h, r.s) + t);
      o.scale(alpha);
      for (int j = 0; j < n; ++j)
        o.addScaled(__shfl_sync(kFullWarp, weight, j),
                    isPaged ? v + (pagedKeyRow(paged, r.b, t0 + j) *
                                       p.kvHeads +
                                   r.g) * E
                            : vRows + (t0 + j) * ldv,
                    E);
    }
    T *outRow = out + oOffset(p, r.b, r.s, r.h);
    if (badPosition || !(l > 0.0f)) {
      // No key (or a position the CPU rejects: NaN, attention.h).
      fillRow(outRow, E, badPosition ? CUDART_NAN_F : 0.0f);
      if (lane() == 0)
        lse[row] = badPosition ? CUDART_NAN_F : -CUDART_INF_F;
    } else {
      o.storeScaled(1.0f / l, outRow, E);
      if (lane() == 0)
        lse[row] = m + logf(l);
    }
  }
}

template <typename T>
__global__ void __launch_bounds__(kBlockThreads, kMinBlocksPerSm)
    deltaKernel(AttentionDims p, const T *out, const T *dout, float *delta) {
  const int E = int(p.valueDim);
  const int64_t rows = p.batch * p.queryHeads * p.querySeq;
  for (int64_t row = firstWarpRow(); row < rows; row += warpRowStride()) {
    const QueryRow r = queryRow(p, row);
    const int64_t at = oOffset(p, r.b, r.s, r.h);
    float sum = 0.0f;
    for (int e = lane(); e < E; e += kWarpSize)
      sum += load(dout[at + e]) * load(out[at + e]);
    sum = warpReduce(sum, SumOp());
    if (lane() == 0)
      delta[row] = sum;
  }
}

template <typename T, int N>
__global__ void __launch_bounds__(kBlockThreads, kMinBlocksPerSm)
    queryGradKernel(AttentionDims p, const T *q, const T *k, const T *v,
                    const T *dout, const float *lse, const float *delta,
                    T *dq) {
  __shared__ float qShared[kWarps][N * kWarpSize];
  __shared__ float doShared[kWarps][N * kWarpSize];
  float *qRow = qShared[threadIdx.x / kWarpSize];
  float *doRow = doShared[threadIdx.x / kWarpSize];
  const int D = int(p.headDim), E = int(p.valueDim);
  const int64_t ldk = p.kvHeads * p.headDim, ldv = p.kvHeads * p.valueDim;
  const int64_t rows = p.batch * p.queryHeads * p.querySeq;
  for (int64_t row = firstWarpRow(); row < rows; row += warpRowStride()) {
    const QueryRow r = queryRow(p, row);
    __syncwarp();
    widenRow(q + qOffset(p, r.b, r.s, r.h), D, qRow);
    widenRow(dout + oOffset(p, r.b, r.s, r.h), E, doRow);
    __syncwarp();
    const int64_t keyEnd = keyLimit(p, r.s);
    const float rowLse = lse[row], rowDelta = delta[row];
    const T *kRows = k + kOffset(p, r.b, 0, r.g);
    const T *vRows = v + vOffset(p, r.b, 0, r.g);
    LaneRow<N> grad;
    grad.zero();
    for (int64_t t0 = 0; t0 < keyEnd; t0 += kTile) {
      const int n = int(minI64(kTile, keyEnd - t0));
      const int64_t t = t0 + lane();
      float dz = 0.0f;
      if (lane() < n) {
        const float z = p.scale * dot(qRow, kRows + t * ldk, D);
        const float prob = expf(z - rowLse);
        float dp = dot(doRow, vRows + t * ldv, E);
        if (p.dropout.threshold != 0)
          dp *= dropoutMultiplier(p, maskRowIndex(p, r.b, r.h, r.s) + t);
        dz = prob * (dp - rowDelta);
      }
      for (int j = 0; j < n; ++j)
        grad.addScaled(__shfl_sync(kFullWarp, dz, j), kRows + (t0 + j) * ldk,
                       D);
    }
    grad.storeScaled(p.scale, dq + qOffset(p, r.b, r.s, r.h), D);
  }
}

template <typename T, int N>
__global__ void __launch_bounds__(kBlockThreads, kMinBlocksPerSm)
    keyGradKernel(AttentionDims p, const T *q, const T *k, const T *v,
                  const T *dout, const float *lse, const float *delta, T *dk,
                  T *dv) {
  __shared__ float kShared[kWarps][N * kWarpSize];
  __shared__ float vShared[kWarps][N * kWarpSize];
  float *kRow = kShared[threadIdx.x / kWarpSize];
  float *vRow = vShared[threadIdx.x / kWarpSize];
  const int D = int(p.headDim), E = int(p.valueDim);
  const int64_t S = p.querySeq, T_ = p.keySeq;
  const int64_t R = p.queryHeads / p.kvHeads;
  const int64_t rows = p.batch * p.kvHeads * T_;
  for (int64_t row = firstWarpRow(); row < rows; row += warpRowStride()) {
    // row = (b*G + g)*T + t
    const int64_t t = row % T_, bg = row / T_;
    const int64_t g = bg % p.kvHeads, b = bg / p.kvHeads;
    __syncwarp();
    widenRow(k + kOffset(p, b, t, g), D, kRow);
    widenRow(v + vOffset(p, b, t, g), E, vRow);
    __syncwarp();
    // Causal: query s attends key t iff s >= t - (T - S); the per-lane test
    // below is the exact one (keyLimit), this only skips whole tiles.
    const int64_t firstQuery = p.causal ? maxI64(0, t - (T_ - S)) : 0;
    LaneRow<N> dkSum, dvSum;
    dkSum.zero();
    dvSum.zero();
    const int64_t ldq = p.queryHeads * p.headDim;
    const int64_t ldo = p.queryHeads * p.valueDim;
    for (int64_t hh = 0; hh < R; ++hh) {
      const int64_t h = g * R + hh;
      // Query row s of head h: q at qHead + s * ldq, dout at doHead +
      // s * ldo, its dropout index with key t at maskBase + s * T.
      const T *qHead = q + qOffset(p, b, 0, h);
      const T *doHead = dout + oOffset(p, b, 0, h);
      const float *lseHead = lse + (b * p.queryHeads + h) * S;
      const float *deltaHead = delta + (b * p.queryHeads + h) * S;
      const uint64_t maskBase = maskRowIndex(p, b, h, 0) + uint64_t(t);
      for (int64_t s0 = firstQuery; s0 < S; s0 += kTile) {
        const int n = int(minI64(kTile, S - s0));
        const int64_t s = s0 + lane();
        float pd = 0.0f, dz = 0.0f; // P M and dZ of query s
        if (lane() < n && t < keyLimit(p, s)) {
          const float z = p.scale * dot(kRow, qHead + s * ldq, D);
          const float prob = expf(z - lseHead[s]);
          const float dp = dot(vRow, doHead + s * ldo, E);
          const float mult =
              p.dropout.threshold != 0
                  ? dropoutMultiplier(p, maskBase + uint64_t(s * T_))
                  : 1.0f;
          pd = prob * mult;
          dz = prob * (dp * mult - deltaHead[s]);
        }
        const T *qTile = qHead + s0 * ldq;
        const T *doTile = doHead + s0 * ldo;
        for (int j = 0; j < n; ++j) {
          const float pdj = __shfl_sync(kFullWarp, pd, j);
          const float dzj = __shfl_sync(kFullWarp, dz, j);
          dvSum.addScaled(pdj, doTile + j * ldo, E);
          dkSum.addScaled(dzj, qTile + j * ldq, D);
        }
      }
    }
    dkSum.storeScaled(p.scale, dk + kOffset(p, b, t, g), D);
    dvSum.storeScaled(1.0f, dv + vOffset(p, b, t, g), E);
  }
}

//===----------------------------------------------------------------------===//
// Launchers
//===----------------------------------------------------------------------===//

/// Blocks for |rows| rows of one warp each.
unsigned blocksFor(int64_t rows) {
  const int64_t blocks = (rows + kWarps - 1) / kWarps;
  return unsigned(blocks < kMaxBlocks ? blocks : kMaxBlocks);
}

/// The registers each lane keeps per accumulated row: N with 32 N >=
/// max(D, E) (1, 2, 4 or 8; attention.h bounds D and E by 256).
int elementsPerLane(const AttentionDims &dims) {
  const int64_t widest =
      dims.headDim > dims.valueDim ? dims.headDim : dims.valueDim;
  return widest <= 32 ? 1 : widest <= 64 ? 2 : widest <= 128 ? 4 : 8;
}

template <typename T, int N>
void launchForward(const AttentionDims &dims, const T *q, const T *k,
                   const T *v, const int32_t *positions, T *out, float *lse,
                   cudaStream_t stream, const PagedKeys &paged) {
  const int64_t rows = dims.batch * dims.queryHeads * dims.querySeq;
  forwardKernel<T, N><<<blocksFor(rows), kBlockThreads, 0, stream>>>(
      dims, q, k, v, positions, out, lse, paged);
}

template <typename T, int N>
void launchBackward(const AttentionDims &dims, const T *q, const T *k,
                    const T *v, const T *dout, const float *lse,
                    const float *delta, T *dq, T *dk, T *dv,
                    cudaStream_t stream) {
  const int64_t queryRows = dims.batch * dims.queryHeads * dims.querySeq;
  const int64_t keyRows = dims.batch * dims.kvHeads * dims.keySeq;
  if (queryRows > 0)
    queryGradKernel<T, N><<<blocksFor(queryRows), kBlockThreads, 0, stream>>>(
        dims, q, k, v, dout, lse, delta, dq);
  if (keyRows > 0)
    keyGradKernel<T, N><<<blocksFor(keyRows), kBlockThreads, 0, stream>>>(
        dims, q, k, v, dout, lse, delta, dk, dv);
}

} // namespace

template <typename T>
void attentionForward(const AttentionDims &dims, const T *q, const T *k,
                      const T *v, const int32_t *positions, T *out, float *lse,
                      cudaStream_t stream, const PagedKeys &paged) {
  if (dims.batch * dims.queryHeads * dims.querySeq == 0)
    return;
  switch (elementsPerLane(dims)) {
  case 1:
    return launchForward<T, 1>(dims, q, k, v, positions, out, lse, stream,
                                   paged);
  case 2:
    return launchForward<T, 2>(dims, q, k, v, positions, out, lse, stream,
                                   paged);
  case 4:
    return launchForward<T, 4>(dims, q, k, v, positions, out, lse, stream,
                                   paged);
  default:
    return launchForward<T, 8>(dims, q, k, v, positions, out, lse, stream,
                                   paged);
  }
}

template <typename T>
void attentionDelta(const AttentionDims &dims, const T *out, const T *dout,
                    float *delta, cudaStream_t stream) {
  const int64_t queryRows = dims.batch * dims.queryHeads * dims.querySeq;
  if (queryRows > 0)
    deltaKernel<T><<<blocksFor(queryRows), kBlockThreads, 0, stream>>>(
        dims, out, dout, delta);
}

template <typename T>
void attentionBackward(const AttentionDims &dims, const T *q, const T *k,
                       const T *v, const T *out, const T *dout,
                       const float *lse, float *delta, T *dq, T *dk, T *dv,
                       cudaStream_t stream) {
  attentionDelta<T>(dims, out, dout, delta, stream);
  switch (elementsPerLane(dims)) {
  case 1:
    return launchBackward<T, 1>(dims, q, k, v, dout, lse, delta, dq, dk, dv,
                                stream);
  case 2:
    return launchBackward<T, 2>(dims, q, k, v, dout, lse, delta, dq, dk, dv,
                                stream);
  case 4:
    return launchBackward<T, 4>(dims, q, k, v, dout, lse, delta, dq, dk, dv,
                                stream);
  default:
    return launchBackward<T, 8>(dims, q, k, v, dout, lse, delta, dq, dk, dv,
                                stream);
  }
}

#define STRATA_INSTANTIATE(T)                                                  \
  template void attentionForward<T>(const AttentionDims &, const T *,         \
                                    const T *, const T *, const int32_t *,    \
                                    T *, float *, cudaStream_t,               \
                                    const PagedKeys &);                       \
  template void attentionDelta<T>(const AttentionDims &, const T *,          \
                                  const T *, float *, cudaStream_t);          \
  template void attentionBackward<T>(                                          \
      const AttentionDims &, const T *, const T *, const T *, const T *,       \
      const T *, const float *, float *, T *, T *, T *, cudaStream_t);
STRATA_INSTANTIATE(float)
STRATA_INSTANTIATE(__nv_bfloat16)
STRATA_INSTANTIATE(__half)
#undef STRATA_INSTANTIATE

} // namespace strata::runtime::cuda::kernels
