//===- cross_entropy_test.cc - tests of cross_entropy.h -----------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/cross_entropy.h"

#include "runtime/kernels/cpu/testing/kernel_test_util.h"

#include <gtest/gtest.h>

#include <limits>

namespace strata::runtime::cpu {
namespace {

using namespace testing;

std::vector<int32_t> randomLabels(int64_t N, int64_t V, uint32_t seed) {
  std::mt19937 gen(seed);
  std::vector<int32_t> labels(static_cast<size_t>(N));
  for (auto &l : labels)
    l = int32_t(gen() % uint32_t(V));
  return labels;
}

std::vector<double> referenceLoss(const std::vector<double> &logits,
                                  const std::vector<int32_t> &labels,
                                  int64_t N, int64_t V,
                                  std::vector<double> *lse = nullptr) {
  std::vector<double> loss(static_cast<size_t>(N));
  if (lse)
    lse->resize(static_cast<size_t>(N));
  for (int64_t n = 0; n < N; ++n) {
    double s = 0.0;
    for (int64_t v = 0; v < V; ++v)
      s += std::exp(logits[n * V + v]);
    loss[n] = std::log(s) - logits[n * V + labels[n]];
    if (lse)
      (*lse)[n] = std::log(s);
  }
  return loss;
}

template <typename T>
std::vector<double> runBackward(const std::vector<double> &logits,
                                const std::vector<int32_t> &labels,
                                const std::vector<double> &dloss, int64_t N,
                                int64_t V) {
  const auto x = convert<T>(logits), dl = convert<T>(dloss);
  std::vector<T> loss(static_cast<size_t>(N)), lse(static_cast<size_t>(N)), dx(x.size());
  crossEntropyForward<T>(x.data(), labels.data(), N, V, loss.data(), lse.data());
  crossEntropyBackward<T>(x.data(), labels.data(), lse.data(), dl.data(), N, V,
                          dx.data());
  return convert<double>(dx);
}

TEST(CrossEntropyKernelTest, ForwardMatchesReference) {
  const int64_t N = 13, V = 37;
  const auto logits = randomVector(N * V, 1, -8.0, 8.0);
  const auto labels = randomLabels(N, V, 2);
  std::vector<double> refLse;
  const auto ref = referenceLoss(logits, labels, N, V, &refLse);
  std::vector<double> loss(N), lse(N);
  crossEntropyForward<double>(logits.data(), labels.data(), N, V, loss.data(),
                              lse.data());
  EXPECT_LT(relativeError(loss, ref), 1e-13);
  EXPECT_LT(relativeError(lse, refLse), 1e-13);
  const auto xf = convert<float>(logits);
  std::vector<float> lossF(N), lseF(N);
  crossEntropyForward<float>(xf.data(), labels.data(), N, V, lossF.data(),
                             lseF.data());
  EXPECT_LT(relativeError(lossF, ref), 1e-6);
  EXPECT_LT(relativeError(lseF, refLse), 1e-6);
}

TEST(CrossEntropyKernelTest, BackwardMatchesFiniteDifferences) {
  const int64_t N = 13, V = 37;
  const auto logits = randomVector(N * V, 3, -4.0, 4.0);
  const auto labels = randomLabels(N, V, 4);
  const auto w = randomVector(N, 5);
  const auto got = runBackward<double>(logits, labels, w, N, V);
  const auto fd = finiteDifferenceGradient(logits, w, [&](const auto &x) {
    return referenceLoss(x, labels, N, V);
  });
  EXPECT_LT(relativeError(got, fd), 1e-6);
  EXPECT_LT(relativeError(runBackward<float>(logits, labels, w, N, V), got),
            1e-4);
  // In place: dlogits over logits.
  auto x = convert<float>(logits);
  const auto dl = convert<float>(w);
  std::vector<float> loss(N), lse(N);
  crossEntropyForward<float>(x.data(), labels.data(), N, V, loss.data(),
                             lse.data());
  crossEntropyBackward<float>(x.data(), labels.data(), lse.data(), dl.data(),
                              N, V, x.data());
  EXPECT_TRUE(bitwiseEqual(x, convert<float>(runBackward<float>(logits, labels, w, N, V))));
}

TEST(CrossEntropyKernelTest, ValidateLabelsNamesPositionAndValue) {
  std::vector<int32_t> labels = {0, 36, 5, 2, 1};
  EXPECT_TRUE(validateLabels(labels.data(), 5, 37).isOk());
  labels[3] = 37;
  Status s = validateLabels(labels.data(), 5, 37);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "label 37 at position 3 is outside the vocabulary [0, 37)");
  labels[1] = -2;
  s = validateLabels(labels.data(), 5, 37);
  EXPECT_EQ(s.message(), "label -2 at position 1 is outside the vocabulary [0, 37)");
  // -1 is an ignored label, not an error.
  labels = {0, kIgnoredLabel, 5};
  EXPECT_TRUE(validateLabels(labels.data(), 3, 37).isOk());
  EXPECT_EQ(countedLabels(labels.data(), 3), 2);
}

TEST(CrossEntropyKernelTest, IgnoredRowsHaveZeroLossAndGradient) {
  const int64_t N = 4, V = 7;
  const auto x = convert<float>(randomVector(N * V, 11));
  const std::vector<int32_t> labels = {3, kIgnoredLabel, 6, kIgnoredLabel};
  std::vector<float> loss(N), lse(N), dx(N * V), dl(N, 1.0f);
  crossEntropyForward<float>(x.data(), labels.data(), N, V, loss.data(),
                             lse.data());
  crossEntropyBackward<float>(x.data(), labels.data(), lse.data(), dl.data(),
                              N, V, dx.data());
  // The counted rows are what the kernel gives them alone.
  const std::vector<int32_t> counted = {3, 6};
  std::vector<float> x2(2 * V), loss2(2), lse2(2), dx2(2 * V), dl2(2, 1.0f);
  std::copy_n(x.begin(), V, x2.begin());
  std::copy_n(x.begin() + 2 * V, V, x2.begin() + V);
  crossEntropyForward<float>(x2.data(), counted.data(), 2, V, loss2.data(),
                             lse2.data());
  crossEntropyBackward<float>(x2.data(), counted.data(), lse2.data(),
                              dl2.data(), 2, V, dx2.data());
  EXPECT_EQ(loss[0], loss2[0]);
  EXPECT_EQ(loss[2], loss2[1]);
  EXPECT_EQ(loss[1], 0.0f);
  EXPECT_EQ(loss[3], 0.0f);
  for (int64_t v = 0; v < V; ++v) {
    EXPECT_EQ(dx[v], dx2[v]);
    EXPECT_EQ(dx[2 * V + v], dx2[V + v]);
    EXPECT_EQ(dx[V + v], 0.0f);
    EXPECT_EQ(dx[3 * V + v], 0.0f);
  }
  // The vocabulary-parallel combination (one rank) agrees.
  std::vector<float> stats(N * kCrossEntropyStats), lossTp(N), lseTp(N);
  crossEntropyShardStats<float>(x.data(), labels.data(), N, V, 0,
                                stats.data());
  crossEntropyCombineStats<float>(stats.data(), labels.data(), N, 1,
                                  lossTp.data(), lseTp.data());
  EXPECT_EQ(lossTp[1], 0.0f);
  EXPECT_EQ(lossTp[3], 0.0f);
  EXPECT_NEAR(lossTp[0], loss[0], 1e-6);
  std::vector<float> dxTp(N * V);
  crossEntropyBackwardShard<float>(x.data(), labels.data(), lseTp.data(),
                                   dl.data(), N, V, 0, dxTp.data());
  for (int64_t v = 0; v < V; ++v)
    EXPECT_EQ(dxTp[V + v], 0.0f);
}

TEST(CrossEntropyKernelTest, BadLabelGivesNanWithoutOutOfBoundsAccess) {
  const int64_t N = 3, V = 5;
  const auto x = convert<float>(randomVector(N * V, 6));
  const std::vector<int32_t> labels = {1, 1 << 30, -7};
  std::vector<float> loss(N), lse(N), dx(N * V), dl(N, 1.0f);
  crossEntropyForward<float>(x.data(), labels.data(), N, V, loss.data(),
                             lse.data());
  crossEntropyBackward<float>(x.data(), labels.data(), lse.data(), dl.data(),
                              N, V, dx.data());
  EXPECT_FALSE(std::isnan(loss[0]));
  EXPECT_TRUE(std::isnan(loss[1]) && std::isnan(loss[2]));
  EXPECT_TRUE(std::isnan(dx[V]) && std::isnan(dx[2 * V]));
}

TEST(CrossEntropyKernelTest, BitwiseIndependentOfThreadCount) {
  const int64_t N = 301, V = 200;
  const auto logits = randomVector(N * V, 7, -5.0, 5.0);
  const auto labels = randomLabels(N, V, 8);
  const auto dl = randomVector(N, 9);
  std::vector<double> one, two;
  withThreads(1, [&] { one = runBackward<float>(logits, labels, dl, N, V); });
  withThreads(2, [&] { two = runBackward<float>(logits, labels, dl, N, V); });
  EXPECT_TRUE(bitwiseEqual(one, two));
}

//===----------------------------------------------------------------------===//
// Vocabulary-parallel shards
//===----------------------------------------------------------------------===//

/// What the ranks of a vocabulary-parallel cross-entropy compute, combined
/// on the host as the collectives would: stats all-gathered into the
/// [N, 3 * tp] layout, dlogits blocks concatenated along the vocabulary.
template <typename T>
struct ShardedCrossEntropy {
  std::vector<T> gathered, loss, lse, dlogits;
};

template <typename T>
ShardedCrossEntropy<T>
runShards(const std::vector<T> &logits, const std::vector<int32_t> &labels,
          const std::vector<T> &dloss, int64_t N, int64_t V, int64_t tp,
          int64_t validVocab = kNoVocabPadding) {
  const int64_t Vl = V / tp, S = kCrossEntropyStats;
  ShardedCrossEntropy<T> res;
  res.gathered.assign(N * S * tp, T(NAN));
  res.dlogits.assign(N * V, T(NAN));
  std::vector<std::vector<T>> local(tp);
  for (int64_t r = 0; r < tp; ++r) {
    // Rank r's block of the logits.
    local[r].resize(N * Vl);
    for (int64_t n = 0; n < N; ++n)
      std::copy_n(logits.begin() + n * V + r * Vl, Vl,
                  local[r].begin() + n * Vl);
    std::vector<T> stats(N * S, T(NAN));
    crossEntropyShardStats<T>(local[r].data(), labels.data(), N, Vl, r * Vl,
                              stats.data(), validVocab);
    for (int64_t n = 0; n < N; ++n) // all-gather along the last dimension
      std::copy_n(stats.begin() + n * S, S,
                  res.gathered.begin() + n * S * tp + r * S);
  }
  // Every rank combines the same gathered stats; one does here.
  res.loss.assign(N, T(NAN));
  res.lse.assign(N, T(NAN));
  crossEntropyCombineStats<T>(res.gathered.data(), labels.data(), N, tp,
                              res.loss.data(),
                              res.lse.data());
  for (int64_t r = 0; r < tp; ++r) {
    std::vector<T> dlocal(N * Vl, T(NAN));
    crossEntropyBackwardShard<T>(local[r].data(), labels.data(), res.lse.data(),
                                 dloss.data(), N, Vl, r * Vl, dlocal.data(),
                                 validVocab);
    // In place over the logits block gives the same bits.
    crossEntropyBackwardShard<T>(local[r].data(), labels.data(), res.lse.data(),
                                 dloss.data(), N, Vl, r * Vl, local[r].data(),
                                 validVocab);
    EXPECT_TRUE(bitwiseEqual(local[r], dlocal)) << "rank " << r;
    for (int64_t n = 0; n < N; ++n)
      std::copy_n(dlocal.begin() + n * Vl, Vl,
                  res.dlogits.begin() + n * V + r * Vl);
  }
  return res;
}

/// N = 7 rows of V logits with labels at block boundaries for tp = 2, 3, 4
/// (first columns of blocks, the last column) and extreme rows: +80 next to
/// -80 in other blocks (exp(80) overflows float, so the shards must
/// subtract their max), a constant -80 row, and near-equal maxima in
/// different blocks.
void shardCase(int64_t V, std::vector<double> &logits,
               std::vector<int32_t> &labels) {
  const int64_t N = 7;
  logits = randomVector(N * V, uint32_t(20 + V), -8.0, 8.0);
  labels = {0, int32_t(V - 1), int32_t(V / 4), int32_t(V / 3),
            int32_t(V / 2), int32_t(2 * V / 3), int32_t(3 * V / 4)};
  auto row = [&](int64_t n) { return logits.begin() + n * V; };
  row(0)[V - 1] = 80.0; // the max in the last block; label 0 in the first
  std::fill(row(1), row(1) + V, -80.0);
  std::fill(row(2), row(2) + V, -80.0);
  row(2)[V / 4] = 80.0; // the label's logit dominates
  row(2)[V / 2] = 79.5;
  for (int64_t v = 0; v < V; ++v) // alternating extremes
    row(3)[v] = v % 2 ? 80.0 : -80.0;
  row(4)[V / 2 - 1] = 80.0; // just before the label's block (tp = 2)
  row(4)[V / 2] = -80.0;
}

template <typename T>
void checkShardsMatchFullKernel(int64_t V, double tol) {
  const int64_t N = 7;
  std::vector<double> logitsD;
  std::vector<int32_t> labels;
  shardCase(V, logitsD, labels);
  const auto logits = convert<T>(logitsD);
  const auto dloss = convert<T>(randomVector(N, 30));
  std::vector<T> loss(N), lse(N), dlogits(N * V);
  crossEntropyForward<T>(logits.data(), labels.data(), N, V, loss.data(),
                         lse.data());
  crossEntropyBackward<T>(logits.data(), labels.data(), lse.data(),
                          dloss.data(), N, V, dlogits.data());
  for (int64_t tp = 1; tp <= 4; ++tp) {
    SCOPED_TRACE("V=" + std::to_string(V) + " tp=" + std::to_string(tp));
    const auto got = runShards(logits, labels, dloss, N, V, tp);
    EXPECT_LT(relativeError(got.loss, loss), tol);
    EXPECT_LT(relativeError(got.lse, lse), tol);
    EXPECT_LT(relativeError(got.dlogits, dlogits), tol);
    // Row-wise too, so that the large rows hide no error in a small one.
    // loss = lse - target carries lse's rounding: relative to lse.
    for (int64_t n = 0; n < N; ++n) {
      const double scale = tol * std::max(1.0, std::fabs(double(lse[n])));
      EXPECT_NEAR(double(got.loss[n]), double(loss[n]), scale) << "row " << n;
      EXPECT_NEAR(double(got.lse[n]), double(lse[n]), scale) << "row " << n;
    }
    // Exactly one rank holds each label's logit.
    const int64_t Vl = V / tp, S = kCrossEntropyStats;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t r = 0; r < tp; ++r) {
        const T target = got.gathered[n * S * tp + r * S + 2];
        const bool owner = labels[n] / Vl == r;
        EXPECT_EQ(target, owner ? logits[n * V + labels[n]] : T(0))
            << "row " << n << " rank " << r;
      }
  }
  // tp = 1 is the full kernel's own reduction: the same max and sum (the
  // rescaling is exp(0) = 1), so the same bits.
  const auto one = runShards(logits, labels, dloss, N, V, 1);
  EXPECT_TRUE(bitwiseEqual(one.loss, loss));
  EXPECT_TRUE(bitwiseEqual(one.lse, lse));
  EXPECT_TRUE(bitwiseEqual(one.dlogits, dlogits));
}

