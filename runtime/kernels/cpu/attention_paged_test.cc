//===- attention_paged_test.cc - attention over a paged KV cache ----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The paged forward (AttentionParams::blockTable) against the same kernel
// over a per-row cache holding the same keys: the blocks of each row are a
// random permutation of a pool with spare blocks, whose unused rows and
// blocks are NaN, so reading any of them would show.
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/attention.h"

#include "runtime/kernels/cpu/testing/kernel_test_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

namespace strata::runtime::cpu {
namespace {

using namespace testing;

struct PagedCase {
  int64_t B, S, T, H, G, D, E; // T: the per-row cache's length
  int64_t N;                   // positions per block
  std::vector<int32_t> positions; // [B, S]
};

std::string describe(const PagedCase &c) {
  std::ostringstream os;
  os << "B=" << c.B << " S=" << c.S << " T=" << c.T << " H=" << c.H
     << " G=" << c.G << " N=" << c.N << " positions";
  for (int32_t p : c.positions)
    os << ' ' << p;
  return os.str();
}

/// [p0, p0 + S) per row.
std::vector<int32_t> from(const std::vector<int32_t> &starts, int64_t S) {
  std::vector<int32_t> positions;
  for (int32_t p0 : starts)
    for (int64_t s = 0; s < S; ++s)
      positions.push_back(p0 + int32_t(s));
  return positions;
}

/// Decode and chunked prefill, GQA and MQA, keys spanning many blocks of 16
/// and of 5 (tiles end at every block boundary), positions at a block's
/// first and last row.
std::vector<PagedCase> pagedCases() {
  std::vector<PagedCase> cases;
  for (int64_t N : {16, 5}) {
    cases.push_back({2, 1, 40, 6, 2, 8, 8, N, {39, 15}});       // decode, GQA
    cases.push_back({3, 1, 37, 4, 1, 16, 12, N, {0, 20, 36}});  // MQA, D != E
    cases.push_back({2, 5, 40, 6, 3, 10, 10, N, from({11, 30}, 5)}); // prefill
    cases.push_back({1, 70, 600, 4, 2, 8, 8, N, from({450}, 70)});   // tiles
  }
  return cases;
}

struct Paged {
  int64_t W = 0, M = 0;
  std::vector<int32_t> table;  // [B, W]
  std::vector<double> k, v;    // pools [M, N, G, D] and [M, N, G, E]
};

/// The per-row caches |k| [B, T, G, D] and |v| as a pool of B * W + 3
/// blocks in random order; everything no row's positions [0, T) reach is
/// NaN.
Paged page(const PagedCase &c, const std::vector<double> &k,
           const std::vector<double> &v, uint32_t seed) {
  Paged p;
  p.W = (c.T + c.N - 1) / c.N;
  p.M = c.B * p.W + 3;
  std::vector<int32_t> blocks(size_t(p.M));
  for (int64_t i = 0; i < p.M; ++i)
    blocks[size_t(i)] = int32_t(i);
  std::shuffle(blocks.begin(), blocks.end(), std::mt19937(seed));
  p.table.assign(blocks.begin(), blocks.begin() + c.B * p.W);
  const int64_t kw = c.G * c.D, vw = c.G * c.E;
  p.k.assign(size_t(p.M * c.N * kw), NAN);
  p.v.assign(size_t(p.M * c.N * vw), NAN);
  for (int64_t b = 0; b < c.B; ++b)
    for (int64_t t = 0; t < c.T; ++t) {
      const int64_t row = p.table[size_t(b * p.W + t / c.N)] * c.N + t % c.N;
      std::copy_n(k.begin() + (b * c.T + t) * kw, kw, p.k.begin() + row * kw);
      std::copy_n(v.begin() + (b * c.T + t) * vw, vw, p.v.begin() + row * vw);
    }
  return p;
}

AttentionParams params(const PagedCase &c) {
  AttentionParams p{};
  p.batch = c.B;
  p.querySeq = c.S;
  p.keySeq = c.T;
  p.queryHeads = c.H;
  p.kvHeads = c.G;
  p.headDim = c.D;
  p.valueDim = c.E;
  p.scale = 1.0 / std::sqrt(double(c.D));
  p.causal = true;
  p.queryPositions = c.positions.data();
  return p;
}

/// The forward in T over the pools of |paged|, or over the per-row caches
/// |k|, |v| when it is null.
template <typename T>
std::vector<T> run(const PagedCase &c, const std::vector<double> &q,
                   const std::vector<double> &rowK,
                   const std::vector<double> &rowV, const Paged *paged) {
  AttentionParams p = params(c);
  const std::vector<double> &k = paged ? paged->k : rowK;
  const std::vector<double> &v = paged ? paged->v : rowV;
  if (paged) {
    p.keySeq = paged->W * c.N;
    p.blockTable = paged->table.data();
    p.blockSize = c.N;
    p.numBlocks = paged->M;
    p.tableWidth = paged->W;
  }
  const auto qt = convert<T>(q), kt = convert<T>(k), vt = convert<T>(v);
  std::vector<T> out(size_t(c.B * c.S * c.H * c.E), T(NAN));
  std::vector<AccumulatorOf<T>> lse(size_t(c.B * c.H * c.S));
  std::vector<std::byte> ws(
      attentionWorkspaceSize<T>(p, omp_get_max_threads()));
  attentionForward<T>(p, qt.data(), kt.data(), vt.data(), out.data(),
                      lse.data(), ws.data(), ws.size());
  return out;
}

TEST(AttentionPagedTest, PagedEqualsPerRowCacheOverPermutedBlocks) {
  uint32_t seed = 40;
  for (const PagedCase &c : pagedCases()) {
    SCOPED_TRACE(describe(c));
    const auto q = randomVector(c.B * c.S * c.H * c.D, ++seed, -2.0, 2.0);
    const auto k = randomVector(c.B * c.T * c.G * c.D, ++seed, -2.0, 2.0);
    const auto v = randomVector(c.B * c.T * c.G * c.E, ++seed);
    const Paged paged = page(c, k, v, ++seed);
    // Tiles end at block boundaries, so sums are grouped differently from
    // the per-row cache's 256-key tiles: equal to rounding.
    const auto d = run<double>(c, q, k, v, &paged);
    EXPECT_LT(relativeError(d, run<double>(c, q, k, v, nullptr)), 1e-13);
    const auto f = run<float>(c, q, k, v, &paged);
    EXPECT_LT(relativeError(f, run<float>(c, q, k, v, nullptr)), 2e-6);
    for (float x : f)
      ASSERT_TRUE(std::isfinite(x)); // no NaN row or spare block was read
    const auto h = run<bf16>(c, q, k, v, &paged);
    EXPECT_LT(relativeError(h, run<bf16>(c, q, k, v, nullptr)), 1e-2);
  }
}

TEST(AttentionPagedTest, BlockSizeOfTheWholeContextIsThePerRowCache) {
  // One block per row holding all T positions, in the identity order:
  // the same tiles as the per-row cache, so the same bits.
  PagedCase c{2, 5, 40, 6, 3, 10, 10, 40, from({11, 30}, 5)};
  const auto q = randomVector(c.B * c.S * c.H * c.D, 1, -2.0, 2.0);
  const auto k = randomVector(c.B * c.T * c.G * c.D, 2, -2.0, 2.0);
  const auto v = randomVector(c.B * c.T * c.G * c.E, 3);
  Paged paged;
  paged.W = 1;
  paged.M = 2;
  paged.table = {0, 1};
  paged.k = k;
  paged.v = v;
  EXPECT_TRUE(bitwiseEqual(run<float>(c, q, k, v, &paged),
                           run<float>(c, q, k, v, nullptr)));
}

} // namespace
} // namespace strata::runtime::cpu
