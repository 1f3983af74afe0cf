//===- gemm.cc - dense matrix products ----------------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/gemm.h"

#include "runtime/kernels/cpu/kernel_util.h"

#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <cassert>

namespace strata::runtime::cpu {
namespace {

bool isTrans(Transpose t) { return t == Transpose::kYes; }

/// C = beta * C, with C overwritten (not read) when beta == 0.
template <typename T>
void scaleC(int64_t M, int64_t N, T beta, T *C, int64_t ldc) {
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

template <typename T>
void gemmBlock(bool ta, bool tb, const Blocking &b, int64_t block, int64_t M,
               int64_t N, int64_t K, T alpha, const T *A, int64_t lda,
               const T *B, int64_t ldb, T beta, T *C, int64_t ldc) {
  const int64_t i0 = (block / b.colBlocks) * b.rows;
  const int64_t j0 = (block % b.colBlocks) * b.cols;
  const int64_t m = std::min(b.rows, M - i0), n = std::min(b.cols, N - j0);
  const T *a = ta ? A + i0 : A + i0 * lda;
  const T *bb = tb ? B + j0 * ldb : B + j0;
  gemmSerial(ta ? Transpose::kYes : Transpose::kNo,
             tb ? Transpose::kYes : Transpose::kNo, m, n, K, alpha, a, lda, bb,
             ldb, beta, C + i0 * ldc + j0, ldc);
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
  // Inside an active parallel region oneDNN runs on the calling thread
  // alone; elsewhere it would use omp_get_max_threads() threads, so lower
  // that to one for the call.
  const bool inParallel = omp_in_parallel();
  const int savedThreads = inParallel ? 1 : omp_get_max_threads();
  if (!inParallel)
    omp_set_num_threads(1);
  [[maybe_unused]] dnnl_status_t status =
      dnnl_sgemm(isTrans(transA) ? 'T' : 'N', isTrans(transB) ? 'T' : 'N', M,
                 N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  if (!inParallel)
    omp_set_num_threads(savedThreads);
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

template <typename T>
void gemm(Transpose transA, Transpose transB, int64_t M, int64_t N, int64_t K,
          T alpha, const T *A, int64_t lda, const T *B, int64_t ldb, T beta,
          T *C, int64_t ldc) {
  batchedGemm(transA, transB, 1, M, N, K, alpha, A, lda, 0, B, ldb, 0, beta,
              C, ldc, 0);
}

template <typename T>
void batchedGemm(Transpose transA, Transpose transB, int64_t batch, int64_t M,
                 int64_t N, int64_t K, T alpha, const T *A, int64_t lda,
                 int64_t strideA, const T *B, int64_t ldb, int64_t strideB,
                 T beta, T *C, int64_t ldc, int64_t strideC) {
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

template void gemm<float>(Transpose, Transpose, int64_t, int64_t, int64_t,
                          float, const float *, int64_t, const float *,
                          int64_t, float, float *, int64_t);
template void gemm<double>(Transpose, Transpose, int64_t, int64_t, int64_t,
                           double, const double *, int64_t, const double *,
                           int64_t, double, double *, int64_t);
template void batchedGemm<float>(Transpose, Transpose, int64_t, int64_t,
                                 int64_t, int64_t, float, const float *,
                                 int64_t, int64_t, const float *, int64_t,
                                 int64_t, float, float *, int64_t, int64_t);
template void batchedGemm<double>(Transpose, Transpose, int64_t, int64_t,
                                  int64_t, int64_t, double, const double *,
                                  int64_t, int64_t, const double *, int64_t,
                                  int64_t, double, double *, int64_t, int64_t);

} // namespace strata::runtime::cpu