TEST(CrossEntropyKernelTest, ShardsCombineToFullKernel) {
  for (int64_t V : {12, 132}) { // blocks of 3 to 132 columns
    checkShardsMatchFullKernel<float>(V, 1e-6);
    checkShardsMatchFullKernel<double>(V, 1e-12);
  }
}

TEST(CrossEntropyKernelTest, ShardedMeanReductionMatchesFullKernel) {
  // The executor's `mean`: the average of the per-row losses, and
  // dloss = 1 / N on every row; each rank does it on its own.
  const int64_t N = 7, V = 12, tp = 3;
  std::vector<double> logits;
  std::vector<int32_t> labels;
  shardCase(V, logits, labels);
  const std::vector<double> dloss(N, 1.0 / double(N));
  std::vector<double> loss(N), lse(N), dlogits(N * V);
  crossEntropyForward<double>(logits.data(), labels.data(), N, V, loss.data(),
                              lse.data());
  crossEntropyBackward<double>(logits.data(), labels.data(), lse.data(),
                               dloss.data(), N, V, dlogits.data());
  const auto got = runShards(logits, labels, dloss, N, V, tp);
  double full = 0.0, sharded = 0.0;
  for (int64_t n = 0; n < N; ++n) {
    full += loss[n];
    sharded += got.loss[n];
  }
  EXPECT_NEAR(sharded / double(N), full / double(N), 1e-12 * full / N);
  EXPECT_LT(relativeError(got.dlogits, dlogits), 1e-12);
}

