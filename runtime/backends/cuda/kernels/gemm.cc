//===- gemm.cc - GEMMs through cuBLASLt -----------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Host code only: cuBLASLt's kernels do the work. What a call costs after
// the first of its key: a cache lookup under a mutex and cublasLtMatmul.
// The first call of a key builds its plan and chooses its algorithm
// (gemm_autotune.h: the tuning cache file's, or timed now).
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/kernels/gemm.h"

#include "runtime/backends/cuda/cuda_check.h"
#include "runtime/backends/cuda/kernels/gemm_autotune.h"
#include "runtime/backends/cuda/kernels/gemm_plan.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

namespace strata::runtime::cuda::kernels {

Status checkLt(cublasStatus_t status, const std::string &what) {
  if (status == CUBLAS_STATUS_SUCCESS)
    return Status::ok();
  return Status::internal(what + ": " + cublasLtGetStatusName(status) + ": " +
                          cublasLtGetStatusString(status));
}

GemmPlan::~GemmPlan() {
  if (c)
    cublasLtMatrixLayoutDestroy(c);
  if (b)
    cublasLtMatrixLayoutDestroy(b);
  if (a)
    cublasLtMatrixLayoutDestroy(a);
  if (operation)
    cublasLtMatmulDescDestroy(operation);
}

cublasStatus_t launchGemm(cublasLtHandle_t handle, const GemmPlan &plan,
                          const cublasLtMatmulAlgo_t &algorithm,
                          const GemmOperands &o) {
  const float alpha = 1.0f, beta = 0.0f;
  // C^T = op(B)^T op(A)^T: cuBLASLt's A is our B.
  return cublasLtMatmul(handle, plan.operation, &alpha, o.b, plan.a, o.a,
                        plan.b, &beta, o.c, plan.c, o.c, plan.c, &algorithm,
                        o.workspace, kGemmWorkspaceBytes, o.stream);
}

size_t operandBytesA(const GemmDescriptor &g) {
  const GemmShape &s = g.shape;
  const int64_t rows = s.transA ? s.k : s.m, cols = s.transA ? s.m : s.k;
  return size_t((rows - 1) * s.lda + cols) * dtypeSize(g.dtype);
}

size_t operandBytesB(const GemmDescriptor &g) {
  const GemmShape &s = g.shape;
  const int64_t rows = s.transB ? s.n : s.k, cols = s.transB ? s.k : s.n;
  return size_t((rows - 1) * s.ldb + cols) * dtypeSize(g.dtype);
}

size_t operandBytesC(const GemmDescriptor &g) {
  const GemmShape &s = g.shape;
  return size_t((s.m - 1) * s.ldc + s.n) * dtypeSize(g.dtype);
}

namespace {

/// STRATA_CUDA_TF32=1: F32 GEMMs may use TF32 tensor cores (read once).
bool tf32Allowed() {
  static const bool allowed = [] {
    const char *value = std::getenv("STRATA_CUDA_TF32");
    return value && std::strcmp(value, "1") == 0;
  }();
  return allowed;
}

/// The handles (one per device) and plans. Never destroyed: freeing
/// cuBLASLt objects from a static destructor could run after the CUDA
/// runtime has shut down at exit.
struct GemmCache {
  std::mutex mutex;
  std::map<int, cublasLtHandle_t> handles;
  std::map<GemmKey, std::unique_ptr<GemmPlan>> plans;
};

GemmCache &cache() {
  static GemmCache *const instance = new GemmCache;
  return *instance;
}

/// The handle of |device|, created on first use (the caller holds the
/// cache's mutex).
StatusOr<cublasLtHandle_t> handleFor(GemmCache &cache, int device) {
  auto it = cache.handles.find(device);
  if (it != cache.handles.end())
    return it->second;
  cublasLtHandle_t handle = nullptr;
  STRATA_RETURN_IF_ERROR(
      checkLt(cublasLtCreate(&handle),
              "cublasLtCreate on cuda:" + std::to_string(device)));
  cache.handles.emplace(device, handle);
  return handle;
}

cudaDataType_t cudaTypeOf(DType dtype) {
  switch (dtype) {
  case DType::BF16:
    return CUDA_R_16BF;
  case DType::F16:
    return CUDA_R_16F;
  default:
    return CUDA_R_32F;
  }
}

/// The operation and layouts of |key| (its algorithm is chosen after).
StatusOr<std::unique_ptr<GemmPlan>> buildPlan(const GemmKey &key) {
  auto plan = std::make_unique<GemmPlan>();
  const GemmDescriptor &g = key.gemm;
  const GemmShape &s = g.shape;
  const cudaDataType_t type = cudaTypeOf(g.dtype);
  const cublasComputeType_t compute =
      g.tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  STRATA_RETURN_IF_ERROR(
      checkLt(cublasLtMatmulDescCreate(&plan->operation, compute, CUDA_R_32F),
              "cublasLtMatmulDescCreate"));
  // Column-major, C^T = op(B)^T op(A)^T: cuBLASLt's A is our B.
  const cublasOperation_t opA = s.transB ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t opB = s.transA ? CUBLAS_OP_T : CUBLAS_OP_N;
  STRATA_RETURN_IF_ERROR(checkLt(
      cublasLtMatmulDescSetAttribute(
          plan->operation, CUBLASLT_MATMUL_DESC_TRANSA, &opA, sizeof(opA)),
      "cublasLtMatmulDescSetAttribute(TRANSA)"));
  STRATA_RETURN_IF_ERROR(checkLt(
      cublasLtMatmulDescSetAttribute(
          plan->operation, CUBLASLT_MATMUL_DESC_TRANSB, &opB, sizeof(opB)),
      "cublasLtMatmulDescSetAttribute(TRANSB)"));
  // The layouts of the matrices as stored, read column-major: our
  // row-major B, [k, n] (ldb >= n) or transposed [n, k] (ldb >= k), is the
  // column-major [n, k] or [k, n]; likewise A; our C [m, n] is C^T [n, m].
  STRATA_RETURN_IF_ERROR(
      checkLt(cublasLtMatrixLayoutCreate(&plan->a, type, s.transB ? s.k : s.n,
                                         s.transB ? s.n : s.k, s.ldb),
              "cublasLtMatrixLayoutCreate(B)"));
  STRATA_RETURN_IF_ERROR(
      checkLt(cublasLtMatrixLayoutCreate(&plan->b, type, s.transA ? s.m : s.k,
                                         s.transA ? s.k : s.m, s.lda),
              "cublasLtMatrixLayoutCreate(A)"));
  STRATA_RETURN_IF_ERROR(
      checkLt(cublasLtMatrixLayoutCreate(&plan->c, type, s.n, s.m, s.ldc),
              "cublasLtMatrixLayoutCreate(C)"));
  return plan;
}

/// The plan of |key|, built and its algorithm chosen on first use (on
/// |operands|, timing |reps| calls per candidate when it tunes).
StatusOr<std::pair<cublasLtHandle_t, const GemmPlan *>>
planFor(const GemmKey &key, const GemmOperands &operands, int reps,
        GemmTuningReport *report) {
  GemmCache &all = cache();
  std::lock_guard<std::mutex> lock(all.mutex);
  STRATA_ASSIGN_OR_RETURN(cublasLtHandle_t handle, handleFor(all, key.device));
  auto it = all.plans.find(key);
  if (it == all.plans.end() || report) {
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<GemmPlan> built, buildPlan(key));
    STRATA_RETURN_IF_ERROR(
        chooseAlgorithm(handle, key, *built, operands, reps, report));
    if (it == all.plans.end())
      it = all.plans.emplace(key, std::move(built)).first;
  }
  return std::pair<cublasLtHandle_t, const GemmPlan *>(
      handle, it->second.get()); // never erased
}

/// The key of a GEMM on the current device.
StatusOr<GemmKey> keyOf(DType dtype, const GemmShape &shape, const void *a,
                        const void *b, const void *c) {
  GemmKey key;
  STRATA_RETURN_IF_ERROR(check(cudaGetDevice(&key.device), "cudaGetDevice"));
  key.gemm.dtype = dtype;
  key.gemm.shape = shape;
  key.gemm.alignA = alignmentOfAddress(reinterpret_cast<uintptr_t>(a));
  key.gemm.alignB = alignmentOfAddress(reinterpret_cast<uintptr_t>(b));
  key.gemm.alignC = alignmentOfAddress(reinterpret_cast<uintptr_t>(c));
  key.gemm.tf32 = dtype == DType::F32 && tf32Allowed();
  return key;
}

/// Device memory for one operand of tuneGemm, at an address of alignment
/// exactly |alignment|, filled with small finite values (bytes 0x3c: 0.0115
/// in F32 and BF16, 1.06 in F16).
class TuningOperand {
public:
  Status allocate(size_t bytes, uint32_t alignment, cudaStream_t stream) {
    STRATA_RETURN_IF_ERROR(check(cudaMalloc(&raw_, bytes + kMaxGemmAlignment),
                                 "cudaMalloc of " + std::to_string(bytes) +
                                     " bytes for a GEMM to tune"));
    // cudaMalloc's addresses are 256-byte aligned.
    at_ = static_cast<uint8_t *>(raw_) +
          (alignment < kMaxGemmAlignment ? alignment : 0);
    return check(cudaMemsetAsync(at_, 0x3c, bytes, stream), "cudaMemsetAsync");
  }
  ~TuningOperand() {
    if (raw_)
      cudaFree(raw_);
  }
  void *get() const { return at_; }

private:
  void *raw_ = nullptr;
  void *at_ = nullptr;
};

} // namespace

