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
// bf16 goes to oneDNN's dnnl_gemm_bf16bf16f32 (bf16 products, f32
// accumulation; AVX512-BF16 instructions where the processor has them):
// each block of C is computed in f32 (beta * C widened first) and rounded to
// bf16 once. The function is exported by libdnnl but not declared in its
// public header (oneDNN's own tests declare it the same way); it needs
// AVX-512, and without it bf16 takes the f16 path. f16: oneDNN 2.6 has no
// f16 GEMM on CPUs without AVX512-FP16, so each block widens panels of 256
// k of A and B to f32 and calls dnnl_sgemm per panel, into an f32 block
// rounded once. gemmToFloat() is the same product left in f32. The 16-bit
// paths keep per-thread f32 scratch between calls (a block of C, up to
// 512 x 1024 floats, and for f16 the two panels).
//
// Usage:
//   // y[tokens, out] = x[tokens, in] * w[out, in]^T
//   gemm<float>(Transpose::kNo, Transpose::kYes, tokens, out, in, 1.0f,
//               x, in, w, in, 0.0f, y, out);
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_KERNELS_CPU_GEMM_H
#define STRATA_RUNTIME_KERNELS_CPU_GEMM_H

#include "runtime/kernels/cpu/element_type.h"

#include <cstdint>

namespace strata::runtime::cpu {

enum class Transpose : bool { kNo = false, kYes = true };

/// C[M,N] = |alpha| * op(A)[M,K] * op(B)[K,N] + |beta| * C[M,N], row-major.
/// op(A) is A, stored [M,K] with row stride |lda| >= K, or (kYes) A^T with A
/// stored [K,M], |lda| >= M; likewise op(B) from B [K,N] (|ldb| >= N) or
/// B [N,K] (|ldb| >= K). C has row stride |ldc| >= N. When |beta| == 0, C is
/// not read (NaNs in it do not propagate). Multi-threaded; call outside a
/// parallel region. T = float, double, bf16 or f16; alpha and beta are
/// AccumulatorOf<T> (float for the 16-bit types, whose C is computed in
/// float and rounded once).
template <typename T>
void gemm(Transpose transA, Transpose transB, int64_t M, int64_t N, int64_t K,
          AccumulatorOf<T> alpha, const T *A, int64_t lda, const T *B,
          int64_t ldb, AccumulatorOf<T> beta, T *C, int64_t ldc);

/// gemm() with an f32 C: C = |alpha| * op(A) * op(B) + |beta| * C for A and
/// B of T = bf16, f16 (or float: gemm<float>), without rounding the product
/// to 16 bits. With beta = 1 it accumulates a 16-bit weight gradient
/// straight into its f32 main gradient (Megatron's
/// gradient_accumulation_fusion). Same blocking and determinism as gemm().
template <typename T>
void gemmToFloat(Transpose transA, Transpose transB, int64_t M, int64_t N,
                 int64_t K, float alpha, const T *A, int64_t lda, const T *B,
                 int64_t ldb, float beta, float *C, int64_t ldc);

/// The same product computed by the calling thread alone, for use inside a
/// parallel region (the attention kernels call it on tiles).
template <typename T>
void gemmSerial(Transpose transA, Transpose transB, int64_t M, int64_t N,
                int64_t K, AccumulatorOf<T> alpha, const T *A, int64_t lda,
                const T *B, int64_t ldb, AccumulatorOf<T> beta, T *C,
                int64_t ldc);

/// For i in [0, |batch|): C_i = |alpha| * op(A_i) * op(B_i) + |beta| * C_i,
/// with A_i = A + i * |strideA|, B_i = B + i * |strideB|,
/// C_i = C + i * |strideC| (strides in elements) and each product as in
/// gemm(). The C_i must not overlap. Parallel over the batch and blocks of
/// each C_i; bitwise equal to |batch| separate gemm() calls.
template <typename T>
void batchedGemm(Transpose transA, Transpose transB, int64_t batch, int64_t M,
                 int64_t N, int64_t K, AccumulatorOf<T> alpha, const T *A,
                 int64_t lda, int64_t strideA, const T *B, int64_t ldb,
                 int64_t strideB, AccumulatorOf<T> beta, T *C, int64_t ldc,
                 int64_t strideC);

} // namespace strata::runtime::cpu

#endif // STRATA_RUNTIME_KERNELS_CPU_GEMM_H
