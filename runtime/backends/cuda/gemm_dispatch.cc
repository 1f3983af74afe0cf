//===- gemm_dispatch.cc - matmuls and their gradients through cuBLASLt ----===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Matmul, MatmulGradInput and MatmulGradWeight are one GEMM each: the
// preparation's GemmShape says which operand is transposed
// (kernel_descriptor.h), so the three share one entry.
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/dispatch.h"
#include "runtime/backends/cuda/kernels/gemm.h"

namespace strata::runtime::cuda {

namespace {

bool isGemm(Kernel kernel) {
  return kernel == Kernel::Matmul || kernel == Kernel::MatmulGradInput ||
         kernel == Kernel::MatmulGradWeight;
}

/// C (result 0) = op(A) op(B) (operands 0 and 1) in the descriptor's type.
Status runGemm(const KernelDescriptor &p, const KernelRunContext &c,
               cudaStream_t stream) {
  const Args<uint8_t> a(p, c, stream);
  const Status status =
      kernels::gemm(p.dtype, p.as<GemmShape>(), a.in(0), a.in(1), a.out(0),
                    a.ownWorkspace<uint8_t>(), a.ownWorkspaceBytes(), stream);
  return status.isOk() ? status : status.withContext(p.where);
}

} // namespace

size_t gemmWorkspaceBytes(const KernelDescriptor &d) {
  return isGemm(d.kernel) ? ownWorkspaceRequest(d, kernels::kGemmWorkspaceBytes)
                          : 0;
}

void addGemmKernels(DispatchTable &table) {
  for (Kernel kernel :
       {Kernel::Matmul, Kernel::MatmulGradInput, Kernel::MatmulGradWeight})
    for (DType dtype : {DType::F32, DType::BF16, DType::F16})
      table[size_t(kernel)][size_t(dtype)] = &runGemm;
}

} // namespace strata::runtime::cuda
