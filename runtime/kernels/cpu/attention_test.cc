//===- attention_test.cc - tests of attention.h -------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/attention.h"

#include "runtime/kernels/cpu/philox.h"
#include "runtime/kernels/cpu/testing/kernel_test_util.h"

#include <gtest/gtest.h>

#include <limits>
#include <sstream>

namespace strata::runtime::cpu {
namespace {

using namespace testing;

AttentionParams makeParams(int64_t B, int64_t S, int64_t T, int64_t H,
                           int64_t G, int64_t D, int64_t E, bool causal,
                           double dropout = 0.0) {
  AttentionParams p{B, S, T, H, G, D, E, 1.0 / std::sqrt(double(D)), causal};
  p.dropout = dropout;
  p.seed = 0x1234abcd5678ull;
  p.offset = 42;
  return p;
}

struct Inputs {
  std::vector<double> q, k, v;
};

Inputs makeInputs(const AttentionParams &p, uint32_t seed) {
  return {randomVector(p.batch * p.querySeq * p.queryHeads * p.headDim, seed,
                       -2.0, 2.0),
          randomVector(p.batch * p.keySeq * p.kvHeads * p.headDim, seed + 1,
                       -2.0, 2.0),
          randomVector(p.batch * p.keySeq * p.kvHeads * p.valueDim, seed + 2)};
}

/// The obvious attention in double: full score rows, explicit mask and
/// dropout multipliers. Returns out; writes lse when given.
std::vector<double> referenceAttention(const AttentionParams &p,
                                       const std::vector<double> &q,
                                       const std::vector<double> &k,
                                       const std::vector<double> &v,
                                       std::vector<double> *lse = nullptr) {
  const int64_t B = p.batch, S = p.querySeq, T = p.keySeq, H = p.queryHeads,
                G = p.kvHeads, D = p.headDim, E = p.valueDim;
  const DropoutMask mask(p.dropout, p.seed, p.offset);
  std::vector<double> out(size_t(B * S * H * E), 0.0);
  if (lse)
    lse->assign(size_t(B * H * S), 0.0);
  std::vector<double> z(static_cast<size_t>(T));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t s = 0; s < S; ++s) {
        const int64_t g = h / (H / G);
        const int64_t limit =
            p.causal ? std::clamp<int64_t>(s + 1 + T - S, 0, T) : T;
        double mx = -INFINITY;
        for (int64_t t = 0; t < limit; ++t) {
          double dotqk = 0.0;
          for (int64_t d = 0; d < D; ++d)
            dotqk += q[((b * S + s) * H + h) * D + d] *
                     k[((b * T + t) * G + g) * D + d];
          z[t] = p.scale * dotqk;
          mx = std::max(mx, z[t]);
        }
        double sum = 0.0;
        for (int64_t t = 0; t < limit; ++t)
          sum += std::exp(z[t] - mx);
        if (lse)
          (*lse)[(b * H + h) * S + s] = limit > 0 ? mx + std::log(sum) : -INFINITY;
        for (int64_t t = 0; t < limit; ++t) {
          double prob = std::exp(z[t] - mx) / sum;
          const uint64_t idx = uint64_t(((b * H + h) * S + s) * T + t);
          prob *= mask.keep(idx) ? mask.scale<double>() : 0.0;
          for (int64_t e = 0; e < E; ++e)
            out[((b * S + s) * H + h) * E + e] +=
                prob * v[((b * T + t) * G + g) * E + e];
        }
      }
  return out;
}

template <typename T>
struct Result {
  std::vector<T> out, lse, dq, dk, dv;
};

/// Forward (and backward when |dout| is given) through the kernels in T.
template <typename T>
Result<T> runAttention(const AttentionParams &p, const Inputs &in,
                       const std::vector<double> *dout = nullptr,
                       bool ownWorkspace = false) {
  Result<T> r;
  const auto q = convert<T>(in.q), k = convert<T>(in.k), v = convert<T>(in.v);
  r.out.assign(size_t(p.batch * p.querySeq * p.queryHeads * p.valueDim),
               T(NAN));
  r.lse.assign(size_t(p.batch * p.queryHeads * p.querySeq), T(NAN));
  std::vector<std::byte> ws;
  if (!ownWorkspace)
    ws.resize(attentionWorkspaceSize<T>(p, omp_get_max_threads()));
  void *wsPtr = ownWorkspace ? nullptr : ws.data();
  attentionForward<T>(p, q.data(), k.data(), v.data(), r.out.data(),
                      r.lse.data(), wsPtr, ws.size());
  if (dout) {
    const auto dO = convert<T>(*dout);
    r.dq.assign(q.size(), T(NAN));
    r.dk.assign(k.size(), T(NAN));
    r.dv.assign(v.size(), T(NAN));
    attentionBackward<T>(p, q.data(), k.data(), v.data(), r.out.data(),
                         dO.data(), r.lse.data(), r.dq.data(), r.dk.data(),
                         r.dv.data(), wsPtr, ws.size());
  }
  return r;
}

std::string describe(const AttentionParams &p) {
  std::ostringstream os;
  os << "B=" << p.batch << " S=" << p.querySeq << " T=" << p.keySeq
     << " H=" << p.queryHeads << " G=" << p.kvHeads << " D=" << p.headDim
     << " E=" << p.valueDim << (p.causal ? " causal" : "")
     << " dropout=" << p.dropout;
  return os.str();
}

/// Shapes of the forward and float-vs-double tests: MHA, GQA, MQA, decode,
/// S < T, D != E, more than one tile each way, S > T with masked rows.
std::vector<AttentionParams> forwardCases() {
  return {makeParams(2, 7, 7, 6, 2, 10, 10, true),
          makeParams(2, 7, 7, 6, 3, 10, 10, false),
          makeParams(2, 7, 11, 6, 3, 10, 10, true),
          makeParams(2, 7, 11, 6, 1, 10, 10, false),
          makeParams(2, 1, 11, 6, 2, 10, 10, true),
          makeParams(1, 1, 11, 4, 1, 8, 8, false),
          makeParams(2, 5, 9, 6, 6, 10, 6, true),
          makeParams(1, 9, 5, 2, 1, 4, 4, true), // rows 0..3 see no key
          makeParams(1, 150, 300, 2, 1, 16, 12, true),
          makeParams(1, 70, 270, 4, 2, 8, 8, false),
          makeParams(2, 7, 11, 6, 3, 10, 10, true, 0.3),
          makeParams(1, 130, 300, 2, 2, 8, 8, true, 0.1)};
}

TEST(AttentionKernelTest, ForwardMatchesReference) {
  uint32_t seed = 1;
  for (const AttentionParams &p : forwardCases()) {
    SCOPED_TRACE(describe(p));
    const Inputs in = makeInputs(p, seed += 10);
    std::vector<double> refLse;
    const auto ref = referenceAttention(p, in.q, in.k, in.v, &refLse);
    const auto d = runAttention<double>(p, in);
    const auto f = runAttention<float>(p, in);
    EXPECT_LT(relativeError(d.out, ref), 1e-12);
    EXPECT_LT(relativeError(f.out, ref), 2e-6);
    // lse: -inf rows must match exactly, the others closely.
    for (size_t i = 0; i < refLse.size(); ++i) {
      if (std::isinf(refLse[i])) {
        EXPECT_TRUE(std::isinf(d.lse[i]) && d.lse[i] < 0) << i;
        EXPECT_TRUE(std::isinf(f.lse[i]) && f.lse[i] < 0) << i;
        refLse[i] = 0.0; // compare the finite ones below
      }
    }
    auto finite = [](auto v) {
      for (auto &x : v)
        if (std::isinf(x))
          x = 0;
      return convert<double>(v);
    };
    EXPECT_LT(relativeError(finite(d.lse), refLse), 1e-12);
    EXPECT_LT(relativeError(finite(f.lse), refLse), 1e-6);
  }
}

TEST(AttentionKernelTest, BackwardMatchesFiniteDifferences) {
  const AttentionParams cases[] = {
      makeParams(2, 7, 11, 6, 3, 10, 10, true),   // GQA, S < T, causal
      makeParams(2, 7, 7, 6, 2, 10, 10, false),   // GQA, non-causal
      makeParams(2, 1, 11, 6, 1, 10, 10, true),   // MQA decode
      makeParams(1, 5, 8, 4, 4, 6, 5, true, 0.3), // MHA with dropout, D != E
      makeParams(1, 7, 7, 6, 2, 4, 4, false, 0.5),
  };
  uint32_t seed = 100;
  for (const AttentionParams &p : cases) {
    SCOPED_TRACE(describe(p));
    Inputs in = makeInputs(p, seed += 10);
    const auto w = randomVector(p.batch * p.querySeq * p.queryHeads * p.valueDim,
                                seed + 5);
    const auto got = runAttention<double>(p, in, &w);
    const auto fdQ = finiteDifferenceGradient(in.q, w, [&](const auto &q) {
      return referenceAttention(p, q, in.k, in.v);
    });
    const auto fdK = finiteDifferenceGradient(in.k, w, [&](const auto &k) {
      return referenceAttention(p, in.q, k, in.v);
    });
    const auto fdV = finiteDifferenceGradient(in.v, w, [&](const auto &v) {
      return referenceAttention(p, in.q, in.k, v);
    });
    EXPECT_LT(relativeError(got.dq, fdQ), 1e-6);
    EXPECT_LT(relativeError(got.dk, fdK), 1e-6);
    EXPECT_LT(relativeError(got.dv, fdV), 1e-6);
  }
}

TEST(AttentionKernelTest, FloatBackwardMatchesDouble) {
  const AttentionParams cases[] = {
      makeParams(2, 7, 11, 6, 3, 10, 10, true),
      makeParams(1, 150, 300, 4, 2, 16, 12, true),  // several tiles each way
      makeParams(1, 100, 290, 2, 1, 8, 8, false, 0.2),
      makeParams(1, 9, 5, 2, 1, 4, 4, true),        // masked rows
  };
  uint32_t seed = 200;
  for (const AttentionParams &p : cases) {
    SCOPED_TRACE(describe(p));
    const Inputs in = makeInputs(p, seed += 10);
    const auto dout = randomVector(
        p.batch * p.querySeq * p.queryHeads * p.valueDim, seed + 5);
    const auto d = runAttention<double>(p, in, &dout);
    const auto f = runAttention<float>(p, in, &dout);
    EXPECT_LT(relativeError(f.dq, d.dq), 1e-4);
    EXPECT_LT(relativeError(f.dk, d.dk), 1e-4);
    EXPECT_LT(relativeError(f.dv, d.dv), 1e-4);
  }
}

TEST(AttentionKernelTest, BackwardSchedulesAreBitwiseEqual) {
  for (AttentionParams p : {makeParams(2, 130, 600, 4, 1, 16, 16, true),
                            makeParams(1, 70, 300, 4, 2, 8, 8, false, 0.1)}) {
    SCOPED_TRACE(describe(p));
    const Inputs in = makeInputs(p, 300);
    const auto dout = randomVector(
        p.batch * p.querySeq * p.queryHeads * p.valueDim, 301);
    p.backwardSchedule = AttentionBackwardSchedule::kPerGroup;
    const auto a = runAttention<float>(p, in, &dout);
    p.backwardSchedule = AttentionBackwardSchedule::kTwoPass;
    const auto b = runAttention<float>(p, in, &dout);
    EXPECT_TRUE(bitwiseEqual(a.dq, b.dq));
    EXPECT_TRUE(bitwiseEqual(a.dk, b.dk));
    EXPECT_TRUE(bitwiseEqual(a.dv, b.dv));
  }
}

TEST(AttentionKernelTest, BitwiseIndependentOfThreadCount) {
  for (const AttentionParams &p :
       {makeParams(2, 130, 300, 6, 2, 16, 16, true),
        makeParams(1, 100, 400, 4, 1, 8, 8, true, 0.1)}) {
    SCOPED_TRACE(describe(p));
    const Inputs in = makeInputs(p, 400);
    const auto dout = randomVector(
        p.batch * p.querySeq * p.queryHeads * p.valueDim, 401);
    Result<float> one, two;
    withThreads(1, [&] { one = runAttention<float>(p, in, &dout); });
    withThreads(2, [&] { two = runAttention<float>(p, in, &dout); });
    EXPECT_TRUE(bitwiseEqual(one.out, two.out));
    EXPECT_TRUE(bitwiseEqual(one.lse, two.lse));
    EXPECT_TRUE(bitwiseEqual(one.dq, two.dq));
    EXPECT_TRUE(bitwiseEqual(one.dk, two.dk));
    EXPECT_TRUE(bitwiseEqual(one.dv, two.dv));
  }
}

TEST(AttentionKernelTest, DropoutMaskIsReproducibleAndKeyedByOffset) {
  AttentionParams p = makeParams(2, 7, 11, 6, 3, 10, 10, true, 0.3);
  const Inputs in = makeInputs(p, 500);
  const auto a = runAttention<float>(p, in);
  const auto b = runAttention<float>(p, in);
  EXPECT_TRUE(bitwiseEqual(a.out, b.out));
  // The softmax statistics do not see the mask.
  AttentionParams noDropout = p;
  noDropout.dropout = 0.0;
  EXPECT_TRUE(bitwiseEqual(a.lse, runAttention<float>(noDropout, in).lse));
  p.offset += 1;
  EXPECT_FALSE(bitwiseEqual(a.out, runAttention<float>(p, in).out));
}

TEST(AttentionKernelTest, WorkspaceForFewerThreadsAndOwnWorkspace) {
  const AttentionParams p = makeParams(2, 70, 90, 4, 2, 8, 8, true);
  const Inputs in = makeInputs(p, 600);
  const auto dout = randomVector(
      p.batch * p.querySeq * p.queryHeads * p.valueDim, 601);
  const auto ref = runAttention<float>(p, in, &dout);
  const auto own = runAttention<float>(p, in, &dout, /*ownWorkspace=*/true);
  EXPECT_TRUE(bitwiseEqual(ref.out, own.out));
  EXPECT_TRUE(bitwiseEqual(ref.dk, own.dk));
  // A workspace for one thread: the kernel runs on one thread.
  withThreads(2, [&] {
    const auto q = convert<float>(in.q), k = convert<float>(in.k),
               v = convert<float>(in.v);
    std::vector<float> out(ref.out.size()), lse(ref.lse.size());
    std::vector<std::byte> ws(attentionWorkspaceSize<float>(p, 1));
    attentionForward<float>(p, q.data(), k.data(), v.data(), out.data(),
                            lse.data(), ws.data(), ws.size());
    EXPECT_TRUE(bitwiseEqual(out, ref.out));
  });
}

//===----------------------------------------------------------------------===//
// Key/value caches: queryPositions and keyBatchStride
//===----------------------------------------------------------------------===//

/// A cache of T positions per sequence and queries at given positions.
struct CachedCase {
  int64_t B, S, T, H, G, D, E;
  std::vector<int32_t> positions; // [B, S]
};

std::string describe(const CachedCase &c) {
  std::ostringstream os;
  os << "B=" << c.B << " S=" << c.S << " T=" << c.T << " H=" << c.H
     << " G=" << c.G << " D=" << c.D << " E=" << c.E << " positions";
  for (int32_t p : c.positions)
    os << ' ' << p;
  return os.str();
}

/// Contiguous positions [start[b], start[b] + S) per batch element.
std::vector<int32_t> contiguousPositions(const std::vector<int32_t> &start,
                                         int64_t S) {
  std::vector<int32_t> positions;
  for (int32_t p0 : start)
    for (int64_t s = 0; s < S; ++s)
      positions.push_back(p0 + int32_t(s));
  return positions;
}

AttentionParams cachedParams(const CachedCase &c) {
  AttentionParams p = makeParams(c.B, c.S, c.T, c.H, c.G, c.D, c.E, true);
  p.keyBatchStride = c.T;
  p.queryPositions = c.positions.data();
  return p;
}

/// Out and lse of the cached kernel in T.
template <typename T>
Result<T> runCached(const CachedCase &c, const Inputs &in) {
  const AttentionParams p = cachedParams(c);
  Result<T> r;
  const auto q = convert<T>(in.q), k = convert<T>(in.k), v = convert<T>(in.v);
  r.out.assign(size_t(c.B * c.S * c.H * c.E), T(NAN));
  r.lse.assign(size_t(c.B * c.H * c.S), T(NAN));
  std::vector<std::byte> ws(
      attentionWorkspaceSize<T>(p, omp_get_max_threads()));
  attentionForward<T>(p, q.data(), k.data(), v.data(), r.out.data(),
                      r.lse.data(), ws.data(), ws.size());
  return r;
}

/// Plain causal attention of batch element b's queries over the first
/// positions[b, S-1] + 1 cache rows (the prefix the queries' positions end
/// at; the queries are the last S positions of it), through the kernel
/// without a cache (T) and through the double reference (ref). Written into
/// the [B, S, H, E] and [B, H, S] layouts.
template <typename T>
void prefixAttention(const CachedCase &c, const Inputs &in,
                     std::vector<double> &ref, std::vector<double> &refLse,
                     Result<T> &plain) {
  ref.assign(size_t(c.B * c.S * c.H * c.E), 0.0);
  refLse.assign(size_t(c.B * c.H * c.S), 0.0);
  plain.out.assign(ref.size(), T(0));
  plain.lse.assign(refLse.size(), T(0));
  for (int64_t b = 0; b < c.B; ++b) {
    const int64_t prefix = c.positions[size_t(b * c.S + c.S - 1)] + 1;
    const AttentionParams p =
        makeParams(1, c.S, prefix, c.H, c.G, c.D, c.E, true);
    Inputs slice;
    auto rows = [&](const std::vector<double> &x, int64_t rowsPerBatch,
                    int64_t count, int64_t width) {
      auto first = x.begin() + b * rowsPerBatch * width;
      return std::vector<double>(first, first + count * width);
    };
    slice.q = rows(in.q, c.S, c.S, c.H * c.D);
    slice.k = rows(in.k, c.T, prefix, c.G * c.D);
    slice.v = rows(in.v, c.T, prefix, c.G * c.E);
    std::vector<double> lse;
    const auto out = referenceAttention(p, slice.q, slice.k, slice.v, &lse);
    const auto kernel = runAttention<T>(p, slice);
    std::copy(out.begin(), out.end(), ref.begin() + b * c.S * c.H * c.E);
    std::copy(lse.begin(), lse.end(), refLse.begin() + b * c.H * c.S);
    std::copy(kernel.out.begin(), kernel.out.end(),
              plain.out.begin() + b * c.S * c.H * c.E);
    std::copy(kernel.lse.begin(), kernel.lse.end(),
              plain.lse.begin() + b * c.H * c.S);
  }
}

Inputs makeCacheInputs(const CachedCase &c, uint32_t seed) {
  return {randomVector(c.B * c.S * c.H * c.D, seed, -2.0, 2.0),
          randomVector(c.B * c.T * c.G * c.D, seed + 1, -2.0, 2.0),
          randomVector(c.B * c.T * c.G * c.E, seed + 2)};
}

/// Decode (one query per sequence), chunked prefill (S queries at
/// [p0, p0 + S)), with batch elements at different positions; GQA, MQA and
/// MHA; positions at the cache's ends and across several key tiles and
/// query blocks.
std::vector<CachedCase> cachedCases() {
  return {
      {2, 1, 37, 6, 2, 8, 8, {0, 36}},                           // decode ends
      {2, 1, 37, 6, 2, 8, 8, {17, 5}},                           // decode
      {1, 1, 600, 4, 1, 16, 12, {520}},                          // MQA, tiles
      {2, 5, 40, 6, 3, 10, 10, contiguousPositions({3, 11}, 5)}, // prefill
      {2, 5, 40, 4, 4, 8, 6, contiguousPositions({0, 35}, 5)},   // MHA, D != E
      {2, 70, 600, 4, 2, 8, 8, contiguousPositions({0, 450}, 70)}, // blocks
  };
}

TEST(AttentionKernelTest, CachedAttentionEqualsCausalAttentionOverThePrefix) {
  uint32_t seed = 700;
  for (const CachedCase &c : cachedCases()) {
    SCOPED_TRACE(describe(c));
    const Inputs in = makeCacheInputs(c, seed += 10);
    std::vector<double> ref, refLse;
    Result<double> plainD;
    Result<float> plainF;
    prefixAttention(c, in, ref, refLse, plainD);
    prefixAttention(c, in, ref, refLse, plainF);
    const auto d = runCached<double>(c, in);
    const auto f = runCached<float>(c, in);
    EXPECT_LT(relativeError(d.out, ref), 1e-12);
    EXPECT_LT(relativeError(f.out, ref), 2e-6);
    EXPECT_LT(relativeError(d.lse, refLse), 1e-12);
    EXPECT_LT(relativeError(f.lse, refLse), 1e-6);
    // The same tiles in the same order as the kernel without a cache.
    EXPECT_LT(relativeError(d.out, plainD.out), 1e-14);
    EXPECT_LT(relativeError(f.out, plainF.out), 1e-6);
  }
}

TEST(AttentionKernelTest, CachedAttentionReadsNoKeyBeyondThePositions) {
  // NaN keys and values after each sequence's last position: a kernel that
  // read them (or weighed them with 0) would return NaN.
  uint32_t seed = 800;
  for (const CachedCase &c : cachedCases()) {
    SCOPED_TRACE(describe(c));
    const Inputs in = makeCacheInputs(c, seed += 10);
    Inputs poisoned = in;
    for (int64_t b = 0; b < c.B; ++b) {
      int32_t last = 0;
      for (int64_t s = 0; s < c.S; ++s)
        last = std::max(last, c.positions[size_t(b * c.S + s)]);
      for (int64_t t = last + 1; t < c.T; ++t) {
        for (int64_t i = 0; i < c.G * c.D; ++i)
          poisoned.k[size_t((b * c.T + t) * c.G * c.D + i)] = NAN;
        for (int64_t i = 0; i < c.G * c.E; ++i)
          poisoned.v[size_t((b * c.T + t) * c.G * c.E + i)] = NAN;
      }
    }
    EXPECT_TRUE(bitwiseEqual(runCached<float>(c, in).out,
                             runCached<float>(c, poisoned).out));
    EXPECT_TRUE(bitwiseEqual(runCached<double>(c, in).out,
                             runCached<double>(c, poisoned).out));
  }
  // A decode row reads exactly its own prefix: even the keys between it and
  // the other rows' positions stay unread.
  CachedCase c{1, 1, 50, 2, 1, 4, 4, {9}};
  const Inputs in = makeCacheInputs(c, 900);
  Inputs poisoned = in;
  std::fill(poisoned.k.begin() + 10 * 4, poisoned.k.end(), NAN);
  std::fill(poisoned.v.begin() + 10 * 4, poisoned.v.end(), NAN);
  EXPECT_TRUE(bitwiseEqual(runCached<float>(c, in).out,
                           runCached<float>(c, poisoned).out));
}

TEST(AttentionKernelTest, CachedAttentionWithoutKeysGivesZeros) {
  // A negative position attends nothing, like a causal row with no key.
  CachedCase c{2, 1, 8, 2, 1, 4, 4, {-1, 3}};
  const auto r = runCached<float>(c, makeCacheInputs(c, 950));
  for (int64_t i = 0; i < c.H * c.E; ++i)
    EXPECT_EQ(r.out[size_t(i)], 0.0f);
  EXPECT_TRUE(std::isinf(r.lse[0]) && r.lse[0] < 0);
  EXPECT_TRUE(std::isfinite(r.lse[size_t(c.H)]));
}

TEST(AttentionKernelTest, KeyBatchStrideReadsTheLeadingRowsOfEachBatch) {
  // Causal attention over the first 9 of 20 rows per batch element equals
  // attention over a contiguous copy of those rows.
  const int64_t stride = 20;
  AttentionParams p = makeParams(2, 9, 9, 4, 2, 8, 8, true);
  const Inputs in = makeInputs(p, 1000);
  Inputs strided{in.q, {}, {}};
  strided.k.assign(size_t(p.batch * stride * p.kvHeads * p.headDim), NAN);
  strided.v.assign(size_t(p.batch * stride * p.kvHeads * p.valueDim), NAN);
  const int64_t kw = p.kvHeads * p.headDim, vw = p.kvHeads * p.valueDim;
  for (int64_t b = 0; b < p.batch; ++b) {
    std::copy_n(in.k.begin() + b * p.keySeq * kw, p.keySeq * kw,
                strided.k.begin() + b * stride * kw);
    std::copy_n(in.v.begin() + b * p.keySeq * vw, p.keySeq * vw,
                strided.v.begin() + b * stride * vw);
  }
  const auto contiguous = runAttention<float>(p, in);
  p.keyBatchStride = stride;
  const auto got = runAttention<float>(p, strided);
  EXPECT_TRUE(bitwiseEqual(got.out, contiguous.out));
  EXPECT_TRUE(bitwiseEqual(got.lse, contiguous.lse));
}

//===----------------------------------------------------------------------===//
// Query heads sharded over tensor-parallel ranks: maskHeads, maskHeadOffset
//===----------------------------------------------------------------------===//

/// Rank r of tp's share of attention |p|: query heads [r * H/tp, (r+1) *
/// H/tp) with the dropout mask of those global heads, and the key/value
/// groups they read: G/tp of them when tp divides G, else (G = 1) the one
/// shared group, replicated on every rank.
AttentionParams rankParams(const AttentionParams &p, int64_t tp, int64_t r,
                           int64_t *groupBegin) {
  AttentionParams local = p;
  local.queryHeads = p.queryHeads / tp;
  local.kvHeads = p.kvHeads % tp == 0 ? p.kvHeads / tp : 1;
  local.maskHeads = p.queryHeads;
  local.maskHeadOffset = r * local.queryHeads;
  *groupBegin = p.kvHeads % tp == 0 ? r * local.kvHeads : 0;
  return local;
}

Inputs rankInputs(const AttentionParams &p, const AttentionParams &local,
                  int64_t groupBegin, const Inputs &in) {
  return {sliceMiddle(in.q, p.queryHeads, p.headDim, local.maskHeadOffset,
                      local.queryHeads),
          sliceMiddle(in.k, p.kvHeads, p.headDim, groupBegin, local.kvHeads),
          sliceMiddle(in.v, p.kvHeads, p.valueDim, groupBegin, local.kvHeads)};
}

/// For tp = 1..4 (those dividing H, and G unless G = 1): each rank's
/// forward and backward over its heads equals the head slices of the
/// unsharded kernel's, with dropout, causal masking, S < T. dk and dv are
/// the rank's groups' slices, or, with one group replicated on all ranks,
/// partial sums whose sum over the ranks is the full gradient.
template <typename T>
void checkHeadShards(const AttentionParams &p, double tol, uint32_t seed) {
  SCOPED_TRACE(describe(p));
  const int64_t H = p.queryHeads, G = p.kvHeads, D = p.headDim, E = p.valueDim;
  const Inputs in = makeInputs(p, seed);
  const auto dout = randomVector(p.batch * p.querySeq * H * E, seed + 5);
  const Result<T> full = runAttention<T>(p, in, &dout);
  for (int64_t tp = 1; tp <= 4; ++tp) {
    if (H % tp != 0 || (G % tp != 0 && G != 1))
      continue;
    SCOPED_TRACE("tp=" + std::to_string(tp));
    const bool replicated = G % tp != 0;
    std::vector<double> dkSum(full.dk.size(), 0.0), dvSum(full.dv.size(), 0.0);
    for (int64_t r = 0; r < tp; ++r) {
      SCOPED_TRACE("rank " + std::to_string(r));
      int64_t g0 = 0;
      const AttentionParams local = rankParams(p, tp, r, &g0);
      const int64_t h0 = local.maskHeadOffset, Hl = local.queryHeads,
                    Gl = local.kvHeads;
      const auto doutLocal = sliceMiddle(dout, H, E, h0, Hl);
      const Result<T> got =
          runAttention<T>(local, rankInputs(p, local, g0, in), &doutLocal);
      EXPECT_LT(relativeError(got.out, sliceMiddle(full.out, H, E, h0, Hl)),
                tol);
      EXPECT_LT(
          relativeError(got.lse, sliceMiddle(full.lse, H, p.querySeq, h0, Hl)),
          tol);
      EXPECT_LT(relativeError(got.dq, sliceMiddle(full.dq, H, D, h0, Hl)), tol);
      if (replicated) {
        for (size_t i = 0; i < dkSum.size(); ++i)
          dkSum[i] += double(got.dk[i]);
        for (size_t i = 0; i < dvSum.size(); ++i)
          dvSum[i] += double(got.dv[i]);
      } else {
        EXPECT_LT(relativeError(got.dk, sliceMiddle(full.dk, G, D, g0, Gl)),
                  tol);
        EXPECT_LT(relativeError(got.dv, sliceMiddle(full.dv, G, E, g0, Gl)),
                  tol);
      }
    }
    if (replicated) {
      EXPECT_LT(relativeError(dkSum, full.dk), tol);
      EXPECT_LT(relativeError(dvSum, full.dv), tol);
    }
  }
}

std::vector<AttentionParams> headShardCases() {
  return {makeParams(2, 7, 7, 12, 12, 4, 3, true, 0.3),    // MHA, D != E
          makeParams(2, 5, 9, 12, 6, 4, 4, true, 0.3),     // GQA, S < T
          makeParams(1, 7, 7, 12, 1, 4, 4, true, 0.5),     // MQA, replicated kv
          makeParams(1, 40, 70, 12, 4, 8, 8, false, 0.2)}; // several blocks
}

TEST(AttentionKernelTest, HeadShardsWithMaskHeadsMatchUnshardedKernel) {
  uint32_t seed = 1100;
  for (const AttentionParams &p : headShardCases()) {
    checkHeadShards<float>(p, 1e-6, seed += 10);
    checkHeadShards<double>(p, 1e-12, seed);
  }
}

TEST(AttentionKernelTest, HeadShardsWithoutMaskHeadsDrawOtherMasks) {
  // The negative control: a rank that indexes the mask by its local heads
  // draws head 0's bits for its first head, not its own.
  const AttentionParams p = makeParams(2, 7, 7, 12, 12, 4, 3, true, 0.3);
  const Inputs in = makeInputs(p, 1200);
  const auto full = runAttention<double>(p, in);
  int64_t g0 = 0;
  AttentionParams local = rankParams(p, 2, 1, &g0);
  const auto want = sliceMiddle(full.out, 12, 3, 6, 6);
  EXPECT_LT(
      relativeError(
          runAttention<double>(local, rankInputs(p, local, g0, in)).out, want),
      1e-12);
  local.maskHeads = 0;
  local.maskHeadOffset = 0;
  EXPECT_GT(
      relativeError(
          runAttention<double>(local, rankInputs(p, local, g0, in)).out, want),
      1e-3);
}

TEST(AttentionKernelTest, CachedHeadShardsWithMaskHeadsMatchUnshardedKernel) {
  // The forward with a key/value cache indexes the mask the same way.
  const int64_t B = 2, S = 3, T = 10, H = 12;
  const std::vector<int32_t> positions = contiguousPositions({2, 7}, S);
  for (const int64_t G : {int64_t(6), int64_t(1)}) {
    AttentionParams p = makeParams(B, S, T, H, G, 4, 4, true, 0.3);
    p.keyBatchStride = T;
    p.queryPositions = positions.data();
    SCOPED_TRACE(describe(p));
    const Inputs in = makeInputs(p, 1300);
    const auto fullF = runAttention<float>(p, in);
    const auto fullD = runAttention<double>(p, in);
    for (int64_t tp : {2, 3}) {
      for (int64_t r = 0; r < tp; ++r) {
        SCOPED_TRACE("tp=" + std::to_string(tp) + " rank " + std::to_string(r));
        int64_t g0 = 0;
        const AttentionParams local = rankParams(p, tp, r, &g0);
        const Inputs localIn = rankInputs(p, local, g0, in);
        const int64_t h0 = local.maskHeadOffset, Hl = local.queryHeads;
        const auto f = runAttention<float>(local, localIn);
        const auto d = runAttention<double>(local, localIn);
        EXPECT_LT(relativeError(f.out, sliceMiddle(fullF.out, H, 4, h0, Hl)),
                  1e-6);
        EXPECT_LT(relativeError(d.out, sliceMiddle(fullD.out, H, 4, h0, Hl)),
                  1e-12);
        EXPECT_LT(relativeError(f.lse, sliceMiddle(fullF.lse, H, S, h0, Hl)),
                  1e-6);
      }
    }
  }
}

} // namespace
} // namespace strata::runtime::cpu