Status gemm(DType dtype, const GemmShape &shape, const void *a, const void *b,
            void *c, void *workspace, size_t workspaceBytes,
            cudaStream_t stream) {
  if (shape.m == 0 || shape.n == 0)
    return Status::ok();
  const size_t element = dtypeSize(dtype);
  if (shape.k == 0) // an empty sum: C = 0
    return check(cudaMemset2DAsync(c, size_t(shape.ldc) * element, 0,
                                   size_t(shape.n) * element, size_t(shape.m),
                                   stream),
                 "cudaMemset2DAsync (a GEMM with k = 0)");
  if (workspaceBytes < kGemmWorkspaceBytes)
    return Status::internal("a GEMM got " + std::to_string(workspaceBytes) +
                            " bytes of workspace, fewer than the " +
                            std::to_string(kGemmWorkspaceBytes) +
                            " the CUDA backend asked for");
  STRATA_ASSIGN_OR_RETURN(const GemmKey key, keyOf(dtype, shape, a, b, c));
  const GemmOperands operands{a, b, c, workspace, stream};
  STRATA_ASSIGN_OR_RETURN(auto planned,
                          planFor(key, operands, kGemmTuningReps, nullptr));
  const auto [handle, plan] = planned;
  return checkLt(launchGemm(handle, *plan, plan->algorithm, operands),
                 "cublasLtMatmul " + key.text());
}

