//===- attention.cc - fused scaled dot-product attention -----------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Forward (per task = one query head and block of blockQ query rows):
//   for each block of up to kBlockK keys the rows may attend:
//     Z = scale * Q K^T; m' = max(m, rowmax Z); P = exp(Z - m');
//     l = l * exp(m - m') + rowsum P; O = O * exp(m - m') + dropout(P) V
//   out = O / l, lse = m + log l.
// Out rows are accumulated in place in |out|, so the only workspace is the
// score tile.
//
// Backward (FlashAttention-2): with Delta = rowsum(dout * out), for each
// tile P = exp(Z - lse), dP = dO V^T, Pd = P * M (M the dropout
// multipliers), dZ = P * (dP * M - Delta); then dV += Pd^T dO,
// dQ += scale dZ K, dK += scale dZ^T Q.
//
// bf16 and f16: the operands are widened to f32 copies in the workspace,
// the float kernel runs on them, and the outputs are rounded once.
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/attention.h"

#include "runtime/kernels/cpu/gemm.h"
#include "runtime/kernels/cpu/kernel_util.h"
#include "runtime/kernels/cpu/mixed_precision.h"
#include "runtime/kernels/cpu/philox.h"

#include <cassert>
#include <memory>
#include <new>

namespace strata::runtime::cpu {
namespace {

/// Query rows and key columns of a tile. Queries: the M of every tile
/// product, 64 (kBlockQ), or 32 under causal masking, whose diagonal blocks
/// compute a masked triangle of blockQ^2 / 2 scores for nothing (measured
/// 5% faster for GPT-2 shapes; 64 is 3% faster without masking). Keys: long
/// rows make few, large sgemm calls, and the masked triangle does not grow
/// with them.
constexpr int64_t kBlockQ = 64;
constexpr int64_t kCausalBlockQ = 32;
constexpr int64_t kBlockK = 256;

using detail::alignUp;

/// The per-thread workspace: two score-sized tiles and a few rows.
template <typename T>
struct Workspace {
  T *scores; // kBlockQ x kBlockK: Z, then P (or P * M)
  T *grads;  // kBlockQ x kBlockK: dP, then dZ (backward only)
  T *mult;   // kBlockK: dropout multipliers of one row
  T *rowA;   // kBlockQ: running max (forward) or Delta (backward)
  T *rowB;   // kBlockQ: running sum (forward)
  T *rowC;   // kBlockQ: rescaling factors (forward)

  static size_t bytesPerThread() {
    return 2 * alignUp(sizeof(T) * kBlockQ * kBlockK) +
           alignUp(sizeof(T) * kBlockK) + 3 * alignUp(sizeof(T) * kBlockQ);
  }
  static Workspace at(std::byte *base) {
    Workspace w;
    w.scores = reinterpret_cast<T *>(base);
    base += alignUp(sizeof(T) * kBlockQ * kBlockK);
    w.grads = reinterpret_cast<T *>(base);
    base += alignUp(sizeof(T) * kBlockQ * kBlockK);
    w.mult = reinterpret_cast<T *>(base);
    base += alignUp(sizeof(T) * kBlockK);
    w.rowA = reinterpret_cast<T *>(base);
    base += alignUp(sizeof(T) * kBlockQ);
    w.rowB = reinterpret_cast<T *>(base);
    base += alignUp(sizeof(T) * kBlockQ);
    w.rowC = reinterpret_cast<T *>(base);
    return w;
  }
};

/// The caller's workspace, or one allocated here when it passed none; and
/// the number of threads it supports.
struct WorkspaceLease {
  std::byte *base;
  int threads;
  std::unique_ptr<std::byte[]> owned;
};

WorkspaceLease leaseWorkspace(void *workspace, size_t bytes, size_t perThread) {
  WorkspaceLease lease;
  const int maxThreads = omp_get_max_threads();
  const size_t fits = workspace ? bytes / perThread : 0;
  assert((!workspace || fits >= 1) &&
         "attention workspace smaller than one thread's share");
  if (fits >= 1) {
    lease.base = static_cast<std::byte *>(workspace);
    lease.threads = int(std::min<size_t>(size_t(maxThreads), fits));
  } else {
    // No (usable) workspace: allocate one, 64-byte aligned by hand (new[]
    // of std::byte only guarantees 16).
    lease.owned.reset(new std::byte[perThread * size_t(maxThreads) + 64]);
    auto addr = reinterpret_cast<uintptr_t>(lease.owned.get());
    lease.base = lease.owned.get() + ((64 - addr % 64) % 64);
    lease.threads = maxThreads;
  }
  return lease;
}

/// Shape-derived constants and pointer arithmetic shared by the kernels.
template <typename T>
struct Problem {
  const AttentionParams &p;
  int64_t B, S, T_, H, G, D, E, R; // R = H / G query heads per group
  int64_t Tk;                      // rows of k and v per batch element
  int64_t maskH, maskH0;           // heads and first head of the mask index
  const int32_t *positions;        // queryPositions, or null
  int64_t blockQ;                  // query rows per block
  int64_t blocksQ;                 // query blocks per head
  T scale;
  DropoutMask mask;

