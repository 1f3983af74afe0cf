//===- strata_kernel_bench.cc - timings of the hot CPU kernels ----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// GPT-2 124M shapes (batch 4 x 256 tokens, 12 heads of 64, hidden 768, FFN
// 3072): the GEMMs of a transformer layer through gemm() and, as the
// reference rate, dnnl_sgemm with oneDNN's own threading; causal attention
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
