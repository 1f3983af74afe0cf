//===- strata_kernel_bench.cc - timings of the hot CPU kernels ----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// GPT-2 124M shapes (batch 4 x 256 tokens, 12 heads of 64, hidden 768, FFN
// 3072): the GEMMs of a transformer layer through gemm() and, as the
// reference rate, dnnl_sgemm with oneDNN's own threading; the same GEMMs
// in f32, bf16 and f16 for each linear layer of a GPT-2 block (the product
// and its two gradients), bf16 also through dnnl_gemm_bf16bf16f32 with
// oneDNN's own threading and as gemmToFloat (the weight gradient into an
// f32 main gradient); causal attention
// forward, backward and both. GFLOP/s counts useful FLOPs only (causal:
// S(S+1)/2 score pairs per head; attention backward as 5 products of the
// forward's size, the forward as 2). Run with OMP_NUM_THREADS=2 (the CI
// machines' cores) and --benchmark_repetitions=N: the _min rows are the best
// estimate of unloaded times on a shared machine. The CPU column is the
// process's CPU time (all threads); with one thread it is robust to other
// jobs on the machine.
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/attention.h"
#include "runtime/kernels/cpu/gemm.h"

#include <benchmark/benchmark.h>
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>

#include <algorithm>
#include <random>
#include <vector>

// Exported by libdnnl, not in its public header (see gemm.h).
extern "C" dnnl_status_t dnnl_gemm_bf16bf16f32(
    char transa, char transb, dnnl_dim_t M, dnnl_dim_t N, dnnl_dim_t K,
    float alpha, const strata::runtime::bf16 *A, dnnl_dim_t lda,
    const strata::runtime::bf16 *B, dnnl_dim_t ldb, float beta, float *C,
    dnnl_dim_t ldc);