  explicit Problem(const AttentionParams &params)
      : p(params), B(params.batch), S(params.querySeq), T_(params.keySeq),
        H(params.queryHeads), G(params.kvHeads), D(params.headDim),
        E(params.valueDim),
        R(params.kvHeads > 0 ? params.queryHeads / params.kvHeads : 1),
        Tk(params.keyBatchStride > 0 ? params.keyBatchStride : params.keySeq),
        maskH(params.maskHeads > 0 ? params.maskHeads : params.queryHeads),
        maskH0(params.maskHeadOffset), positions(params.queryPositions),
        blockQ(params.causal || params.queryPositions ? kCausalBlockQ
                                                      : kBlockQ),
        blocksQ((params.querySeq + blockQ - 1) / blockQ),
        scale(T(params.scale)),
        mask(params.dropout, params.seed, params.offset) {
    assert(G > 0 && H % G == 0 && "query heads must be a multiple of groups");
    assert(Tk >= T_ && "keyBatchStride shorter than the keys");
    assert(maskH0 >= 0 && maskH0 + H <= maskH &&
           "mask heads outside [0, maskHeads)");
  }

  /// Keys query row s of batch b may attend: [0, keyLimit(b, s)).
  int64_t keyLimit(int64_t b, int64_t s) const {
    if (positions)
      return std::max<int64_t>(
          0, std::min<int64_t>(T_, int64_t(positions[b * S + s]) + 1));
    if (!p.causal)
      return T_;
    return std::max<int64_t>(0, std::min<int64_t>(T_, s + 1 + (T_ - S)));
  }
  /// Keys some row of [s0, s0 + rows) of batch b attends: [0, result).
  int64_t blockKeyLimit(int64_t b, int64_t s0, int64_t rows) const {
    if (!positions) // limits grow with s
      return keyLimit(b, s0 + rows - 1);
    int64_t limit = 0;
    for (int64_t r = 0; r < rows; ++r)
      limit = std::max(limit, keyLimit(b, s0 + r));
    return limit;
  }
  int64_t ldq() const { return H * D; }
  int64_t ldo() const { return H * E; }
  int64_t ldk() const { return G * D; }
  int64_t ldv() const { return G * E; }
  int64_t qOffset(int64_t b, int64_t s, int64_t h) const {
    return ((b * S + s) * H + h) * D;
  }
  int64_t oOffset(int64_t b, int64_t s, int64_t h) const {
    return ((b * S + s) * H + h) * E;
  }
  /// The row of k and v that holds key t of batch b: through the block
  /// table when the cache is paged.
  int64_t keyRow(int64_t b, int64_t t) const {
    if (!p.blockTable)
      return b * Tk + t;
    const int64_t N = p.blockSize;
    return int64_t(p.blockTable[b * p.tableWidth + t / N]) * N + t % N;
  }
  /// Keys of a tile starting at key t0 of at most |n| keys: a tile of a
  /// paged cache ends at its block's end, so that its rows are contiguous.
  int64_t tileKeys(int64_t t0, int64_t n) const {
    return p.blockTable ? std::min(n, p.blockSize - t0 % p.blockSize) : n;
  }
  int64_t kOffset(int64_t b, int64_t t, int64_t g) const {
    return (keyRow(b, t) * G + g) * D;
  }
  int64_t vOffset(int64_t b, int64_t t, int64_t g) const {
    return (keyRow(b, t) * G + g) * E;
  }
  /// Dropout index of probability (b, h, s, t): by the global head
  /// maskH0 + h of maskH (AttentionParams::maskHeads).
  uint64_t dropoutIndex(int64_t b, int64_t h, int64_t s, int64_t t) const {
    return uint64_t(((b * maskH + maskH0 + h) * S + s) * T_ + t);
  }
};

//===----------------------------------------------------------------------===//
// Row kernels of a tile (the elementwise part; multiversioned for float)
//===----------------------------------------------------------------------===//

/// Online-softmax update of a score tile z[rows, n] (row stride |ldz|) whose
/// row r has |valid[r]| attendable columns: with
/// m' = max(m[r], max z[r, :valid]), z[r, c] = exp(z[r, c] - m') (0 for
/// c >= valid[r]), alpha[r] = exp(m[r] - m'), l[r] = l[r] * alpha[r] +
/// sum_c z[r, c], m[r] = m'. Rows with valid[r] == 0 are zeroed and keep m
/// and l (alpha = 1). Masked columns are set to -inf first, so that every
/// loop runs over the whole row (n is a multiple of 16 but at the end of a
/// sequence) and exp gives their 0.
template <typename T>
STRATA_ALWAYS_INLINE void softmaxTileImpl(T *z, int64_t ldz, int64_t rows,
                                          int64_t n, const int64_t *valid,
                                          T *m, T *l, T *alpha) {
  for (int64_t r = 0; r < rows; ++r) {
    T *zr = z + r * ldz;
    const int64_t nv = valid[r];
    if (nv == 0) {
      std::fill(zr, zr + n, T(0));
      alpha[r] = T(1);
      continue;
    }
    for (int64_t c = nv; c < n; ++c)
      zr[c] = -std::numeric_limits<T>::infinity();
    const T mOld = m[r];
    const T mNew = std::max(mOld, detail::maxValue(zr, n));
    const T sum = detail::expShiftedAndSumInPlace(zr, mNew, n);
    alpha[r] = detail::vexp(mOld - mNew); // 0 while mOld = -inf
    l[r] = l[r] * alpha[r] + sum;
    m[r] = mNew;
  }
}

STRATA_MULTIVERSIONED
void softmaxTile(float *z, int64_t ldz, int64_t rows, int64_t n,
                 const int64_t *valid, float *m, float *l, float *alpha) {
  softmaxTileImpl(z, ldz, rows, n, valid, m, l, alpha);
}
void softmaxTile(double *z, int64_t ldz, int64_t rows, int64_t n,
                 const int64_t *valid, double *m, double *l, double *alpha) {
  softmaxTileImpl(z, ldz, rows, n, valid, m, l, alpha);
}

/// o[r, :E] *= alpha[r] for r < rows (row stride |ldo|).
template <typename T>
STRATA_ALWAYS_INLINE void scaleRowsImpl(T *o, int64_t ldo, int64_t rows,
                                        int64_t E, const T *alpha) {
  for (int64_t r = 0; r < rows; ++r) {
    const T a = alpha[r];
    if (a == T(1))
      continue;
    T *__restrict orow = o + r * ldo;
    for (int64_t e = 0; e < E; ++e)
      orow[e] *= a;
  }
}

STRATA_MULTIVERSIONED
void scaleRows(float *o, int64_t ldo, int64_t rows, int64_t E,
               const float *alpha) {
  scaleRowsImpl(o, ldo, rows, E, alpha);
}
void scaleRows(double *o, int64_t ldo, int64_t rows, int64_t E,
               const double *alpha) {
  scaleRowsImpl(o, ldo, rows, E, alpha);
}

/// One row of the backward tile: with prob = exp(z[c] - lse) for c < valid,
///   dz[c] = prob * (dz[c] * mult[c] - delta),  z[c] = prob * mult[c]
/// (mult = 1 when null; else it has n finite entries); columns valid..n-1
/// of both become 0 (their z is set to -inf, so that the loops run over the
/// whole row).
template <typename T>
STRATA_ALWAYS_INLINE void backwardRowImpl(T *__restrict z, T *__restrict dz,
                                          int64_t n, int64_t valid, T lse,
                                          T delta, const T *__restrict mult) {
  if (valid == 0) { // also a row with lse = -inf
    std::fill(z, z + n, T(0));
    std::fill(dz, dz + n, T(0));
    return;
  }
  for (int64_t c = valid; c < n; ++c)
    z[c] = -std::numeric_limits<T>::infinity();
  if (mult) {
    for (int64_t c = 0; c < n; ++c) {
      const T prob = detail::vexp(z[c] - lse);
      dz[c] = prob * (dz[c] * mult[c] - delta);
      z[c] = prob * mult[c];
    }
  } else {
    for (int64_t c = 0; c < n; ++c) {
      const T prob = detail::vexp(z[c] - lse);
      dz[c] = prob * (dz[c] - delta);
      z[c] = prob;
    }
  }
}

STRATA_MULTIVERSIONED
void backwardRow(float *z, float *dz, int64_t n, int64_t valid, float lse,
                 float delta, const float *mult) {
  backwardRowImpl(z, dz, n, valid, lse, delta, mult);
}
void backwardRow(double *z, double *dz, int64_t n, int64_t valid, double lse,
                 double delta, const double *mult) {
  backwardRowImpl(z, dz, n, valid, lse, delta, mult);
}

/// delta[r] = sum_e dout[r, e] * out[r, e] for r < rows (row stride |ld|).
template <typename T>
STRATA_ALWAYS_INLINE void rowDotsImpl(const T *dout, const T *out, int64_t ld,
                                      int64_t rows, int64_t E, T *delta) {
  for (int64_t r = 0; r < rows; ++r)
    delta[r] = detail::dot(dout + r * ld, out + r * ld, E);
}

STRATA_MULTIVERSIONED
void rowDots(const float *dout, const float *out, int64_t ld, int64_t rows,
             int64_t E, float *delta) {
  rowDotsImpl(dout, out, ld, rows, E, delta);
}
void rowDots(const double *dout, const double *out, int64_t ld, int64_t rows,
             int64_t E, double *delta) {
  rowDotsImpl(dout, out, ld, rows, E, delta);
}

//===----------------------------------------------------------------------===//
// Forward
//===----------------------------------------------------------------------===//

/// One forward task: query head h of batch b, query rows [s0, s0 + rows).
template <typename T>
void forwardBlock(const Problem<T> &pr, const T *q, const T *k, const T *v,
                  T *out, T *lse, int64_t b, int64_t h, int64_t s0,
                  int64_t rows, const Workspace<T> &ws) {
  const int64_t g = h / pr.R;
  const T *qBlock = q + pr.qOffset(b, s0, h);
  T *oBlock = out + pr.oOffset(b, s0, h);
  const int64_t ldq = pr.ldq(), ldk = pr.ldk(), ldv = pr.ldv(), ldo = pr.ldo();
  const int64_t E = pr.E;
  T *m = ws.rowA, *l = ws.rowB, *alpha = ws.rowC;
  for (int64_t r = 0; r < rows; ++r) {
    m[r] = -std::numeric_limits<T>::infinity();
    l[r] = T(0);
  }
  const int64_t keyEnd = pr.blockKeyLimit(b, s0, rows);
  const bool dropout = pr.mask.enabled();
  for (int64_t t0 = 0, n = 0; t0 < keyEnd; t0 += n) {
    n = pr.tileKeys(t0, std::min(kBlockK, keyEnd - t0));
    const bool first = t0 == 0;
    const T *kTile = k + pr.kOffset(b, t0, g);
    const T *vTile = v + pr.vOffset(b, t0, g);
    gemmSerial(Transpose::kNo, Transpose::kYes, rows, n, pr.D, pr.scale,
               qBlock, ldq, kTile, ldk, T(0), ws.scores, kBlockK);
    int64_t valid[kBlockQ];
    for (int64_t r = 0; r < rows; ++r)
      valid[r] =
          std::max<int64_t>(0, std::min(n, pr.keyLimit(b, s0 + r) - t0));
    softmaxTile(ws.scores, kBlockK, rows, n, valid, m, l, alpha);
    if (dropout)
      for (int64_t r = 0; r < rows; ++r) {
        T *z = ws.scores + r * kBlockK;
        pr.mask.multipliers(pr.dropoutIndex(b, h, s0 + r, t0), valid[r],
                            ws.mult);
        for (int64_t c = 0; c < valid[r]; ++c)
          z[c] *= ws.mult[c];
      }
    if (!first)
      scaleRows(oBlock, ldo, rows, E, alpha);
    gemmSerial(Transpose::kNo, Transpose::kNo, rows, E, n, T(1), ws.scores,
               kBlockK, vTile, ldv, first ? T(0) : T(1), oBlock, ldo);
  }
  T *lseRow = lse + (b * pr.H + h) * pr.S + s0;
  for (int64_t r = 0; r < rows; ++r) {
    T *o = oBlock + r * ldo;
    if (l[r] > T(0)) {
      const T inv = T(1) / l[r];
      for (int64_t e = 0; e < E; ++e)
        o[e] *= inv;
      lseRow[r] = m[r] + std::log(l[r]);
    } else {
      std::fill(o, o + E, T(0));
      lseRow[r] = -std::numeric_limits<T>::infinity();
    }
  }
}

//===----------------------------------------------------------------------===//
// Backward
//===----------------------------------------------------------------------===//

/// The state of one query block in the backward: rows [s0, s0 + rows) of
/// head h, their Delta and lse.
template <typename T>
struct QueryBlock {
  int64_t b, h, g, s0, rows, keyEnd;
  const T *lse; // lse of row s0
  const T *delta;
};

template <typename T>
QueryBlock<T> prepareQueryBlock(const Problem<T> &pr, const T *out,
                                const T *dout, const T *lse, int64_t b,
                                int64_t h, int64_t qBlock,
                                const Workspace<T> &ws) {
  QueryBlock<T> qb;
  qb.b = b;
  qb.h = h;
  qb.g = h / pr.R;
  qb.s0 = qBlock * pr.blockQ;
  qb.rows = std::min(pr.blockQ, pr.S - qb.s0);
  qb.keyEnd = pr.blockKeyLimit(b, qb.s0, qb.rows);
  qb.lse = lse + (b * pr.H + h) * pr.S + qb.s0;
  const int64_t off = pr.oOffset(b, qb.s0, h);
  rowDots(dout + off, out + off, pr.ldo(), qb.rows, pr.E, ws.rowA);
  qb.delta = ws.rowA;
  return qb;
}

/// Fills ws.scores with Pd = P * M and ws.grads with dZ for the tile of
/// query block |qb| and keys [t0, t0 + n).
template <typename T>
void backwardTile(const Problem<T> &pr, const T *q, const T *k, const T *v,
                  const T *dout, const QueryBlock<T> &qb, int64_t t0,
                  int64_t n, const Workspace<T> &ws) {
  const int64_t rows = qb.rows;
  gemmSerial(Transpose::kNo, Transpose::kYes, rows, n, pr.D, pr.scale,
             q + pr.qOffset(qb.b, qb.s0, qb.h), pr.ldq(),
             k + pr.kOffset(qb.b, t0, qb.g), pr.ldk(), T(0), ws.scores,
             kBlockK);
  gemmSerial(Transpose::kNo, Transpose::kYes, rows, n, pr.E, T(1),
             dout + pr.oOffset(qb.b, qb.s0, qb.h), pr.ldo(),
             v + pr.vOffset(qb.b, t0, qb.g), pr.ldv(), T(0), ws.grads,
             kBlockK);
  const bool dropout = pr.mask.enabled();
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t valid =
        std::max<int64_t>(0, std::min(n, pr.keyLimit(qb.b, qb.s0 + r) - t0));
    if (dropout) {
      pr.mask.multipliers(pr.dropoutIndex(qb.b, qb.h, qb.s0 + r, t0), valid,
                          ws.mult);
      std::fill(ws.mult + valid, ws.mult + n, T(0));
    }
    backwardRow(ws.scores + r * kBlockK, ws.grads + r * kBlockK, n, valid,
                qb.lse[r], qb.delta[r], dropout ? ws.mult : nullptr);
  }
}

/// dV[t0:t0+n] += Pd^T dO and dK[t0:t0+n] += scale dZ^T Q for one tile.
template <typename T>
void accumulateKeyGrads(const Problem<T> &pr, const T *q, const T *dout,
                        const QueryBlock<T> &qb, int64_t t0, int64_t n, T *dk,
                        T *dv, const Workspace<T> &ws) {
  gemmSerial(Transpose::kYes, Transpose::kNo, n, pr.E, qb.rows, T(1),
             ws.scores, kBlockK, dout + pr.oOffset(qb.b, qb.s0, qb.h),
             pr.ldo(), T(1), dv + pr.vOffset(qb.b, t0, qb.g), pr.ldv());
  gemmSerial(Transpose::kYes, Transpose::kNo, n, pr.D, qb.rows, pr.scale,
             ws.grads, kBlockK, q + pr.qOffset(qb.b, qb.s0, qb.h), pr.ldq(),
             T(1), dk + pr.kOffset(qb.b, t0, qb.g), pr.ldk());
}

/// dQ[block] (+)= scale dZ K[t0:t0+n] for one tile; the first key block
/// overwrites.
template <typename T>
void accumulateQueryGrads(const Problem<T> &pr, const T *k,
                          const QueryBlock<T> &qb, int64_t t0, int64_t n,
                          T *dq, const Workspace<T> &ws) {
  gemmSerial(Transpose::kNo, Transpose::kNo, qb.rows, pr.D, n, pr.scale,
             ws.grads, kBlockK, k + pr.kOffset(qb.b, t0, qb.g), pr.ldk(),
             t0 == 0 ? T(0) : T(1), dq + pr.qOffset(qb.b, qb.s0, qb.h),
             pr.ldq());
}

/// dq rows of a query block that attends no key at all.
template <typename T>
void zeroQueryGrads(const Problem<T> &pr, const QueryBlock<T> &qb, T *dq) {
  for (int64_t r = 0; r < qb.rows; ++r) {
    T *d = dq + pr.qOffset(qb.b, qb.s0 + r, qb.h);
    std::fill(d, d + pr.D, T(0));
  }
}

/// Zeroes dk and dv rows [t0, t1) of group g of batch b.
template <typename T>
void zeroKeyGrads(const Problem<T> &pr, int64_t b, int64_t g, int64_t t0,
                  int64_t t1, T *dk, T *dv) {
  for (int64_t t = t0; t < t1; ++t) {
    std::fill(dk + pr.kOffset(b, t, g), dk + pr.kOffset(b, t, g) + pr.D, T(0));
    std::fill(dv + pr.vOffset(b, t, g), dv + pr.vOffset(b, t, g) + pr.E, T(0));
  }
}

} // namespace