TEST(CrossEntropyKernelTest, ShardIgnoresLabelsOutsideWithoutOutOfBounds) {
  // Rank 1 of 3 of a 12-column vocabulary: columns [4, 8), between NaN
  // guard columns, so reading outside the block would show as NaN.
  const int64_t Vl = 4, offset = 4;
  const std::vector<int32_t> labels = {
      3, 4, 7, 8, -1, 1 << 30, -(1 << 30), std::numeric_limits<int32_t>::min()};
  const int64_t N = int64_t(labels.size());
  const auto local = convert<float>(randomVector(N * Vl, 40, -3.0, 3.0));
  std::vector<float> padded(N * Vl + 2, NAN); // a NaN before and after
  std::copy(local.begin(), local.end(), padded.begin() + 1);
  std::vector<float> stats(N * kCrossEntropyStats, NAN);
  crossEntropyShardStats<float>(padded.data() + 1, labels.data(), N, Vl, offset,
                                stats.data());
  for (int64_t n = 0; n < N; ++n) {
    const float *st = stats.data() + n * kCrossEntropyStats;
    const int64_t c = int64_t(labels[n]) - offset;
    EXPECT_FALSE(std::isnan(st[0]) || std::isnan(st[1])) << "row " << n;
    EXPECT_EQ(st[2], c >= 0 && c < Vl ? local[n * Vl + c] : 0.0f)
        << "row " << n;
  }
  // The backward: only in-block labels subtract dloss, none is NaN; the
  // ignored label (-1, row 4) has a zero row.
  const std::vector<float> lse(N, 2.0f), dloss(N, 1.0f);
  std::vector<float> out(N * Vl + 2, NAN);
  crossEntropyBackwardShard<float>(padded.data() + 1, labels.data(), lse.data(),
                                   dloss.data(), N, Vl, offset, out.data() + 1);
  EXPECT_TRUE(std::isnan(out[0]) && std::isnan(out[N * Vl + 1]));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t v = 0; v < Vl; ++v) {
      const float got = out[1 + n * Vl + v];
      const float softmax = std::exp(local[n * Vl + v] - 2.0f);
      const bool hit = int64_t(labels[n]) - offset == v;
      const float expected =
          labels[n] == kIgnoredLabel ? 0.0f : softmax - (hit ? 1.0f : 0.0f);
      EXPECT_NEAR(got, expected, 1e-6f) << "row " << n << " column " << v;
    }
}

