//===- gemm_plan.h - cuBLASLt's view of one GEMM ----------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Shared by gemm.cc (plans, the GEMM entry points) and gemm_autotune.cc
// (choosing a plan's algorithm); not for other users.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_GEMM_PLAN_H
#define STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_GEMM_PLAN_H

#include "runtime/backends/gemm_tuning/gemm_descriptor.h"
#include "runtime/support/status.h"

#include <cublasLt.h>
#include <cuda_runtime_api.h>

#include <string>
#include <tuple>

namespace strata::runtime::cuda::kernels {

/// OK for CUBLAS_STATUS_SUCCESS; otherwise kInternal naming |what| and
/// cuBLASLt's status.
Status checkLt(cublasStatus_t status, const std::string &what);

/// What a GEMM's descriptors and algorithm depend on: the GPU and the
/// GemmDescriptor (the tuning cache's key on that GPU).
struct GemmKey {
  int device = 0;
  GemmDescriptor gemm;

  bool operator<(const GemmKey &other) const {
    return std::tie(device, gemm) < std::tie(other.device, other.gemm);
  }
  std::string text() const { return gemm.text(); }
};

/// cuBLASLt's view of one key: the operation, the layouts of its A (our
/// B), its B (our A) and its C = D (our C, transposed), and the algorithm.
struct GemmPlan {
  cublasLtMatmulDesc_t operation = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
  cublasLtMatmulAlgo_t algorithm{};

  GemmPlan() = default;
  GemmPlan(const GemmPlan &) = delete;
  GemmPlan &operator=(const GemmPlan &) = delete;
  /// Runs only for a plan that failed to build or choose: cached plans live
  /// as long as the process (gemm.cc).
  ~GemmPlan();
};

/// The device memory one GEMM call runs on.
struct GemmOperands {
  const void *a = nullptr;
  const void *b = nullptr;
  void *c = nullptr;
  /// kGemmWorkspaceBytes of it.
  void *workspace = nullptr;
  cudaStream_t stream = nullptr;
};

/// Queues C = op(A) op(B) (alpha 1, beta 0) with |algorithm|.
cublasStatus_t launchGemm(cublasLtHandle_t handle, const GemmPlan &plan,
                          const cublasLtMatmulAlgo_t &algorithm,
                          const GemmOperands &operands);

/// Bytes from the start of A, B and C to the end of their last row, as
/// stored (row-major with the leading dimensions).
size_t operandBytesA(const GemmDescriptor &gemm);
size_t operandBytesB(const GemmDescriptor &gemm);
size_t operandBytesC(const GemmDescriptor &gemm);

} // namespace strata::runtime::cuda::kernels

#endif // STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_GEMM_PLAN_H