template <typename T>
size_t attentionWorkspaceSize(const AttentionParams &, int numThreads) {
  return Workspace<T>::bytesPerThread() * size_t(std::max(numThreads, 1));
}

template <typename T>
void attentionForward(const AttentionParams &params, const T *q, const T *k,
                      const T *v, T *out, AccumulatorOf<T> *lse,
                      void *workspace, size_t workspaceBytes) {
  const Problem<T> pr(params);
  const size_t perThread = Workspace<T>::bytesPerThread();
  WorkspaceLease lease = leaseWorkspace(workspace, workspaceBytes, perThread);
  const int64_t heads = pr.B * pr.H;
  const int64_t tasks = heads * pr.blocksQ;
#pragma omp parallel num_threads(lease.threads) if (tasks > 1)
  {
    const Workspace<T> ws =
        Workspace<T>::at(lease.base + perThread * size_t(omp_get_thread_num()));
    // The longest (last, under causal masking) query blocks first.
#pragma omp for schedule(dynamic, 1)
    for (int64_t task = 0; task < tasks; ++task) {
      const int64_t qBlock = pr.blocksQ - 1 - task / heads;
      const int64_t bh = task % heads;
      const int64_t s0 = qBlock * pr.blockQ;
      forwardBlock(pr, q, k, v, out, lse, bh / pr.H, bh % pr.H, s0,
                   std::min(pr.blockQ, pr.S - s0), ws);
    }
  }
}

