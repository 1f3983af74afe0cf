//===- gemm.cc - dense matrix products ----------------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/gemm.h"

#include "runtime/kernels/cpu/kernel_util.h"

#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <vector>

// Exported by libdnnl (2.x) but not in its public header: oneDNN's own
// tests declare it so. Row-major like dnnl_sgemm; A and B are bf16 bits.
extern "C" dnnl_status_t dnnl_gemm_bf16bf16f32(
    char transa, char transb, dnnl_dim_t M, dnnl_dim_t N, dnnl_dim_t K,
    float alpha, const strata::runtime::bf16 *A, dnnl_dim_t lda,
    const strata::runtime::bf16 *B, dnnl_dim_t ldb, float beta, float *C,
    dnnl_dim_t ldc);

namespace strata::runtime::cpu {
namespace {

bool isTrans(Transpose t) { return t == Transpose::kYes; }

/// Runs a oneDNN call on the calling thread alone. Inside an active
/// parallel region oneDNN does so by itself; elsewhere it would use
/// omp_get_max_threads() threads, so lower that to one for the call.
template <typename F>
dnnl_status_t onCallingThread(F call) {
  const bool inParallel = omp_in_parallel();
  const int savedThreads = inParallel ? 1 : omp_get_max_threads();
  if (!inParallel)
    omp_set_num_threads(1);
  const dnnl_status_t status = call();
  if (!inParallel)
    omp_set_num_threads(savedThreads);
  return status;
}

/// C = beta * C, with C overwritten (not read) when beta == 0.
template <typename T>
void scaleC(int64_t M, int64_t N, T beta, T *C, int64_t ldc) {
  static_assert(!kIsHalf<T>, "16-bit C is scaled in its f32 block");
  for (int64_t i = 0; i < M; ++i) {
    T *c = C + i * ldc;
    if (beta == T(0))
      std::fill(c, c + N, T(0));
    else if (beta != T(1))
      for (int64_t j = 0; j < N; ++j)
        c[j] *= beta;
  }
}

/// The double (and generic) single-threaded product: C is scaled by beta,
/// then for blocks of 64 columns and 64 k, op(B)'s block is packed
/// contiguously and each row of C accumulates alpha * a[i,k] * b[k,:] in
/// increasing k; every C element sums its K terms in the same order.
template <typename T>
void gemmBlocked(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha,
                 const T *A, int64_t lda, const T *B, int64_t ldb, T beta,
                 T *C, int64_t ldc) {
  scaleC(M, N, beta, C, ldc);
  if (K == 0 || alpha == T(0))
    return;
  constexpr int64_t kKb = 64, kNb = 64;
  T packB[kKb * kNb];
  T aik[kKb];
  for (int64_t j0 = 0; j0 < N; j0 += kNb) {
    const int64_t nb = std::min(kNb, N - j0);
    for (int64_t k0 = 0; k0 < K; k0 += kKb) {
      const int64_t kb = std::min(kKb, K - k0);
      for (int64_t kk = 0; kk < kb; ++kk)
        for (int64_t jj = 0; jj < nb; ++jj)
          packB[kk * kNb + jj] = tb ? B[(j0 + jj) * ldb + k0 + kk]
                                    : B[(k0 + kk) * ldb + j0 + jj];
      for (int64_t i = 0; i < M; ++i) {
        for (int64_t kk = 0; kk < kb; ++kk)
          aik[kk] = alpha * (ta ? A[(k0 + kk) * lda + i] : A[i * lda + k0 + kk]);
        T *__restrict c = C + i * ldc + j0;
        for (int64_t kk = 0; kk < kb; ++kk) {
          const T a = aik[kk];
          const T *__restrict b = packB + kk * kNb;
          for (int64_t jj = 0; jj < nb; ++jj)
            c[jj] += a * b[jj];
        }
      }
    }
  }
}

/// How gemm() cuts C: |rowBlocks| x |colBlocks| blocks of at most
/// |rows| x |cols|, chosen from the shape alone.
struct Blocking {
  int64_t rows, cols, rowBlocks, colBlocks;
};

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

Blocking chooseBlocking(int64_t M, int64_t N, int64_t K) {
  // Small products: one block, no parallel region.
  if (2.0 * double(M) * double(N) * double(K) < 4.0e6)
    return {M, N, 1, 1};
  // Blocks of up to 512 x 1024 (a single-threaded oneDNN call on such a
  // block runs within a few percent of oneDNN's rate on the whole matrix;
  // 256 x 512 loses 5-10%), balanced; then narrower columns (not below 256)
  // and rows (not below 128) until there are 8 blocks, for load balance.
  int64_t rowBlocks = ceilDiv(M, 512), colBlocks = ceilDiv(N, 1024);
  while (rowBlocks * colBlocks < 8 && ceilDiv(N, colBlocks + 1) >= 256)
    ++colBlocks;
  while (rowBlocks * colBlocks < 8 && ceilDiv(M, rowBlocks + 1) >= 128)
    ++rowBlocks;
  const int64_t rows = ceilDiv(M, rowBlocks), cols = ceilDiv(N, colBlocks);
  return {rows, cols, ceilDiv(M, rows), ceilDiv(N, cols)};
}

//===----------------------------------------------------------------------===//
// 16-bit operands: f32 products of one block
//===----------------------------------------------------------------------===//

/// k per panel of the widening path: an m x 256 and a 256 x n f32 panel
/// per call (a few hundred KiB), long enough for sgemm to run at speed.
constexpr int64_t kWidenPanel = 256;

/// C32 = alpha * op(A) * op(B) + beta * C32 (C32 float, not read when beta
/// == 0), single-threaded, for 16-bit A and B widened to f32 one panel of
/// kWidenPanel k at a time, each panel one dnnl_sgemm call that accumulates
/// into C32 (beta for the first panel, 1 after).
template <typename T>
void widenedProduct(bool ta, bool tb, int64_t m, int64_t n, int64_t K,
                    float alpha, const T *A, int64_t lda, const T *B,
                    int64_t ldb, float beta, float *C32, int64_t ldc) {
  thread_local std::vector<float> a32, b32;
  a32.resize(size_t(m * std::min(K, kWidenPanel)));
  b32.resize(size_t(n * std::min(K, kWidenPanel)));
  for (int64_t k0 = 0; k0 < K; k0 += kWidenPanel) {
    const int64_t kc = std::min(kWidenPanel, K - k0);
    // The panels keep the operands' layout: op(A)[:, k0:k0+kc] is A's rows
    // k0.. (kc x m) when transposed, else columns k0.. of its m rows.
    if (ta) {
      for (int64_t kk = 0; kk < kc; ++kk)
        for (int64_t i = 0; i < m; ++i)
          a32[size_t(kk * m + i)] = float(A[(k0 + kk) * lda + i]);
    } else {
      for (int64_t i = 0; i < m; ++i)
        for (int64_t kk = 0; kk < kc; ++kk)
          a32[size_t(i * kc + kk)] = float(A[i * lda + k0 + kk]);
    }
    if (tb) {
      for (int64_t j = 0; j < n; ++j)
        for (int64_t kk = 0; kk < kc; ++kk)
          b32[size_t(j * kc + kk)] = float(B[j * ldb + k0 + kk]);
    } else {
      for (int64_t kk = 0; kk < kc; ++kk)
        for (int64_t j = 0; j < n; ++j)
          b32[size_t(kk * n + j)] = float(B[(k0 + kk) * ldb + j]);
    }
    [[maybe_unused]] const dnnl_status_t status = onCallingThread([&] {
      return dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, kc, alpha,
                        a32.data(), ta ? m : kc, b32.data(), tb ? kc : n,
                        k0 == 0 ? beta : 1.0f, C32, ldc);
    });
    assert(status == dnnl_success && "dnnl_sgemm rejected its arguments");
  }
}

void productToFloat(bool ta, bool tb, int64_t m, int64_t n, int64_t K,
                    float alpha, const f16 *A, int64_t lda, const f16 *B,
                    int64_t ldb, float beta, float *C32, int64_t ldc) {
  widenedProduct(ta, tb, m, n, K, alpha, A, lda, B, ldb, beta, C32, ldc);
}

void productToFloat(bool ta, bool tb, int64_t m, int64_t n, int64_t K,
                    float alpha, const bf16 *A, int64_t lda, const bf16 *B,
                    int64_t ldb, float beta, float *C32, int64_t ldc) {
  // oneDNN's bf16 GEMM needs AVX-512; without it (dnnl_unimplemented, the
  // same answer every time on a machine) take the widening path.
  static std::atomic<bool> unimplemented{false};
  if (!unimplemented.load(std::memory_order_relaxed)) {
    const dnnl_status_t status = onCallingThread([&] {
      return dnnl_gemm_bf16bf16f32(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, K,
                                   alpha, A, lda, B, ldb, beta, C32, ldc);
    });
    if (status == dnnl_success)
      return;
    assert(status == dnnl_unimplemented &&
           "dnnl_gemm_bf16bf16f32 rejected its arguments");
    unimplemented.store(true, std::memory_order_relaxed);
  }
  widenedProduct(ta, tb, m, n, K, alpha, A, lda, B, ldb, beta, C32, ldc);
}

/// gemmToFloat's single-threaded product: C (float) = alpha op(A) op(B) +
/// beta C for 16-bit A and B.
template <typename T>
void gemmToFloatSerial(bool ta, bool tb, int64_t M, int64_t N, int64_t K,
                       float alpha, const T *A, int64_t lda, const T *B,
                       int64_t ldb, float beta, float *C, int64_t ldc) {
  if (M <= 0 || N <= 0)
    return;
  if (K <= 0 || alpha == 0.0f) {
    scaleC(M, N, beta, C, ldc);
    return;
  }
  productToFloat(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

/// The single-threaded product of one block: gemmSerial when C has the
/// operands' type, gemmToFloatSerial for 16-bit operands and an f32 C.
template <typename T, typename TC>
void serialProduct(bool ta, bool tb, int64_t M, int64_t N, int64_t K,
                   AccumulatorOf<T> alpha, const T *A, int64_t lda,
                   const T *B, int64_t ldb, AccumulatorOf<T> beta, TC *C,
                   int64_t ldc) {
  if constexpr (std::is_same_v<T, TC>)
    gemmSerial<T>(ta ? Transpose::kYes : Transpose::kNo,
                  tb ? Transpose::kYes : Transpose::kNo, M, N, K, alpha, A,
                  lda, B, ldb, beta, C, ldc);
  else
    gemmToFloatSerial(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

template <typename T, typename TC>
void gemmBlock(bool ta, bool tb, const Blocking &b, int64_t block, int64_t M,
               int64_t N, int64_t K, AccumulatorOf<T> alpha, const T *A,
               int64_t lda, const T *B, int64_t ldb, AccumulatorOf<T> beta,
               TC *C, int64_t ldc) {
  const int64_t i0 = (block / b.colBlocks) * b.rows;
  const int64_t j0 = (block % b.colBlocks) * b.cols;
  const int64_t m = std::min(b.rows, M - i0), n = std::min(b.cols, N - j0);
  const T *a = ta ? A + i0 : A + i0 * lda;
  const T *bb = tb ? B + j0 * ldb : B + j0;
  serialProduct(ta, tb, m, n, K, alpha, a, lda, bb, ldb, beta,
                C + i0 * ldc + j0, ldc);
}

/// batchedGemm with a C of type TC (T, or float for gemmToFloat).
template <typename T, typename TC>
void blockedProduct(Transpose transA, Transpose transB, int64_t batch,
                    int64_t M, int64_t N, int64_t K, AccumulatorOf<T> alpha,
                    const T *A, int64_t lda, int64_t strideA, const T *B,
                    int64_t ldb, int64_t strideB, AccumulatorOf<T> beta,
                    TC *C, int64_t ldc, int64_t strideC) {
  if (batch <= 0 || M <= 0 || N <= 0)
    return;
  const bool ta = isTrans(transA), tb = isTrans(transB);
  const Blocking blocking = chooseBlocking(M, N, K);
  const int64_t perMatrix = blocking.rowBlocks * blocking.colBlocks;
  const int64_t tasks = batch * perMatrix;
  const double flops = 2.0 * double(M) * double(N) * double(K) * double(batch);
#pragma omp parallel for schedule(dynamic, 1) if (tasks > 1 && flops > 4.0e6)
  for (int64_t task = 0; task < tasks; ++task) {
    const int64_t i = task / perMatrix;
    gemmBlock(ta, tb, blocking, task % perMatrix, M, N, K, alpha,
              A + i * strideA, lda, B + i * strideB, ldb, beta,
              C + i * strideC, ldc);
  }
}

/// The 16-bit gemmSerial: the block in f32 (beta * C widened first when
/// beta != 0), rounded to T once.
template <typename T>
void halfGemmSerial(Transpose transA, Transpose transB, int64_t M, int64_t N,
                    int64_t K, float alpha, const T *A, int64_t lda,
                    const T *B, int64_t ldb, float beta, T *C, int64_t ldc) {
  if (M <= 0 || N <= 0)
    return;
  thread_local std::vector<float> c32;
  c32.resize(size_t(M * N));
  if (beta != 0.0f)
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j)
        c32[size_t(i * N + j)] = float(C[i * ldc + j]);
  gemmToFloatSerial(isTrans(transA), isTrans(transB), M, N, K, alpha, A, lda,
                    B, ldb, beta, c32.data(), N);
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j)
      C[i * ldc + j] = T(c32[size_t(i * N + j)]);
}

} // namespace

template <>
void gemmSerial<float>(Transpose transA, Transpose transB, int64_t M,
                       int64_t N, int64_t K, float alpha, const float *A,
                       int64_t lda, const float *B, int64_t ldb, float beta,
                       float *C, int64_t ldc) {
  if (M <= 0 || N <= 0)
    return;
  if (K <= 0 || alpha == 0.0f) {
    scaleC(M, N, beta, C, ldc);
    return;
  }
  [[maybe_unused]] const dnnl_status_t status = onCallingThread([&] {
    return dnnl_sgemm(isTrans(transA) ? 'T' : 'N', isTrans(transB) ? 'T' : 'N',
                      M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  });
  assert(status == dnnl_success && "dnnl_sgemm rejected its arguments");
}

template <>
void gemmSerial<double>(Transpose transA, Transpose transB, int64_t M,
                        int64_t N, int64_t K, double alpha, const double *A,
                        int64_t lda, const double *B, int64_t ldb, double beta,
                        double *C, int64_t ldc) {
  if (M <= 0 || N <= 0)
    return;
  gemmBlocked(isTrans(transA), isTrans(transB), M, N, K, alpha, A, lda, B, ldb,
              beta, C, ldc);
}

template <>
void gemmSerial<bf16>(Transpose transA, Transpose transB, int64_t M, int64_t N,
                      int64_t K, float alpha, const bf16 *A, int64_t lda,
                      const bf16 *B, int64_t ldb, float beta, bf16 *C,
                      int64_t ldc) {
  halfGemmSerial(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

template <>
void gemmSerial<f16>(Transpose transA, Transpose transB, int64_t M, int64_t N,
                     int64_t K, float alpha, const f16 *A, int64_t lda,
                     const f16 *B, int64_t ldb, float beta, f16 *C,
                     int64_t ldc) {
  halfGemmSerial(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

template <typename T>
void gemm(Transpose transA, Transpose transB, int64_t M, int64_t N, int64_t K,
          AccumulatorOf<T> alpha, const T *A, int64_t lda, const T *B,
          int64_t ldb, AccumulatorOf<T> beta, T *C, int64_t ldc) {
  blockedProduct(transA, transB, 1, M, N, K, alpha, A, lda, 0, B, ldb, 0, beta,
                 C, ldc, 0);
}

template <typename T>
void gemmToFloat(Transpose transA, Transpose transB, int64_t M, int64_t N,
                 int64_t K, float alpha, const T *A, int64_t lda, const T *B,
                 int64_t ldb, float beta, float *C, int64_t ldc) {
  blockedProduct(transA, transB, 1, M, N, K, alpha, A, lda, 0, B, ldb, 0, beta,
                 C, ldc, 0);
}

template <typename T>
void batchedGemm(Transpose transA, Transpose transB, int64_t batch, int64_t M,
                 int64_t N, int64_t K, AccumulatorOf<T> alpha, const T *A,
                 int64_t lda, int64_t strideA, const T *B, int64_t ldb,
                 int64_t strideB, AccumulatorOf<T> beta, T *C, int64_t ldc,
                 int64_t strideC) {
  blockedProduct(transA, transB, batch, M, N, K, alpha, A, lda, strideA, B,
                 ldb, strideB, beta, C, ldc, strideC);
}

#define STRATA_INSTANTIATE(T)                                                  \
  template void gemm<T>(Transpose, Transpose, int64_t, int64_t, int64_t,       \
                        AccumulatorOf<T>, const T *, int64_t, const T *,       \
                        int64_t, AccumulatorOf<T>, T *, int64_t);              \
  template void batchedGemm<T>(Transpose, Transpose, int64_t, int64_t,         \
                               int64_t, int64_t, AccumulatorOf<T>, const T *,  \
                               int64_t, int64_t, const T *, int64_t, int64_t,  \
                               AccumulatorOf<T>, T *, int64_t, int64_t);
STRATA_FOR_EACH_ELEMENT_TYPE(STRATA_INSTANTIATE)
#undef STRATA_INSTANTIATE

#define STRATA_INSTANTIATE(T)                                                  \
  template void gemmToFloat<T>(Transpose, Transpose, int64_t, int64_t,         \
                               int64_t, float, const T *, int64_t, const T *,  \
                               int64_t, float, float *, int64_t);
STRATA_INSTANTIATE(float)
STRATA_INSTANTIATE(bf16)
STRATA_INSTANTIATE(f16)
#undef STRATA_INSTANTIATE

} // namespace strata::runtime::cpu
