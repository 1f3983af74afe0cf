//===- gemm.h - GEMMs through cuBLASLt --------------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// C = op(A) op(B) for a GemmShape (row-major, BLAS conventions, as the
// CPU's cpu::gemm) in F32, BF16 or F16, through cuBLASLt. cuBLASLt is
// column-major: a row-major matrix is its transpose in column-major order
// with the same leading dimension, so C^T = op(B)^T op(A)^T is computed,
// with the operands swapped and m and n exchanged.
//
// Numerics: every type accumulates in f32 (CUBLAS_COMPUTE_32F); 16-bit
// results are rounded once. F32 does not use TF32 tensor cores (10-bit
// mantissas would miss the conformance suite's F32 bound of 2e-5 against
// the CPU's f64 results); STRATA_CUDA_TF32=1 in the environment allows
// them (CUBLAS_COMPUTE_32F_FAST_TF32) for F32 programs that can take it.
// Split-K reductions are restricted to f32 partial sums in the workspace
// (never summed in a 16-bit output).
//
// The algorithm of each GEMM (type, shape, operand alignments: a
// GemmDescriptor) is chosen by GEMM autotuning (gemm_autotune.h): the
// candidates cuBLASLt's heuristic offers are timed once and the fastest is
// kept in the GEMM tuning cache file, which later runs read; once cached,
// repeated calls and runs give the same bits (cuBLAS's reproducibility:
// same algorithm, same architecture and SM count).
//
// Each GPU gets one cuBLASLt handle, created on its first GEMM. The
// descriptors of a key (the operation, the three layouts) and its
// algorithm are kept per (device, GemmDescriptor), so a training step
// rebuilds nothing.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_GEMM_H
#define STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_GEMM_H

#include "runtime/backends/gemm_tuning/gemm_descriptor.h"
#include "runtime/backends/gemm_tuning/gemm_tuning_cache.h"
#include "runtime/backends/kernel_descriptor.h"
#include "runtime/support/status.h"

#include <cuda_runtime_api.h>

#include <cstddef>
#include <string>

namespace strata::runtime::cuda::kernels {

/// The workspace every GEMM gets (split-K partial sums, cuBLASLt's own).
constexpr size_t kGemmWorkspaceBytes = size_t(32) << 20;

/// Queues C = op(A) op(B) (alpha 1, beta 0: C is written, not read) on
/// |stream|, with |a|, |b|, |c| device arrays of |dtype| (F32, BF16 or
/// F16) laid out as |shape| says and |workspace| at least
/// kGemmWorkspaceBytes of device memory. An error when cuBLASLt refuses
/// (no handle: no GPU; no algorithm for the shape), naming the shape.
Status gemm(DType dtype, const GemmShape &shape, const void *a, const void *b,
            void *c, void *workspace, size_t workspaceBytes,
            cudaStream_t stream);

/// GEMM autotuning ahead of time (strata-run tune-gemms): chooses the
/// algorithm of |gemm| on the current device as its first gemm() call
/// would, timing |reps| calls per candidate on operands of its shape and
/// alignments allocated here, queued on |stream|. Reports the tuning cache
/// entry used, read from the file or measured now.
StatusOr<GemmTuningReport> tuneGemm(const GemmDescriptor &gemm, int reps,
                                    cudaStream_t stream);

/// The GEMM tuning cache file from now on ("": the default,
/// defaultGemmTuningCachePath(): STRATA_GEMM_CACHE, else under
/// $XDG_CACHE_HOME or ~/.cache).
void setGemmTuningCachePath(const std::string &path);

} // namespace strata::runtime::cuda::kernels

#endif // STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_GEMM_H