template <typename T>
void attentionBackward(const AttentionParams &params, const T *q, const T *k,
                       const T *v, const T *out, const T *dout,
                       const AccumulatorOf<T> *lse, T *dq, T *dk, T *dv,
                       void *workspace, size_t workspaceBytes) {
  assert(!params.queryPositions && !params.blockTable &&
         (params.keyBatchStride == 0 ||
          params.keyBatchStride == params.keySeq) &&
         "the backward has no key/value cache");
  const Problem<T> pr(params);
  const size_t perThread = Workspace<T>::bytesPerThread();
  WorkspaceLease lease = leaseWorkspace(workspace, workspaceBytes, perThread);
  const int64_t groups = pr.B * pr.G;
  const int64_t blocksK = (pr.T_ + kBlockK - 1) / kBlockK;

  AttentionBackwardSchedule schedule = params.backwardSchedule;
  if (schedule == AttentionBackwardSchedule::kAuto)
    schedule = (groups >= 4 * int64_t(lease.threads) || lease.threads == 1 ||
                blocksK * groups <= groups)
                   ? AttentionBackwardSchedule::kPerGroup
                   : AttentionBackwardSchedule::kTwoPass;

  if (schedule == AttentionBackwardSchedule::kPerGroup) {
#pragma omp parallel num_threads(lease.threads) if (groups > 1)
    {
      const Workspace<T> ws = Workspace<T>::at(
          lease.base + perThread * size_t(omp_get_thread_num()));
#pragma omp for schedule(dynamic, 1)
      for (int64_t task = 0; task < groups; ++task) {
        const int64_t b = task / pr.G, g = task % pr.G;
        zeroKeyGrads(pr, b, g, 0, pr.T_, dk, dv);
        for (int64_t hh = 0; hh < pr.R; ++hh) {
          for (int64_t qBlock = 0; qBlock < pr.blocksQ; ++qBlock) {
            const QueryBlock<T> qb = prepareQueryBlock(
                pr, out, dout, lse, b, g * pr.R + hh, qBlock, ws);
            if (qb.keyEnd == 0)
              zeroQueryGrads(pr, qb, dq);
            for (int64_t t0 = 0; t0 < qb.keyEnd; t0 += kBlockK) {
              const int64_t n = std::min(kBlockK, qb.keyEnd - t0);
              backwardTile(pr, q, k, v, dout, qb, t0, n, ws);
              accumulateKeyGrads(pr, q, dout, qb, t0, n, dk, dv, ws);
              accumulateQueryGrads(pr, k, qb, t0, n, dq, ws);
            }
          }
        }
      }
    }
    return;
  }

  // Two passes. The products and their order per output element are those of
  // the per-group schedule, so the results are bitwise the same.
  const int64_t keyTasks = groups * blocksK;
  const int64_t queryTasks = pr.B * pr.H * pr.blocksQ;
#pragma omp parallel num_threads(lease.threads)
  {
    const Workspace<T> ws =
        Workspace<T>::at(lease.base + perThread * size_t(omp_get_thread_num()));
    // Pass 1: dk, dv of key block j; early key blocks (attended by more
    // query blocks under causal masking) first.
#pragma omp for schedule(dynamic, 1)
    for (int64_t task = 0; task < keyTasks; ++task) {
      const int64_t j = task / groups, bg = task % groups;
      const int64_t b = bg / pr.G, g = bg % pr.G;
      const int64_t t0 = j * kBlockK;
      zeroKeyGrads(pr, b, g, t0, std::min(pr.T_, t0 + kBlockK), dk, dv);
      for (int64_t hh = 0; hh < pr.R; ++hh) {
        for (int64_t qBlock = 0; qBlock < pr.blocksQ; ++qBlock) {
          const int64_t lastRow =
              std::min(pr.S, (qBlock + 1) * pr.blockQ) - 1;
          if (t0 >= pr.keyLimit(b, lastRow))
            continue; // the block attends no key of this key block
          const QueryBlock<T> qb = prepareQueryBlock(
              pr, out, dout, lse, b, g * pr.R + hh, qBlock, ws);
          const int64_t n = std::min(kBlockK, qb.keyEnd - t0);
          backwardTile(pr, q, k, v, dout, qb, t0, n, ws);
          accumulateKeyGrads(pr, q, dout, qb, t0, n, dk, dv, ws);
        }
      }
    }
    // Pass 2: dq of one query block; the longest blocks first.
    const int64_t heads = pr.B * pr.H;
#pragma omp for schedule(dynamic, 1)
    for (int64_t task = 0; task < queryTasks; ++task) {
      const int64_t qBlock = pr.blocksQ - 1 - task / heads;
      const int64_t bh = task % heads;
      const QueryBlock<T> qb = prepareQueryBlock(pr, out, dout, lse, bh / pr.H,
                                                 bh % pr.H, qBlock, ws);
      if (qb.keyEnd == 0)
        zeroQueryGrads(pr, qb, dq);
      for (int64_t t0 = 0; t0 < qb.keyEnd; t0 += kBlockK) {
        const int64_t n = std::min(kBlockK, qb.keyEnd - t0);
        backwardTile(pr, q, k, v, dout, qb, t0, n, ws);
        accumulateQueryGrads(pr, k, qb, t0, n, dq, ws);
      }
    }
  }
}