StatusOr<GemmTuningReport> tuneGemm(const GemmDescriptor &gemm, int reps,
                                    cudaStream_t stream) {
  const GemmShape &s = gemm.shape;
  if (s.m <= 0 || s.n <= 0 || s.k <= 0 || reps <= 0)
    return Status::invalidArgument("nothing to time for the GEMM " +
                                   gemm.text() + " with " +
                                   std::to_string(reps) + " reps");
  GemmKey key;
  STRATA_RETURN_IF_ERROR(check(cudaGetDevice(&key.device), "cudaGetDevice"));
  key.gemm = gemm;
  key.gemm.tf32 = gemm.dtype == DType::F32 && tf32Allowed();
  TuningOperand a, b, c, workspace;
  STRATA_RETURN_IF_ERROR(a.allocate(operandBytesA(gemm), gemm.alignA, stream));
  STRATA_RETURN_IF_ERROR(b.allocate(operandBytesB(gemm), gemm.alignB, stream));
  STRATA_RETURN_IF_ERROR(c.allocate(operandBytesC(gemm), gemm.alignC, stream));
  STRATA_RETURN_IF_ERROR(
      workspace.allocate(kGemmWorkspaceBytes, kMaxGemmAlignment, stream));
  GemmTuningReport report;
  STRATA_RETURN_IF_ERROR(
      planFor(key,
              GemmOperands{a.get(), b.get(), c.get(), workspace.get(), stream},
              reps, &report)
          .status());
  // The operands are freed next: nothing may still be running on them.
  STRATA_RETURN_IF_ERROR(
      check(cudaStreamSynchronize(stream), "tuning the GEMM " + gemm.text()));
  return report;
}

} // namespace strata::runtime::cuda::kernels
