//===- norms_dispatch.cc - LayerNorm and RMSNorm --------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Operands and results as runtime/backends/cpu/cpu_kernels.cc passes them:
// LayerNorm (x, gamma[, beta]) -> y; LayerNormGrad (dy, x, gamma) -> (dx,
// dgamma[, dbeta]) with mean and rstd in the descriptor's scratch;
// RMSNorm (x, gamma) -> y; RMSNormGrad (dy, x, gamma) -> (dx, dgamma) with
// rstd in the scratch. The gradients' column sums use the backend's own
// workspace (ownWorkspaceBytes).
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/dispatch.h"
#include "runtime/backends/cuda/kernels/column_sums.h"
#include "runtime/backends/cuda/kernels/norms.h"

namespace strata::runtime::cuda {

namespace {

template <typename T>
Status runNorm(const KernelDescriptor &p, const KernelRunContext &c,
               cudaStream_t stream) {
  namespace k = kernels;
  const Args<T> a(p, c, stream);
  const auto &r = p.as<RowsShape>();
  STRATA_RETURN_IF_ERROR(a.fitsGrid(r.rows, kMaxGridX, "rows"));
  const float epsilon = float(r.epsilon);
  const float gammaOffset = r.zeroCenteredGamma ? 1.0f : 0.0f;
  const size_t statistic = sizeof(float) * size_t(r.rows);
  const size_t partials = k::columnSumWorkspaceBytes(r.rows, r.cols);
  switch (p.kernel) {
  case Kernel::LayerNorm:
    k::layerNorm<T>(a.in(0), a.in(1),
                    p.operands.size() == 3 ? a.in(2) : nullptr, r.rows, r.cols,
                    epsilon, gammaOffset, a.out(0), stream);
    break;
  case Kernel::LayerNormGrad: {
    STRATA_RETURN_IF_ERROR(a.needWorkspace(2 * statistic, partials));
    float *mean = a.template workspace<float>(), *rstd = mean + r.rows;
    k::layerNormGrad<T>(a.in(0), a.in(1), a.in(2), r.rows, r.cols, epsilon,
                        gammaOffset, a.out(0), a.out(1),
                        p.results.size() == 3 ? a.out(2) : nullptr, mean, rstd,
                        a.template ownWorkspace<float>(), stream);
    break;
  }
  case Kernel::RMSNorm:
    k::rmsNorm<T>(a.in(0), a.in(1), r.rows, r.cols, epsilon, a.out(0), stream);
    break;
  case Kernel::RMSNormGrad: {
    STRATA_RETURN_IF_ERROR(a.needWorkspace(statistic, partials));
    k::rmsNormGrad<T>(a.in(0), a.in(1), a.in(2), r.rows, r.cols, epsilon,
                      a.out(0), a.out(1), a.template workspace<float>(),
                      a.template ownWorkspace<float>(), stream);
    break;
  }
  default:
    return Status::internal(p.where + ": not a norm CUDA kernel");
  }
  return a.launched();
}

constexpr Kernel kNormKernels[] = {Kernel::LayerNorm, Kernel::LayerNormGrad,
                                   Kernel::RMSNorm, Kernel::RMSNormGrad};

template <typename T> void addFamily(DispatchTable &table, DType dtype) {
  for (Kernel kernel : kNormKernels)
    table[size_t(kernel)][size_t(dtype)] = &runNorm<T>;
}

} // namespace

void addNormKernels(DispatchTable &table) {
  addFamily<float>(table, DType::F32);
  addFamily<__nv_bfloat16>(table, DType::BF16);
  addFamily<__half>(table, DType::F16);
}

} // namespace strata::runtime::cuda