//===----------------------------------------------------------------------===//
// bf16 and f16: the float kernel on widened copies
//===----------------------------------------------------------------------===//

namespace {

/// The f32 copies of a 16-bit call's tensors, at the front of its
/// workspace: q, k, v, out (the forward uses these four), then dout, dq, dk,
/// dv; the float kernel's own workspace follows.
struct WidenedTensors {
  int64_t q, k, v, o; // elements of q (and dq), k (dk), v (dv), out (dout)

  explicit WidenedTensors(const AttentionParams &p) {
    const int64_t rows = p.keyBatchStride > 0 ? p.keyBatchStride : p.keySeq;
    // A paged cache is widened whole: its pool, whatever the batch.
    const int64_t cacheRows =
        p.blockTable || p.blockSize > 0 ? p.numBlocks * p.blockSize
                                        : p.batch * rows;
    q = p.batch * p.querySeq * p.queryHeads * p.headDim;
    k = cacheRows * p.kvHeads * p.headDim;
    v = cacheRows * p.kvHeads * p.valueDim;
    o = p.batch * p.querySeq * p.queryHeads * p.valueDim;
  }
  size_t bytes() const {
    return 2 * (alignUp(sizeof(float) * size_t(q)) +
                alignUp(sizeof(float) * size_t(k)) +
                alignUp(sizeof(float) * size_t(v)) +
                alignUp(sizeof(float) * size_t(o)));
  }
  /// The eight buffers in order q, k, v, out, dout, dq, dk, dv.
  void carve(std::byte *base, float *(&buffers)[8]) const {
    const int64_t sizes[8] = {q, k, v, o, o, q, k, v};
    for (int i = 0; i < 8; ++i) {
      buffers[i] = reinterpret_cast<float *>(base);
      base += alignUp(sizeof(float) * size_t(sizes[i]));
    }
  }
};

/// The caller's workspace split into the widened tensors and the float
/// kernel's share, or both allocated here when it passed none.
struct WidenedLease {
  float *buffers[8];
  void *rest;
  size_t restBytes;
  std::unique_ptr<std::byte[]> owned;