namespace strata::runtime::cpu {
namespace {

std::vector<float> randomFloats(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(gen);
  return v;
}

/// Adds "min" and "max" to the statistics of repeated runs: on a shared
/// machine the fastest repetition is the best estimate of the unloaded time
/// (read min for times, max for GFLOP/s).
void addMinMax(benchmark::internal::Benchmark *b) {
  b->ComputeStatistics("min", [](const std::vector<double> &v) {
    return *std::min_element(v.begin(), v.end());
  });
  b->ComputeStatistics("max", [](const std::vector<double> &v) {
    return *std::max_element(v.begin(), v.end());
  });
}

void setGflops(benchmark::State &state, double flops) {
  state.counters["GFLOP/s"] = benchmark::Counter(
      flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

/// Args: M, N, K, transA, transB; through gemm<float>() (deterministic
/// blocking) or dnnl_sgemm directly.
template <bool Direct>
void BM_Sgemm(benchmark::State &state) {
  const int64_t M = state.range(0), N = state.range(1), K = state.range(2);
  const bool ta = state.range(3), tb = state.range(4);
  const auto A = randomFloats(size_t(M * K), 1), B = randomFloats(size_t(K * N), 2);
  std::vector<float> C(size_t(M * N));
  const int64_t lda = ta ? M : K, ldb = tb ? K : N;
  for (auto _ : state) {
    if (Direct)
      dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, 1.0f, A.data(), lda,
                 B.data(), ldb, 0.0f, C.data(), N);
    else
      gemm<float>(ta ? Transpose::kYes : Transpose::kNo,
                  tb ? Transpose::kYes : Transpose::kNo, M, N, K, 1.0f,
                  A.data(), lda, B.data(), ldb, 0.0f, C.data(), N);
    benchmark::DoNotOptimize(C.data());
    benchmark::ClobberMemory();
  }
  setGflops(state, 2.0 * double(M) * double(N) * double(K));
}

void gemmArgs(benchmark::internal::Benchmark *b) {
  b->ArgNames({"M", "N", "K", "tA", "tB"});
  b->Args({1024, 3072, 768, 0, 1});  // fc1: x W^T
  b->Args({1024, 768, 3072, 0, 0});  // fc2 backward: dY W
  b->Args({768, 3072, 1024, 1, 0});  // weight gradient: dY^T X
  b->MeasureProcessCPUTime()->UseRealTime()->MinTime(1.0);
  addMinMax(b);
}
BENCHMARK(BM_Sgemm<false>)->Name("gemm")->Apply(gemmArgs);
BENCHMARK(BM_Sgemm<true>)->Name("dnnl_sgemm")->Apply(gemmArgs);

template <typename T>
std::vector<T> randomValues(size_t n, uint32_t seed) {
  const std::vector<float> f = randomFloats(n, seed);
  return std::vector<T>(f.begin(), f.end());
}

enum class GemmPath { kGemm, kGemmToFloat, kDirect };

/// Args: M, N, K, transA, transB; gemm<T>, gemmToFloat<T> (C in f32, beta =
/// 1: accumulating a weight gradient) or, for bf16, dnnl_gemm_bf16bf16f32
/// directly with oneDNN's own threading.
template <typename T, GemmPath Path>
void BM_Gemm(benchmark::State &state) {
  const int64_t M = state.range(0), N = state.range(1), K = state.range(2);
  const bool ta = state.range(3), tb = state.range(4);
  const auto A = randomValues<T>(size_t(M * K), 1);
  const auto B = randomValues<T>(size_t(K * N), 2);
  std::vector<T> C(size_t(M * N));
  std::vector<float> C32(size_t(M * N));
  const int64_t lda = ta ? M : K, ldb = tb ? K : N;
  const Transpose tA = ta ? Transpose::kYes : Transpose::kNo;
  const Transpose tB = tb ? Transpose::kYes : Transpose::kNo;
  for (auto _ : state) {
    if constexpr (Path == GemmPath::kGemm)
      gemm<T>(tA, tB, M, N, K, 1.0f, A.data(), lda, B.data(), ldb, 0.0f,
              C.data(), N);
    else if constexpr (Path == GemmPath::kGemmToFloat)
      gemmToFloat<T>(tA, tB, M, N, K, 1.0f, A.data(), lda, B.data(), ldb,
                     1.0f, C32.data(), N);
    else
      dnnl_gemm_bf16bf16f32(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, 1.0f,
                            A.data(), lda, B.data(), ldb, 0.0f, C32.data(), N);
    benchmark::DoNotOptimize(C.data());
    benchmark::DoNotOptimize(C32.data());
    benchmark::ClobberMemory();
  }
  setGflops(state, 2.0 * double(M) * double(N) * double(K));
}

/// The three products of each linear layer of a GPT-2 124M block, 1024
/// tokens (batch 4 x 256), weight W[out, in]: Y = X W^T, dX = dY W,
/// dW = dY^T X, for (in, out) = (768, 2304) QKV, (768, 3072) fc1,
/// (3072, 768) fc2 (the attention output projection, 768 x 768, is left
/// out: the same shapes at a third of the work).
void gpt2LinearArgs(benchmark::internal::Benchmark *b) {
  b->ArgNames({"M", "N", "K", "tA", "tB"});
  const int64_t tokens = 4 * 256;
  for (auto [in, out] : {std::pair<int64_t, int64_t>{768, 2304},
                         {768, 3072},
                         {3072, 768}}) {
    b->Args({tokens, out, in, 0, 1}); // Y = X W^T
    b->Args({tokens, in, out, 0, 0}); // dX = dY W
    b->Args({out, in, tokens, 1, 0}); // dW = dY^T X
  }
  b->MeasureProcessCPUTime()->UseRealTime()->MinTime(1.0);
  addMinMax(b);
}
BENCHMARK(BM_Gemm<float, GemmPath::kGemm>)
    ->Name("linear_f32")
    ->Apply(gpt2LinearArgs);
BENCHMARK(BM_Gemm<bf16, GemmPath::kGemm>)
    ->Name("linear_bf16")
    ->Apply(gpt2LinearArgs);
BENCHMARK(BM_Gemm<f16, GemmPath::kGemm>)
    ->Name("linear_f16")
    ->Apply(gpt2LinearArgs);
BENCHMARK(BM_Gemm<bf16, GemmPath::kGemmToFloat>)
    ->Name("linear_bf16_to_f32")
    ->Apply(gpt2LinearArgs);
BENCHMARK(BM_Gemm<bf16, GemmPath::kDirect>)
    ->Name("dnnl_gemm_bf16bf16f32")
    ->Apply(gpt2LinearArgs);

enum Pass { kForward, kBackward, kBoth };

/// Args: B, S, H, D, causal.
template <Pass P>
void BM_Attention(benchmark::State &state) {
  AttentionParams p{};
  p.batch = state.range(0);
  p.querySeq = p.keySeq = state.range(1);
  p.queryHeads = p.kvHeads = state.range(2);
  p.headDim = p.valueDim = state.range(3);
  p.causal = state.range(4) != 0;
  p.scale = 1.0 / 8.0;
  const size_t qn = size_t(p.batch * p.querySeq * p.queryHeads * p.headDim);
  const auto q = randomFloats(qn, 1), k = randomFloats(qn, 2),
             v = randomFloats(qn, 3), dout = randomFloats(qn, 4);
  std::vector<float> out(qn), lse(size_t(p.batch * p.queryHeads * p.querySeq)),
      dq(qn), dk(qn), dv(qn);
  std::vector<std::byte> ws(attentionWorkspaceSize<float>(p, omp_get_max_threads()));
  attentionForward<float>(p, q.data(), k.data(), v.data(), out.data(),
                          lse.data(), ws.data(), ws.size());
  for (auto _ : state) {
    if (P != kBackward)
      attentionForward<float>(p, q.data(), k.data(), v.data(), out.data(),
                              lse.data(), ws.data(), ws.size());
    if (P != kForward)
      attentionBackward<float>(p, q.data(), k.data(), v.data(), out.data(),
                               dout.data(), lse.data(), dq.data(), dk.data(),
                               dv.data(), ws.data(), ws.size());
    benchmark::ClobberMemory();
  }
  const double S = double(p.querySeq);
  const double pairs = p.causal ? S * (S + 1) / 2 : S * S;
  const double perProduct = 2.0 * pairs * double(p.headDim) *
                            double(p.batch * p.queryHeads);
  const double products = P == kForward ? 2 : P == kBackward ? 5 : 7;
  setGflops(state, products * perProduct);
}

void attentionArgs(benchmark::internal::Benchmark *b) {
  b->ArgNames({"B", "S", "H", "D", "causal"});
  b->Args({4, 256, 12, 64, 1});
  b->Args({4, 256, 12, 64, 0});
  b->MeasureProcessCPUTime()->UseRealTime()->MinTime(1.0);
  addMinMax(b);
}
BENCHMARK(BM_Attention<kForward>)->Name("attention_fwd")->Apply(attentionArgs);
BENCHMARK(BM_Attention<kBackward>)->Name("attention_bwd")->Apply(attentionArgs);
BENCHMARK(BM_Attention<kBoth>)->Name("attention_fwd_bwd")->Apply(attentionArgs);

} // namespace
} // namespace strata::runtime::cpu

BENCHMARK_MAIN();
