//===- element_types_test.cc - every kernel in f32, bf16 and f16 -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Each kernel in float, bf16 and f16 against its double instantiation on the
// same inputs (random values rounded to the element type, so the reference
// sees exactly what the kernel sees), on odd, non-power-of-two shapes,
// within testing/tolerance.h's bound for the element type. Values the
// dialect keeps in f32 for 16-bit programs (losses, log-sum-exps, norm
// statistics) are held to f32's bound. The double kernels themselves are
// checked against finite differences and PyTorch in the per-kernel tests.
// STRATA_PRINT_ERRORS=1 prints every comparison's two errors (to
// recalibrate testing/tolerance.h).
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/activation.h"
#include "runtime/kernels/cpu/adamw.h"
#include "runtime/kernels/cpu/attention.h"
#include "runtime/kernels/cpu/bias.h"
#include "runtime/kernels/cpu/cross_entropy.h"
#include "runtime/kernels/cpu/dropout.h"
#include "runtime/kernels/cpu/elementwise.h"
#include "runtime/kernels/cpu/embedding.h"
#include "runtime/kernels/cpu/gemm.h"
#include "runtime/kernels/cpu/layer_norm.h"
#include "runtime/kernels/cpu/rms_norm.h"
#include "runtime/kernels/cpu/rotary_embedding.h"
#include "runtime/kernels/cpu/testing/kernel_test_util.h"
#include "runtime/kernels/cpu/testing/tolerance.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