  WidenedLease(const AttentionParams &p, void *workspace, size_t bytes) {
    const WidenedTensors sizes(p);
    std::byte *base = static_cast<std::byte *>(workspace);
    if (!workspace) {
      owned.reset(new std::byte[sizes.bytes() + 64]);
      auto addr = reinterpret_cast<uintptr_t>(owned.get());
      base = owned.get() + ((64 - addr % 64) % 64);
    }
    assert((!workspace || bytes >= sizes.bytes()) &&
           "attention workspace smaller than the widened tensors");
    sizes.carve(base, buffers);
    rest = workspace ? base + sizes.bytes() : nullptr;
    restBytes = workspace ? bytes - sizes.bytes() : 0;
  }
};

template <typename T>
void halfAttentionForward(const AttentionParams &params, const T *q,
                          const T *k, const T *v, T *out, float *lse,
                          void *workspace, size_t workspaceBytes) {
  const WidenedTensors n(params);
  WidenedLease w(params, workspace, workspaceBytes);
  castElements(q, w.buffers[0], n.q);
  castElements(k, w.buffers[1], n.k);
  castElements(v, w.buffers[2], n.v);
  attentionForward<float>(params, w.buffers[0], w.buffers[1], w.buffers[2],
                          w.buffers[3], lse, w.rest, w.restBytes);
  castElements(w.buffers[3], out, n.o);
}

template <typename T>
void halfAttentionBackward(const AttentionParams &params, const T *q,
                           const T *k, const T *v, const T *out,
                           const T *dout, const float *lse, T *dq, T *dk,
                           T *dv, void *workspace, size_t workspaceBytes) {
  const WidenedTensors n(params);
  WidenedLease w(params, workspace, workspaceBytes);
  castElements(q, w.buffers[0], n.q);
  castElements(k, w.buffers[1], n.k);
  castElements(v, w.buffers[2], n.v);
  castElements(out, w.buffers[3], n.o);
  castElements(dout, w.buffers[4], n.o);
  attentionBackward<float>(params, w.buffers[0], w.buffers[1], w.buffers[2],
                           w.buffers[3], w.buffers[4], lse, w.buffers[5],
                           w.buffers[6], w.buffers[7], w.rest, w.restBytes);
  castElements(w.buffers[5], dq, n.q);
  castElements(w.buffers[6], dk, n.k);
  castElements(w.buffers[7], dv, n.v);
}

} // namespace