//===----------------------------------------------------------------------===//
// Vocabulary padding
//===----------------------------------------------------------------------===//

/// N rows of a vocabulary of V real ids padded to Vp columns whose padding
/// logits are large (+30: unmasked, they would take nearly all the mass),
/// and the same rows without the padding.
struct PaddedCase {
  static constexpr int64_t N = 6, V = 10, Vp = 16;
  std::vector<double> padded, compact;
  std::vector<int32_t> labels = {0, 9, 3, kIgnoredLabel, 5, 7};
  PaddedCase() {
    compact = randomVector(N * V, 77, -4.0, 4.0);
    padded.assign(N * Vp, 30.0);
    for (int64_t n = 0; n < N; ++n)
      std::copy_n(compact.begin() + n * V, V, padded.begin() + n * Vp);
  }
};

TEST(CrossEntropyKernelTest, PaddingColumnsTakeNoMass) {
  const PaddedCase c;
  const int64_t N = c.N, V = c.V, Vp = c.Vp;
  const auto padded = convert<float>(c.padded), compact = convert<float>(c.compact);
  std::vector<float> loss(N), lse(N), lossC(N), lseC(N);
  crossEntropyForward<float>(padded.data(), c.labels.data(), N, Vp, loss.data(),
                             lse.data(), V);
  crossEntropyForward<float>(compact.data(), c.labels.data(), N, V,
                             lossC.data(), lseC.data());
  // The same reduction over the same values: the same bits.
  EXPECT_TRUE(bitwiseEqual(loss, lossC));
  EXPECT_TRUE(bitwiseEqual(lse, lseC));
  // And the softmax over the V real columns, in double.
  std::vector<int32_t> counted = c.labels;
  counted[3] = 0;
  const auto expected = referenceLoss(c.compact, counted, N, V);
  for (int64_t n = 0; n < N; ++n)
    if (n != 3)
      EXPECT_NEAR(loss[n], expected[n], 1e-5) << "row " << n;

  const std::vector<float> dloss(N, 0.5f);
  std::vector<float> grad(N * Vp, NAN), gradC(N * V, NAN);
  crossEntropyBackward<float>(padded.data(), c.labels.data(), lse.data(),
                              dloss.data(), N, Vp, grad.data(), V);
  crossEntropyBackward<float>(compact.data(), c.labels.data(), lseC.data(),
                              dloss.data(), N, V, gradC.data());
  for (int64_t n = 0; n < N; ++n)
    for (int64_t v = 0; v < Vp; ++v)
      if (v < V)
        EXPECT_EQ(grad[n * Vp + v], gradC[n * V + v]) << n << "," << v;
      else
        EXPECT_EQ(grad[n * Vp + v], 0.0f) << "padding " << n << "," << v;
}

