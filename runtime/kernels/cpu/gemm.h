//===- gemm.h - dense matrix products ----------------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Row-major GEMM: float goes to oneDNN's dnnl_sgemm, double to a
// cache-blocked loop (double exists for finite-difference gradient checks).
// Results are bitwise independent of the number of OpenMP threads: C is cut
// into blocks whose shape depends only on (M, N, K), and each block is one
// single-threaded call (oneDNN's own threading may split K differently for
// different thread counts, so it is never used).
//
// Usage:
//   // y[tokens, out] = x[tokens, in] * w[out, in]^T
//   gemm<float>(Transpose::kNo, Transpose::kYes, tokens, out, in, 1.0f,
//               x, in, w, in, 0.0f, y, out);
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_KERNELS_CPU_GEMM_H
#define STRATA_RUNTIME_KERNELS_CPU_GEMM_H

#include <cstdint>

namespace strata::runtime::cpu {

enum class Transpose : bool { kNo = false, kYes = true };

/// C[M,N] = |alpha| * op(A)[M,K] * op(B)[K,N] + |beta| * C[M,N], row-major.
/// op(A) is A, stored [M,K] with row stride |lda| >= K, or (kYes) A^T with A
/// stored [K,M], |lda| >= M; likewise op(B) from B [K,N] (|ldb| >= N) or
/// B [N,K] (|ldb| >= K). C has row stride |ldc| >= N. When |beta| == 0, C is
/// not read (NaNs in it do not propagate). Multi-threaded; call outside a
/// parallel region. T = float or double.
template <typename T>
void gemm(Transpose transA, Transpose transB, int64_t M, int64_t N, int64_t K,
          T alpha, const T *A, int64_t lda, const T *B, int64_t ldb, T beta,
          T *C, int64_t ldc);

/// The same product computed by the calling thread alone, for use inside a
/// parallel region (the attention kernels call it on tiles).
template <typename T>
void gemmSerial(Transpose transA, Transpose transB, int64_t M, int64_t N,
                int64_t K, T alpha, const T *A, int64_t lda, const T *B,
                int64_t ldb, T beta, T *C, int64_t ldc);

/// For i in [0, |batch|): C_i = |alpha| * op(A_i) * op(B_i) + |beta| * C_i,
/// with A_i = A + i * |strideA|, B_i = B + i * |strideB|,
/// C_i = C + i * |strideC| (strides in elements) and each product as in
/// gemm(). The C_i must not overlap. Parallel over the batch and blocks of
/// each C_i; bitwise equal to |batch| separate gemm() calls.
template <typename T>
void batchedGemm(Transpose transA, Transpose transB, int64_t batch, int64_t M,
                 int64_t N, int64_t K, T alpha, const T *A, int64_t lda,
                 int64_t strideA, const T *B, int64_t ldb, int64_t strideB,
                 T beta, T *C, int64_t ldc, int64_t strideC);

} // namespace strata::runtime::cpu

#endif // STRATA_RUNTIME_KERNELS_CPU_GEMM_H
