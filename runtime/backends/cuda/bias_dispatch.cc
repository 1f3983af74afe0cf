//===- bias_dispatch.cc - bias gradient and the fused bias-GELU -----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// As runtime/backends/cpu/cpu_kernels.cc: BiasGrad (dy) -> db; BiasGelu
// (x, b) -> y; BiasGeluGrad (x, b, dy) -> (dx, db), ints[0] the tanh
// approximation. The bias gradients' column sums use the backend's own
// workspace (ownWorkspaceBytes).
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/dispatch.h"
#include "runtime/backends/cuda/kernels/bias.h"
#include "runtime/backends/cuda/kernels/column_sums.h"

namespace strata::runtime::cuda {

namespace {

template <typename T>
Status runBias(const KernelDescriptor &p, const KernelRunContext &c,
               cudaStream_t stream) {
  namespace k = kernels;
  const Args<T> a(p, c, stream);
  const auto &r = p.as<RowsShape>();
  const size_t partials = k::columnSumWorkspaceBytes(r.rows, r.cols);
  switch (p.kernel) {
  case Kernel::BiasGrad:
    STRATA_RETURN_IF_ERROR(a.needWorkspace(0, partials));
    k::biasGrad<T>(a.in(0), r.rows, r.cols, a.out(0), a.template ownWorkspace<float>(),
                   stream);
    break;
  case Kernel::BiasGelu:
    k::biasGelu<T>(a.in(0), a.in(1), r.rows, r.cols, p.ints[0] != 0, a.out(0),
                   stream);
    break;
  case Kernel::BiasGeluGrad:
    STRATA_RETURN_IF_ERROR(a.needWorkspace(0, partials));
    k::biasGeluGrad<T>(a.in(0), a.in(1), a.in(2), r.rows, r.cols,
                       p.ints[0] != 0, a.out(0), a.out(1),
                       a.template ownWorkspace<float>(), stream);
    break;
  default:
    return Status::internal(p.where + ": not a bias CUDA kernel");
  }
  return a.launched();
}

constexpr Kernel kBiasKernels[] = {Kernel::BiasGrad, Kernel::BiasGelu,
                                   Kernel::BiasGeluGrad};

template <typename T> void addFamily(DispatchTable &table, DType dtype) {
  for (Kernel kernel : kBiasKernels)
    table[size_t(kernel)][size_t(dtype)] = &runBias<T>;
}

} // namespace

void addBiasKernels(DispatchTable &table) {
  addFamily<float>(table, DType::F32);
  addFamily<__nv_bfloat16>(table, DType::BF16);
  addFamily<__half>(table, DType::F16);
}

} // namespace strata::runtime::cuda