TEST(CrossEntropyKernelTest, PaddedShardsCombineToTheRealVocabulary) {
  // tp 4 over 16 columns: the last block [12, 16) is all padding.
  const PaddedCase c;
  const int64_t N = c.N, V = c.V, Vp = c.Vp;
  const std::vector<double> dloss = randomVector(N, 78);
  std::vector<double> lossC(N), lseC(N), gradC(N * V);
  crossEntropyForward<double>(c.compact.data(), c.labels.data(), N, V,
                              lossC.data(), lseC.data());
  crossEntropyBackward<double>(c.compact.data(), c.labels.data(), lseC.data(),
                               dloss.data(), N, V, gradC.data());
  for (int64_t tp : {1, 2, 4}) {
    SCOPED_TRACE("tp=" + std::to_string(tp));
    const auto got = runShards(c.padded, c.labels, dloss, N, Vp, tp, V);
    EXPECT_LT(relativeError(got.loss, lossC), 1e-12);
    EXPECT_LT(relativeError(got.lse, lseC), 1e-12);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t v = 0; v < Vp; ++v)
        if (v < V)
          EXPECT_NEAR(got.dlogits[n * Vp + v], gradC[n * V + v], 1e-12);
        else
          EXPECT_EQ(got.dlogits[n * Vp + v], 0.0) << "padding " << n << "," << v;
  }
  // The all-padding block's statistics weigh nothing.
  const auto four = runShards(c.padded, c.labels, dloss, N, Vp, 4, V);
  const int64_t S = kCrossEntropyStats;
  for (int64_t n = 0; n < N; ++n) {
    const double *st = four.gathered.data() + n * S * 4 + 3 * S;
    EXPECT_EQ(st[0], -std::numeric_limits<double>::infinity());
    EXPECT_EQ(st[1], 0.0);
    EXPECT_EQ(st[2], 0.0);
  }
}

TEST(CrossEntropyKernelTest, LabelInThePaddingIsInvalid) {
  const std::vector<int32_t> labels = {2, 12};
  Status status = validateLabels(labels.data(), 2, /*V=*/10);
  EXPECT_NE(status.toString().find("label 12 at position 1 is outside the "
                                   "vocabulary [0, 10)"),
            std::string::npos)
      << status.toString();
  const PaddedCase c;
  const auto padded = convert<float>(c.padded);
  std::vector<float> loss(2), lse(2), grad(2 * c.Vp);
  const std::vector<float> dloss(2, 1.0f);
  crossEntropyForward<float>(padded.data(), labels.data(), 2, c.Vp, loss.data(),
                             lse.data(), c.V);
  EXPECT_FALSE(std::isnan(loss[0]));
  EXPECT_TRUE(std::isnan(loss[1]));
  crossEntropyBackward<float>(padded.data(), labels.data(), lse.data(),
                              dloss.data(), 2, c.Vp, grad.data(), c.V);
  EXPECT_TRUE(std::isnan(grad[c.Vp]));
}

} // namespace
} // namespace strata::runtime::cpu