namespace strata::runtime::cpu {
namespace {

using namespace testing;

/// |v| rounded to T and widened back: inputs both instantiations see alike.
template <typename T>
std::vector<double> representable(const std::vector<double> &v) {
  return convert<double>(convert<T>(v));
}

/// Random inputs in [lo, hi) representable in T.
template <typename T>
std::vector<double> inputs(int64_t n, uint32_t seed, double lo = -1.0,
                           double hi = 1.0) {
  return representable<T>(randomVector(n, seed, lo, hi));
}

/// Whether |got| is within the tolerance of element type T (the type whose
/// bound applies: T itself, or float for the values kept in f32).
template <typename T, typename Got>
::testing::AssertionResult close(const std::vector<Got> &got,
                                 const std::vector<double> &ref) {
  Errors e;
  const bool ok = withinTolerance<T>(got, ref, &e);
  if (std::getenv("STRATA_PRINT_ERRORS")) // to recalibrate tolerance.h
    std::printf("errors %s %g %g\n", elementTypeName<T>(), e.maxRelative,
                e.nmse);
  if (ok)
    return ::testing::AssertionSuccess();
  constexpr Tolerance tol = toleranceFor<T>();
  return ::testing::AssertionFailure()
         << elementTypeName<T>() << ": max relative error " << e.maxRelative
         << " (bound "
         << tol.maxRelative << "), nmse " << e.nmse << " (bound " << tol.nmse
         << ")";
}

template <typename T>
class ElementTypeTest : public ::testing::Test {};
using StorageTypes = ::testing::Types<float, bf16, f16>;
TYPED_TEST_SUITE(ElementTypeTest, StorageTypes);

//===----------------------------------------------------------------------===//
// GEMM
//===----------------------------------------------------------------------===//

TYPED_TEST(ElementTypeTest, Gemm) {
  using T = TypeParam;
  struct Case {
    bool ta, tb;
    int64_t M, N, K;
    double alpha, beta;
  };
  const Case cases[] = {
      {false, false, 13, 37, 10, 1.0, 0.0},  {false, true, 13, 37, 10, 0.5, 0.75},
      {true, false, 1, 7, 129, -1.25, 1.0},  {true, true, 7, 1, 3, 2.0, 0.0},
      {false, true, 300, 700, 50, 1.0, 0.0}, {true, false, 3, 2500, 333, 0.5, 1.0},
      {false, false, 97, 131, 517, 1.0, 0.0}};
  for (const Case &c : cases) {
    SCOPED_TRACE(::testing::Message() << c.ta << c.tb << " " << c.M << "x"
                                      << c.N << "x" << c.K);
    const int64_t pad = 3;
    const int64_t lda = (c.ta ? c.M : c.K) + pad, ldb = (c.tb ? c.K : c.N) + pad;
    const int64_t ldc = c.N + pad;
    const auto A = inputs<T>((c.ta ? c.K : c.M) * lda, 1);
    const auto B = inputs<T>((c.tb ? c.N : c.K) * ldb, 2);
    auto C0 = inputs<T>(c.M * ldc, 3);
    if (c.beta == 0.0) // beta = 0 must not read C
      std::fill(C0.begin(), C0.end(), NAN);
    const Transpose ta = c.ta ? Transpose::kYes : Transpose::kNo;
    const Transpose tb = c.tb ? Transpose::kYes : Transpose::kNo;
    std::vector<double> ref = C0;
    gemm<double>(ta, tb, c.M, c.N, c.K, c.alpha, A.data(), lda, B.data(), ldb,
                 c.beta, ref.data(), ldc);
    const auto a = convert<T>(A), b = convert<T>(B);
    std::vector<T> got = convert<T>(C0);
    gemm<T>(ta, tb, c.M, c.N, c.K, AccumulatorOf<T>(c.alpha), a.data(), lda,
            b.data(), ldb, AccumulatorOf<T>(c.beta), got.data(), ldc);
    // Padding columns keep their (NaN) values on both sides.
    EXPECT_TRUE(close<T>(got, ref));
    if constexpr (!std::is_same_v<T, float>) {
      // The same product into an f32 C: no 16-bit rounding of the result.
      std::vector<float> got32 = convert<float>(C0);
      gemmToFloat<T>(ta, tb, c.M, c.N, c.K, float(c.alpha), a.data(), lda,
                     b.data(), ldb, float(c.beta), got32.data(), ldc);
      EXPECT_TRUE(close<float>(got32, ref));
      // gemm<T> is gemmToFloat rounded once.
      for (size_t i = 0; i < got.size(); ++i)
        if (!std::isnan(got32[i]))
          ASSERT_EQ(got[i].bits, T(got32[i]).bits) << i;
    }
  }
}

TYPED_TEST(ElementTypeTest, BatchedGemmEqualsSeparateCalls) {
  using T = TypeParam;
  const int64_t batch = 3, M = 33, N = 65, K = 17;
  const auto A = convert<T>(inputs<T>(batch * M * K, 4));
  const auto B = convert<T>(inputs<T>(batch * N * K, 5));
  std::vector<T> batched(size_t(batch * M * N)), separate(batched.size());
  batchedGemm<T>(Transpose::kNo, Transpose::kYes, batch, M, N, K, 1.0f,
                 A.data(), K, M * K, B.data(), K, N * K, 0.0f, batched.data(),
                 N, M * N);
  for (int64_t i = 0; i < batch; ++i)
    gemm<T>(Transpose::kNo, Transpose::kYes, M, N, K, 1.0f,
            A.data() + i * M * K, K, B.data() + i * N * K, K, 0.0f,
            separate.data() + i * M * N, N);
  EXPECT_TRUE(bitwiseEqual(batched, separate));
}

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

TYPED_TEST(ElementTypeTest, LayerNorm) {
  using T = TypeParam;
  using A = AccumulatorOf<T>;
  const int64_t N = 13, H = 257;
  const auto x = inputs<T>(N * H, 1, -2.0, 3.0), gamma = inputs<T>(H, 2, 0.5, 1.5);
  const auto beta = inputs<T>(H, 3), dy = inputs<T>(N * H, 4);
  std::vector<double> y(N * H), mean(N), rstd(N), dx(N * H), dg(H), db(H);
  layerNormForward<double>(x.data(), gamma.data(), beta.data(), N, H, 1e-5,
                           y.data(), mean.data(), rstd.data());
  layerNormBackward<double>(dy.data(), x.data(), gamma.data(), mean.data(),
                            rstd.data(), N, H, dx.data(), dg.data(), db.data());
  const auto xt = convert<T>(x), gt = convert<T>(gamma), bt = convert<T>(beta),
             dyt = convert<T>(dy);
  std::vector<T> yt(N * H), dxt(N * H), dgt(H), dbt(H);
  std::vector<A> meant(N), rstdt(N), mean2(N), rstd2(N);
  layerNormForward<T>(xt.data(), gt.data(), bt.data(), N, H, 1e-5, yt.data(),
                      meant.data(), rstdt.data());
  layerNormStatistics<T>(xt.data(), N, H, 1e-5, mean2.data(), rstd2.data());
  layerNormBackward<T>(dyt.data(), xt.data(), gt.data(), meant.data(),
                       rstdt.data(), N, H, dxt.data(), dgt.data(), dbt.data());
  EXPECT_TRUE(close<T>(yt, y));
  EXPECT_TRUE(close<float>(meant, mean));
  EXPECT_TRUE(close<float>(rstdt, rstd));
  EXPECT_TRUE(bitwiseEqual(meant, mean2));
  EXPECT_TRUE(bitwiseEqual(rstdt, rstd2));
  EXPECT_TRUE(close<T>(dxt, dx));
  EXPECT_TRUE(close<T>(dgt, dg));
  EXPECT_TRUE(close<T>(dbt, db));
}

TYPED_TEST(ElementTypeTest, RmsNorm) {
  using T = TypeParam;
  using A = AccumulatorOf<T>;
  const int64_t N = 11, H = 301;
  const auto x = inputs<T>(N * H, 5, -2.0, 2.0), gamma = inputs<T>(H, 6, 0.5, 1.5);
  const auto dy = inputs<T>(N * H, 7);
  std::vector<double> y(N * H), rstd(N), dx(N * H), dg(H);
  rmsNormForward<double>(x.data(), gamma.data(), N, H, 1e-6, y.data(),
                         rstd.data());
  rmsNormBackward<double>(dy.data(), x.data(), gamma.data(), rstd.data(), N, H,
                          dx.data(), dg.data());
  const auto xt = convert<T>(x), gt = convert<T>(gamma), dyt = convert<T>(dy);
  std::vector<T> yt(N * H), dxt(N * H), dgt(H);
  std::vector<A> rstdt(N), rstd2(N);
  rmsNormForward<T>(xt.data(), gt.data(), N, H, 1e-6, yt.data(), rstdt.data());
  rmsNormStatistics<T>(xt.data(), N, H, 1e-6, rstd2.data());
  rmsNormBackward<T>(dyt.data(), xt.data(), gt.data(), rstdt.data(), N, H,
                     dxt.data(), dgt.data());
  EXPECT_TRUE(close<T>(yt, y));
  EXPECT_TRUE(close<float>(rstdt, rstd));
  EXPECT_TRUE(bitwiseEqual(rstdt, rstd2));
  EXPECT_TRUE(close<T>(dxt, dx));
  EXPECT_TRUE(close<T>(dgt, dg));
}

//===----------------------------------------------------------------------===//
// Elementwise, activations, bias epilogues, dropout
//===----------------------------------------------------------------------===//

TYPED_TEST(ElementTypeTest, Activations) {
  using T = TypeParam;
  const int64_t n = 40001; // several chunks, an odd tail
  const auto x = inputs<T>(n, 8, -6.0, 6.0), up = inputs<T>(n, 9, -2.0, 2.0);
  const auto dy = inputs<T>(n, 10);
  const auto xt = convert<T>(x), upt = convert<T>(up), dyt = convert<T>(dy);
  for (GeluApproximation a : {GeluApproximation::kNone, GeluApproximation::kTanh}) {
    std::vector<double> y(n), dx(n);
    geluForward<double>(x.data(), y.data(), n, a);
    geluBackward<double>(x.data(), dy.data(), dx.data(), n, a);
    std::vector<T> yt(n), dxt(n);
    geluForward<T>(xt.data(), yt.data(), n, a);
    geluBackward<T>(xt.data(), dyt.data(), dxt.data(), n, a);
    EXPECT_TRUE(close<T>(yt, y)) << "gelu";
    EXPECT_TRUE(close<T>(dxt, dx)) << "gelu'";
  }
  std::vector<double> y(n), dx(n), dup(n);
  std::vector<T> yt(n), dxt(n), dupt(n);
  siluForward<double>(x.data(), y.data(), n);
  siluForward<T>(xt.data(), yt.data(), n);
  EXPECT_TRUE(close<T>(yt, y)) << "silu";
  siluBackward<double>(x.data(), dy.data(), dx.data(), n);
  siluBackward<T>(xt.data(), dyt.data(), dxt.data(), n);
  EXPECT_TRUE(close<T>(dxt, dx)) << "silu'";
  swigluForward<double>(x.data(), up.data(), y.data(), n);
  swigluForward<T>(xt.data(), upt.data(), yt.data(), n);
  EXPECT_TRUE(close<T>(yt, y)) << "swiglu";
  swigluBackward<double>(x.data(), up.data(), dy.data(), dx.data(), dup.data(),
                         n);
  swigluBackward<T>(xt.data(), upt.data(), dyt.data(), dxt.data(), dupt.data(),
                    n);
  EXPECT_TRUE(close<T>(dxt, dx)) << "swiglu dgate";
  EXPECT_TRUE(close<T>(dupt, dup)) << "swiglu dup";
}

TYPED_TEST(ElementTypeTest, Elementwise) {
  using T = TypeParam;
  const int64_t n = 20011;
  const auto a = inputs<T>(n, 11), b = inputs<T>(n, 12);
  const auto at = convert<T>(a), bt = convert<T>(b);
  std::vector<double> y(n);
  std::vector<T> yt(n);
  add<double>(a.data(), b.data(), y.data(), n);
  add<T>(at.data(), bt.data(), yt.data(), n);
  EXPECT_TRUE(close<T>(yt, y)) << "add";
  std::vector<double> acc = b;
  std::vector<T> acct = bt;
  accumulate<double>(a.data(), acc.data(), n);
  accumulate<T>(at.data(), acct.data(), n);
  EXPECT_TRUE(close<T>(acct, acc)) << "accumulate";
  std::vector<double> s = a;
  std::vector<T> st = at;
  scaleInPlace<double>(s.data(), n, 0.3);
  scaleInPlace<T>(st.data(), n, AccumulatorOf<T>(0.3));
  // The factor itself rounded to f32 costs 2^-24 more: within f32's bound.
  EXPECT_TRUE(close<T>(st, s)) << "scale";
}

TYPED_TEST(ElementTypeTest, BiasEpilogues) {
  using T = TypeParam;
  const int64_t N = 37, H = 203;
  const auto x = inputs<T>(N * H, 13, -3.0, 3.0), b = inputs<T>(H, 14);
  const auto r = inputs<T>(N * H, 15), dy = inputs<T>(N * H, 16);
  const auto xt = convert<T>(x), bt = convert<T>(b), rt = convert<T>(r),
             dyt = convert<T>(dy);
  std::vector<double> y(N * H), dx(N * H), db(H);
  std::vector<T> yt(N * H), dxt(N * H), dbt(H);
  biasAddForward<double>(x.data(), b.data(), N, H, y.data());
  biasAddForward<T>(xt.data(), bt.data(), N, H, yt.data());
  EXPECT_TRUE(close<T>(yt, y)) << "bias add";
  biasAddBackward<double>(dy.data(), N, H, db.data());
  biasAddBackward<T>(dyt.data(), N, H, dbt.data());
  EXPECT_TRUE(close<T>(dbt, db)) << "bias grad";
  for (GeluApproximation a : {GeluApproximation::kNone, GeluApproximation::kTanh}) {
    biasGeluForward<double>(x.data(), b.data(), N, H, a, y.data());
    biasGeluForward<T>(xt.data(), bt.data(), N, H, a, yt.data());
    EXPECT_TRUE(close<T>(yt, y)) << "bias gelu";
    biasGeluBackward<double>(x.data(), b.data(), dy.data(), N, H, a, dx.data(),
                             db.data());
    biasGeluBackward<T>(xt.data(), bt.data(), dyt.data(), N, H, a, dxt.data(),
                        dbt.data());
    EXPECT_TRUE(close<T>(dxt, dx)) << "bias gelu dx";
    EXPECT_TRUE(close<T>(dbt, db)) << "bias gelu db";
  }
  for (double p : {0.0, 0.1}) {
    biasDropoutResidualForward<double>(x.data(), b.data(), r.data(), N, H, p, 7,
                                       3, y.data());
    biasDropoutResidualForward<T>(xt.data(), bt.data(), rt.data(), N, H, p, 7,
                                  3, yt.data());
    EXPECT_TRUE(close<T>(yt, y)) << "bias dropout add, p " << p;
    biasDropoutResidualBackward<double>(dy.data(), N, H, p, 7, 3, dx.data(),
                                        db.data());
    biasDropoutResidualBackward<T>(dyt.data(), N, H, p, 7, 3, dxt.data(),
                                   dbt.data());
    EXPECT_TRUE(close<T>(dxt, dx)) << "bias dropout add dx, p " << p;
    EXPECT_TRUE(close<T>(dbt, db)) << "bias dropout add db, p " << p;
  }
}

TYPED_TEST(ElementTypeTest, DropoutDrawsTheFloatMask) {
  using T = TypeParam;
  const int64_t n = 30007;
  // No zeros in x: a zero output is a dropped element.
  const auto x = inputs<T>(n, 17, 0.5, 1.5);
  const auto xt = convert<T>(x);
  const auto xf = convert<float>(x);
  std::vector<double> y(n);
  std::vector<T> yt(n);
  std::vector<float> yf(n);
  dropoutForward<double>(x.data(), y.data(), n, 0.3, 11, 5);
  dropoutForward<T>(xt.data(), yt.data(), n, 0.3, 11, 5);
  dropoutForward<float>(xf.data(), yf.data(), n, 0.3, 11, 5);
  EXPECT_TRUE(close<T>(yt, y));
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(float(yt[i]) == 0.0f, yf[i] == 0.0f) << i;
  std::vector<T> dxt(n);
  dropoutBackward<T>(xt.data(), dxt.data(), n, 0.3, 11, 5);
  EXPECT_TRUE(bitwiseEqual(dxt, yt));
}

//===----------------------------------------------------------------------===//
// Embedding, rotary embedding
//===----------------------------------------------------------------------===//

TYPED_TEST(ElementTypeTest, Embedding) {
  using T = TypeParam;
  const int64_t V = 53, H = 131, count = 301;
  std::vector<int32_t> ids(count);
  for (int64_t i = 0; i < count; ++i) // many repeats, ids 0..52
    ids[i] = int32_t((i * 7 + i / 5) % V);
  const auto table = inputs<T>(V * H, 18), dout = inputs<T>(count * H, 19);
  const auto base = inputs<T>(V * H, 20);
  const auto tablet = convert<T>(table), doutt = convert<T>(dout);
  std::vector<double> out(count * H);
  std::vector<T> outt(count * H);
  embeddingForward<double>(table.data(), ids.data(), count, V, H, out.data());
  embeddingForward<T>(tablet.data(), ids.data(), count, V, H, outt.data());
  EXPECT_TRUE(close<T>(outt, out)); // a copy: exact
  for (bool accumulate : {false, true}) {
    std::vector<double> dt = base;
    std::vector<T> dtt = convert<T>(base);
    embeddingBackward<double>(dout.data(), ids.data(), count, V, H, dt.data(),
                              accumulate);
    embeddingBackward<T>(doutt.data(), ids.data(), count, V, H, dtt.data(),
                         accumulate);
    EXPECT_TRUE(close<T>(dtt, dt)) << "accumulate " << accumulate;
    // One shard of rows [20, 40): its block of the full gradient, bitwise.
    const int64_t off = 20, Vl = 20;
    std::vector<T> shard(Vl * H);
    embeddingBackwardShard<T>(doutt.data(), ids.data(), count, off, Vl, H,
                              shard.data(), false);
    std::vector<T> full(V * H);
    embeddingBackward<T>(doutt.data(), ids.data(), count, V, H, full.data());
    EXPECT_TRUE(bitwiseEqual(
        shard, std::vector<T>(full.begin() + off * H,
                              full.begin() + (off + Vl) * H)));
  }
}

TYPED_TEST(ElementTypeTest, RotaryEmbedding) {
  using T = TypeParam;
  const int64_t B = 2, S = 9, H = 3, D = 22, rotary = 16;
  std::vector<int32_t> pos(B * S);
  for (int64_t i = 0; i < B * S; ++i)
    pos[i] = int32_t(i * 37 % 1000);
  const auto x = inputs<T>(B * S * H * D, 21);
  const auto xt = convert<T>(x);
  std::vector<double> y(x.size()), dx(x.size());
  std::vector<T> yt(x.size()), dxt(x.size());
  rotaryEmbeddingForward<double>(x.data(), pos.data(), B, S, H, D, rotary,
                                 10000.0, y.data());
  rotaryEmbeddingForward<T>(xt.data(), pos.data(), B, S, H, D, rotary, 10000.0,
                            yt.data());
  EXPECT_TRUE(close<T>(yt, y));
  rotaryEmbeddingBackward<double>(x.data(), pos.data(), B, S, H, D, rotary,
                                  10000.0, dx.data());
  rotaryEmbeddingBackward<T>(xt.data(), pos.data(), B, S, H, D, rotary,
                             10000.0, dxt.data());
  EXPECT_TRUE(close<T>(dxt, dx));
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

TYPED_TEST(ElementTypeTest, Attention) {
  using T = TypeParam;
  using A = AccumulatorOf<T>;
  struct Case {
    int64_t B, S, T_, H, G, D, E;
    bool causal;
    double dropout;
  };
  const Case cases[] = {{2, 37, 37, 4, 2, 24, 24, true, 0.0},
                        {1, 70, 301, 3, 1, 16, 20, false, 0.1},
                        {2, 129, 129, 2, 2, 8, 8, true, 0.2}};
  for (const Case &c : cases) {
    SCOPED_TRACE(::testing::Message() << "S " << c.S << " T " << c.T_);
    AttentionParams p{c.B, c.S, c.T_, c.H, c.G, c.D, c.E, 1.0 / std::sqrt(c.D),
                      c.causal};
    p.dropout = c.dropout;
    p.seed = 3;
    p.offset = 9;
    const auto q = inputs<T>(c.B * c.S * c.H * c.D, 22, -2.0, 2.0);
    const auto k = inputs<T>(c.B * c.T_ * c.G * c.D, 23, -2.0, 2.0);
    const auto v = inputs<T>(c.B * c.T_ * c.G * c.E, 24);
    const auto dout = inputs<T>(c.B * c.S * c.H * c.E, 25);
    std::vector<double> out(dout.size()), lse(c.B * c.H * c.S), dq(q.size()),
        dk(k.size()), dv(v.size());
    attentionForward<double>(p, q.data(), k.data(), v.data(), out.data(),
                             lse.data(), nullptr, 0);
    // The backward from the 16-bit forward's (rounded) output, as a
    // training step would run it.
    const auto qt = convert<T>(q), kt = convert<T>(k), vt = convert<T>(v),
               doutt = convert<T>(dout);
    std::vector<T> outt(out.size()), dqt(q.size()), dkt(k.size()),
        dvt(v.size());
    std::vector<A> lset(lse.size());
    std::vector<std::byte> ws(attentionWorkspaceSize<T>(p, 2));
    attentionForward<T>(p, qt.data(), kt.data(), vt.data(), outt.data(),
                        lset.data(), ws.data(), ws.size());
    EXPECT_TRUE(close<T>(outt, out)) << "out";
    EXPECT_TRUE(close<float>(lset, lse)) << "lse";
    const auto outRounded = convert<double>(outt);
    attentionBackward<double>(p, q.data(), k.data(), v.data(),
                              outRounded.data(), dout.data(), lse.data(),
                              dq.data(), dk.data(), dv.data(), nullptr, 0);
    attentionBackward<T>(p, qt.data(), kt.data(), vt.data(), outt.data(),
                         doutt.data(), lset.data(), dqt.data(), dkt.data(),
                         dvt.data(), ws.data(), ws.size());
    EXPECT_TRUE(close<T>(dqt, dq)) << "dq";
    EXPECT_TRUE(close<T>(dkt, dk)) << "dk";
    EXPECT_TRUE(close<T>(dvt, dv)) << "dv";
    // Without a workspace, the kernel allocates its own: the same bits.
    std::vector<T> out2(out.size());
    std::vector<A> lse2(lse.size());
    attentionForward<T>(p, qt.data(), kt.data(), vt.data(), out2.data(),
                        lse2.data(), nullptr, 0);
    EXPECT_TRUE(bitwiseEqual(out2, outt));
    EXPECT_TRUE(bitwiseEqual(lse2, lset));
  }
}

//===----------------------------------------------------------------------===//
// Cross-entropy
//===----------------------------------------------------------------------===//

TYPED_TEST(ElementTypeTest, CrossEntropy) {
  using T = TypeParam;
  using A = AccumulatorOf<T>;
  const int64_t N = 19, V = 1031, tp = 3;
  const auto logits = inputs<T>(N * V, 26, -8.0, 8.0);
  std::vector<int32_t> labels(N);
  for (int64_t n = 0; n < N; ++n)
    labels[n] = int32_t((n * 389) % V);
  const auto dloss = representable<float>(randomVector(N, 27, 0.5, 1.5));
  std::vector<double> loss(N), lse(N), dl(N * V);
  crossEntropyForward<double>(logits.data(), labels.data(), N, V, loss.data(),
                              lse.data());
  crossEntropyBackward<double>(logits.data(), labels.data(), lse.data(),
                               dloss.data(), N, V, dl.data());
  const auto lt = convert<T>(logits);
  const auto dlossA = convert<A>(dloss);
  std::vector<A> losst(N), lset(N);
  std::vector<T> dlt(N * V);
  crossEntropyForward<T>(lt.data(), labels.data(), N, V, losst.data(),
                         lset.data());
  crossEntropyBackward<T>(lt.data(), labels.data(), lset.data(), dlossA.data(),
                          N, V, dlt.data());
  EXPECT_TRUE(close<float>(losst, loss)) << "loss";
  EXPECT_TRUE(close<float>(lset, lse)) << "lse";
  EXPECT_TRUE(close<T>(dlt, dl)) << "dlogits";
  // In place, as the executor may run it.
  std::vector<T> inPlace = lt;
  crossEntropyBackward<T>(inPlace.data(), labels.data(), lset.data(),
                          dlossA.data(), N, V, inPlace.data());
  EXPECT_TRUE(bitwiseEqual(inPlace, dlt));

  // Vocabulary-parallel: tp shards of uneven width, stats in f32.
  std::vector<A> gathered(N * kCrossEntropyStats * tp);
  std::vector<T> dlShards(N * V);
  for (int64_t r = 0; r < tp; ++r) {
    const int64_t v0 = r * V / tp, v1 = (r + 1) * V / tp, Vl = v1 - v0;
    std::vector<T> local(N * Vl);
    for (int64_t n = 0; n < N; ++n)
      std::copy(lt.begin() + n * V + v0, lt.begin() + n * V + v1,
                local.begin() + n * Vl);
    std::vector<A> stats(N * kCrossEntropyStats);
    crossEntropyShardStats<T>(local.data(), labels.data(), N, Vl, v0,
                              stats.data());
    for (int64_t n = 0; n < N; ++n)
      std::copy(stats.begin() + n * kCrossEntropyStats,
                stats.begin() + (n + 1) * kCrossEntropyStats,
                gathered.begin() + n * kCrossEntropyStats * tp +
                    r * kCrossEntropyStats);
    std::vector<T> dlocal(N * Vl);
    crossEntropyBackwardShard<T>(local.data(), labels.data(), lset.data(),
                                 dlossA.data(), N, Vl, v0, dlocal.data());
    for (int64_t n = 0; n < N; ++n)
      std::copy(dlocal.begin() + n * Vl, dlocal.begin() + (n + 1) * Vl,
                dlShards.begin() + n * V + v0);
  }
  std::vector<A> lossTp(N), lseTp(N);
  crossEntropyCombineStats<T>(gathered.data(), labels.data(), N, tp,
                              lossTp.data(),
                              lseTp.data());
  EXPECT_TRUE(close<float>(lossTp, loss)) << "vocab-parallel loss";
  EXPECT_TRUE(close<float>(lseTp, lse)) << "vocab-parallel lse";
  EXPECT_TRUE(close<T>(dlShards, dl)) << "vocab-parallel dlogits";
}

//===----------------------------------------------------------------------===//
// Optimizer
//===----------------------------------------------------------------------===//

TYPED_TEST(ElementTypeTest, AdamWAndGradNorm) {
  using T = TypeParam;
  const int64_t n = 20021;
  const auto p = inputs<T>(n, 28), g = inputs<T>(n, 29, -0.1, 0.1);
  const auto m = inputs<T>(n, 30, -0.01, 0.01),
             v = inputs<T>(n, 31, 0.0, 1e-3);
  AdamWConfig config;
  config.learningRate = 1e-2;
  std::vector<double> pd = p, md = m, vd = v;
  adamwStep<double>(pd.data(), g.data(), md.data(), vd.data(), n, config, 3,
                    true);
  auto pt = convert<T>(p), mt = convert<T>(m), vt = convert<T>(v);
  const auto gt = convert<T>(g);
  adamwStep<T>(pt.data(), gt.data(), mt.data(), vt.data(), n, config, 3, true);
  EXPECT_TRUE(close<T>(pt, pd)) << "param";
  EXPECT_TRUE(close<T>(mt, md)) << "m";
  EXPECT_TRUE(close<T>(vt, vd)) << "v";

  const auto p0 = convert<T>(p);
  const T *tensors[] = {gt.data(), p0.data()};
  const double *tensorsD[] = {g.data(), p.data()};
  const int64_t sizes[] = {n, n};
  EXPECT_EQ(globalNormSquared<T>(tensors, sizes, 2),
            globalNormSquared<double>(tensorsD, sizes, 2)); // exact squares
}

//===----------------------------------------------------------------------===//
// Thread-count independence of the 16-bit kernels that reduce
//===----------------------------------------------------------------------===//

template <typename T>
class HalfTypeTest : public ::testing::Test {};
using HalfTypes = ::testing::Types<bf16, f16>;
TYPED_TEST_SUITE(HalfTypeTest, HalfTypes);

/// Runs |fn| (which fills its argument) on 1 and on 2 threads and expects
/// bitwise equal results.
template <typename R, typename F>
void expectSameOnOneAndTwoThreads(F fn, const char *what) {
  R one, two;
  withThreads(1, [&] { fn(one); });
  withThreads(2, [&] { fn(two); });
  EXPECT_TRUE(bitwiseEqual(one, two)) << what;
}

TYPED_TEST(HalfTypeTest, BitwiseIndependentOfThreadCount) {
  using T = TypeParam;
  using A = AccumulatorOf<T>;
  // GEMM: the shapes where oneDNN's own threading splits K (gemm_test.cc).
  struct Shape {
    bool ta, tb;
    int64_t M, N, K;
  };
  for (const Shape &c : {Shape{false, false, 1, 768, 3072},
                         Shape{false, true, 512, 512, 2048},
                         Shape{true, false, 96, 1000, 4000}}) {
    const auto a = convert<T>(inputs<T>(c.M * c.K, 40));
    const auto b = convert<T>(inputs<T>(c.K * c.N, 41));
    const Transpose ta = c.ta ? Transpose::kYes : Transpose::kNo;
    const Transpose tb = c.tb ? Transpose::kYes : Transpose::kNo;
    const int64_t lda = c.ta ? c.M : c.K, ldb = c.tb ? c.K : c.N;
    expectSameOnOneAndTwoThreads<std::vector<T>>(
        [&](std::vector<T> &out) {
          out.assign(size_t(c.M * c.N), T{});
          gemm<T>(ta, tb, c.M, c.N, c.K, 1.0f, a.data(), lda, b.data(), ldb,
                  0.0f, out.data(), c.N);
        },
        "gemm");
    expectSameOnOneAndTwoThreads<std::vector<float>>(
        [&](std::vector<float> &out) {
          out.assign(size_t(c.M * c.N), 1.0f);
          gemmToFloat<T>(ta, tb, c.M, c.N, c.K, 1.0f, a.data(), lda, b.data(),
                         ldb, 1.0f, out.data(), c.N);
        },
        "gemmToFloat");
  }

  const int64_t N = 301, H = 200; // parallel rows and column blocks
  const auto x = convert<T>(inputs<T>(N * H, 42, -2.0, 2.0));
  const auto dy = convert<T>(inputs<T>(N * H, 43));
  const auto gamma = convert<T>(inputs<T>(H, 44, 0.5, 1.5));
  expectSameOnOneAndTwoThreads<std::vector<T>>(
      [&](std::vector<T> &out) {
        std::vector<A> mean(N), rstd(N);
        layerNormStatistics<T>(x.data(), N, H, 1e-5, mean.data(), rstd.data());
        out.assign(size_t(N * H + 2 * H), T{});
        layerNormBackward<T>(dy.data(), x.data(), gamma.data(), mean.data(),
                             rstd.data(), N, H, out.data(),
                             out.data() + N * H, out.data() + N * H + H);
      },
      "layer norm backward");
  expectSameOnOneAndTwoThreads<std::vector<T>>(
      [&](std::vector<T> &out) {
        out.assign(size_t(H), T{});
        biasAddBackward<T>(dy.data(), N, H, out.data());
      },
      "bias grad");
  std::vector<int32_t> ids(N);
  for (int64_t i = 0; i < N; ++i)
    ids[i] = int32_t(i * i % 97);
  expectSameOnOneAndTwoThreads<std::vector<T>>(
      [&](std::vector<T> &out) {
        out.assign(size_t(97 * H), T{});
        embeddingBackward<T>(dy.data(), ids.data(), N, 97, H, out.data());
      },
      "embedding grad");
  std::vector<int32_t> labels(N);
  for (int64_t n = 0; n < N; ++n)
    labels[n] = int32_t(n * 13 % H);
  expectSameOnOneAndTwoThreads<std::vector<A>>(
      [&](std::vector<A> &out) {
        out.assign(size_t(2 * N), A(0));
        crossEntropyForward<T>(x.data(), labels.data(), N, H, out.data(),
                               out.data() + N);
      },
      "cross-entropy");
  AttentionParams p{2, 150, 150, 4, 2, 16, 16, 0.25, true};
  const auto q = convert<T>(inputs<T>(2 * 150 * 4 * 16, 45));
  const auto k = convert<T>(inputs<T>(2 * 150 * 2 * 16, 46));
  const auto v = convert<T>(inputs<T>(2 * 150 * 2 * 16, 47));
  const auto dout = convert<T>(inputs<T>(2 * 150 * 4 * 16, 48));
  expectSameOnOneAndTwoThreads<std::vector<T>>(
      [&](std::vector<T> &out) {
        std::vector<T> o(q.size());
        std::vector<A> lse(2 * 4 * 150);
        attentionForward<T>(p, q.data(), k.data(), v.data(), o.data(),
                            lse.data(), nullptr, 0);
        out.assign(q.size() + 2 * k.size(), T{});
        attentionBackward<T>(p, q.data(), k.data(), v.data(), o.data(),
                             dout.data(), lse.data(), out.data(),
                             out.data() + q.size(),
                             out.data() + q.size() + k.size(), nullptr, 0);
      },
      "attention backward");
}

} // namespace
} // namespace strata::runtime::cpu
