//===- gemm.cc - GEMMs through cuBLASLt -----------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Host code only: cuBLASLt's kernels do the work. What a call costs after
// the first of its shape: a cache lookup under a mutex and
// cublasLtMatmul.
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/kernels/gemm.h"

#include "runtime/backends/cuda/cuda_check.h"

#include <cublasLt.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <type_traits>

namespace strata::runtime::cuda::kernels {

namespace {

Status checkLt(cublasStatus_t status, const std::string &what) {
  if (status == CUBLAS_STATUS_SUCCESS)
    return Status::ok();
  return Status::internal(what + ": " + cublasLtGetStatusName(status) + ": " +
                          cublasLtGetStatusString(status));
}

/// The largest power of two up to 256 that divides |p|'s address. The
/// heuristic assumes 256-byte aligned operands unless told otherwise, and
/// arena buffers are only 64-byte aligned.
uint32_t alignmentOf(const void *p) {
  const auto address = reinterpret_cast<uintptr_t>(p);
  uint32_t alignment = 256;
  while (alignment > 1 && address % alignment != 0)
    alignment /= 2;
  return alignment;
}

/// STRATA_CUDA_TF32=1: F32 GEMMs may use TF32 tensor cores (read once).
bool tf32Allowed() {
  static const bool allowed = [] {
    const char *value = std::getenv("STRATA_CUDA_TF32");
    return value && std::strcmp(value, "1") == 0;
  }();
  return allowed;
}

/// What a GEMM's descriptors and algorithm depend on.
struct GemmKey {
  int device = 0;
  DType dtype = DType::F32;
  int64_t m = 0, n = 0, k = 0, lda = 0, ldb = 0, ldc = 0;
  bool transA = false, transB = false;
  uint32_t alignA = 0, alignB = 0, alignC = 0;
  bool tf32 = false;

  auto tie() const {
    return std::tie(device, dtype, m, n, k, lda, ldb, ldc, transA, transB,
                    alignA, alignB, alignC, tf32);
  }
  bool operator<(const GemmKey &other) const { return tie() < other.tie(); }