#define STRATA_HALF_ATTENTION(T)                                               \
  template <>                                                                  \
  size_t attentionWorkspaceSize<T>(const AttentionParams &params,              \
                                   int numThreads) {                           \
    return WidenedTensors(params).bytes() +                                    \
           attentionWorkspaceSize<float>(params, numThreads);                  \
  }                                                                            \
  template <>                                                                  \
  void attentionForward<T>(const AttentionParams &params, const T *q,          \
                           const T *k, const T *v, T *out, float *lse,         \
                           void *workspace, size_t workspaceBytes) {           \
    halfAttentionForward(params, q, k, v, out, lse, workspace,                 \
                         workspaceBytes);                                      \
  }                                                                            \
  template <>                                                                  \
  void attentionBackward<T>(const AttentionParams &params, const T *q,         \
                            const T *k, const T *v, const T *out,              \
                            const T *dout, const float *lse, T *dq, T *dk,     \
                            T *dv, void *workspace, size_t workspaceBytes) {   \
    halfAttentionBackward(params, q, k, v, out, dout, lse, dq, dk, dv,         \
                          workspace, workspaceBytes);                          \
  }
STRATA_HALF_ATTENTION(bf16)
STRATA_HALF_ATTENTION(f16)
#undef STRATA_HALF_ATTENTION

#define STRATA_INSTANTIATE(T)                                                  \
  template size_t attentionWorkspaceSize<T>(const AttentionParams &, int);     \
  template void attentionForward<T>(const AttentionParams &, const T *,        \
                                    const T *, const T *, T *, T *, void *,    \
                                    size_t);                                   \
  template void attentionBackward<T>(const AttentionParams &, const T *,       \
                                     const T *, const T *, const T *,          \
                                     const T *, const T *, T *, T *, T *,      \
                                     void *, size_t);
STRATA_INSTANTIATE(float)
STRATA_INSTANTIATE(double)
#undef STRATA_INSTANTIATE

} // namespace strata::runtime::cpu