  /// "BF16 m=5 n=11 k=7 (A, B^T) lda=7 ldb=7 ldc=11", for errors.
  std::string text() const {
    return std::string(toString(dtype)) + " m=" + std::to_string(m) +
           " n=" + std::to_string(n) + " k=" + std::to_string(k) + " (" +
           (transA ? "A^T" : "A") + ", " + (transB ? "B^T" : "B") +
           ") lda=" + std::to_string(lda) + " ldb=" + std::to_string(ldb) +
           " ldc=" + std::to_string(ldc);
  }
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
  /// Runs only for a plan that failed to build: cached plans live as long
  /// as the process (see cache()).
  ~GemmPlan() {
    if (c)
      cublasLtMatrixLayoutDestroy(c);
    if (b)
      cublasLtMatrixLayoutDestroy(b);
    if (a)
      cublasLtMatrixLayoutDestroy(a);
    if (operation)
      cublasLtMatmulDescDestroy(operation);
  }
};

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

template <typename V>
Status setPreference(cublasLtMatmulPreference_t preference,
                     cublasLtMatmulPreferenceAttributes_t attribute, V value) {
  return checkLt(cublasLtMatmulPreferenceSetAttribute(preference, attribute,
                                                      &value, sizeof(value)),
                 "cublasLtMatmulPreferenceSetAttribute");
}

/// The algorithm for |plan|: cuBLASLt's heuristic's first choice within
/// kGemmWorkspaceBytes and the operands' alignments, preferring split-K
/// reductions that sum in f32 (CUBLASLT_REDUCTION_SCHEME_COMPUTE_TYPE);
/// any reduction when no such algorithm exists.
//
// TODO(autotune): ask the heuristic for several candidates
// (requestedAlgoCount > 1), time each on the first call of a key, keep the
// fastest, and persist the choice in a file keyed by the GPU's name and SM
// count, cublasLtGetVersion() and GemmKey, so that later runs read it
// instead of timing. This function is the one place that changes.
Status selectAlgorithm(cublasLtHandle_t handle, const GemmKey &key,
                       GemmPlan &plan) {
  cublasLtMatmulPreference_t preference = nullptr;
  STRATA_RETURN_IF_ERROR(checkLt(cublasLtMatmulPreferenceCreate(&preference),
                                 "cublasLtMatmulPreferenceCreate"));
  std::unique_ptr<std::remove_pointer_t<cublasLtMatmulPreference_t>,
                  cublasStatus_t (*)(cublasLtMatmulPreference_t)>
      owned(preference, &cublasLtMatmulPreferenceDestroy);
  using Attribute = cublasLtMatmulPreferenceAttributes_t;
  STRATA_RETURN_IF_ERROR(setPreference(preference,
                                       CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                       uint64_t(kGemmWorkspaceBytes)));
  const std::pair<Attribute, uint32_t> alignments[] = {
      {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, key.alignB}, // our B
      {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, key.alignA}, // our A
      {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, key.alignC},
      {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, key.alignC}};
  for (const auto &[attribute, bytes] : alignments)
    STRATA_RETURN_IF_ERROR(setPreference(preference, attribute, bytes));
  for (uint32_t reductions : {uint32_t(CUBLASLT_REDUCTION_SCHEME_COMPUTE_TYPE),
                              uint32_t(CUBLASLT_REDUCTION_SCHEME_MASK)}) {
    STRATA_RETURN_IF_ERROR(setPreference(
        preference, CUBLASLT_MATMUL_PREF_REDUCTION_SCHEME_MASK, reductions));
    cublasLtMatmulHeuristicResult_t result{};
    int found = 0;
    STRATA_RETURN_IF_ERROR(
        checkLt(cublasLtMatmulAlgoGetHeuristic(handle, plan.operation, plan.a,
                                               plan.b, plan.c, plan.c,
                                               preference, 1, &result, &found),
                "cublasLtMatmulAlgoGetHeuristic for " + key.text()));
    if (found > 0) {
      plan.algorithm = result.algo;
      return Status::ok();
    }
  }
  return Status::internal("cuBLASLt has no algorithm for the GEMM " +
                          key.text());
}

StatusOr<std::unique_ptr<GemmPlan>> buildPlan(cublasLtHandle_t handle,
                                              const GemmKey &key) {
  auto plan = std::make_unique<GemmPlan>();
  const cudaDataType_t type = cudaTypeOf(key.dtype);
  const cublasComputeType_t compute =
      key.tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  STRATA_RETURN_IF_ERROR(
      checkLt(cublasLtMatmulDescCreate(&plan->operation, compute, CUDA_R_32F),
              "cublasLtMatmulDescCreate"));
  // Column-major, C^T = op(B)^T op(A)^T: cuBLASLt's A is our B.
  const cublasOperation_t opA = key.transB ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t opB = key.transA ? CUBLAS_OP_T : CUBLAS_OP_N;
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
  STRATA_RETURN_IF_ERROR(checkLt(
      cublasLtMatrixLayoutCreate(&plan->a, type, key.transB ? key.k : key.n,
                                 key.transB ? key.n : key.k, key.ldb),
      "cublasLtMatrixLayoutCreate(B)"));
  STRATA_RETURN_IF_ERROR(checkLt(
      cublasLtMatrixLayoutCreate(&plan->b, type, key.transA ? key.m : key.k,
                                 key.transA ? key.k : key.m, key.lda),
      "cublasLtMatrixLayoutCreate(A)"));
  STRATA_RETURN_IF_ERROR(
      checkLt(cublasLtMatrixLayoutCreate(&plan->c, type, key.n, key.m, key.ldc),
              "cublasLtMatrixLayoutCreate(C)"));
  STRATA_RETURN_IF_ERROR(selectAlgorithm(handle, key, *plan));
  return plan;
}

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
  GemmKey key;
  STRATA_RETURN_IF_ERROR(check(cudaGetDevice(&key.device), "cudaGetDevice"));
  key.dtype = dtype;
  key.m = shape.m;
  key.n = shape.n;
  key.k = shape.k;
  key.lda = shape.lda;
  key.ldb = shape.ldb;
  key.ldc = shape.ldc;
  key.transA = shape.transA;
  key.transB = shape.transB;
  key.alignA = alignmentOf(a);
  key.alignB = alignmentOf(b);
  key.alignC = alignmentOf(c);
  key.tf32 = dtype == DType::F32 && tf32Allowed();

  cublasLtHandle_t handle = nullptr;
  const GemmPlan *plan = nullptr;
  {
    GemmCache &all = cache();
    std::lock_guard<std::mutex> lock(all.mutex);
    STRATA_ASSIGN_OR_RETURN(handle, handleFor(all, key.device));
    auto it = all.plans.find(key);
    if (it == all.plans.end()) {
      STRATA_ASSIGN_OR_RETURN(std::unique_ptr<GemmPlan> built,
                              buildPlan(handle, key));
      it = all.plans.emplace(key, std::move(built)).first;
    }
    plan = it->second.get(); // never erased: valid after the lock
  }
  const float alpha = 1.0f, beta = 0.0f;
  return checkLt(cublasLtMatmul(handle, plan->operation, &alpha, b, plan->a, a,
                                plan->b, &beta, c, plan->c, c, plan->c,
                                &plan->algorithm, workspace,
                                kGemmWorkspaceBytes, stream),
                 "cublasLtMatmul " + key.text());
}

} // namespace strata::runtime::cuda::kernels
