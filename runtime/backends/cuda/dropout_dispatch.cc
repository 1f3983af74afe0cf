//===- dropout_dispatch.cc - dropout and the fused bias-dropout-add -------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// As runtime/backends/cpu/cpu_kernels.cc: Dropout (x) -> y; BiasDropoutAdd
// (x, b, residual) -> y; BiasDropoutAddGrad (dy) -> (dx, db); floats[0] the
// rate (0 when the run has dropout off), the stream (seed, rngBase +
// rngStream), and for a tensor split over ranks the mask indexing of its
// global elements, built exactly as the CPU's Args::maskIndexing.
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/dispatch.h"
#include "runtime/backends/cuda/kernels/column_sums.h"
#include "runtime/backends/cuda/kernels/dropout.h"

namespace strata::runtime::cuda {

namespace {

/// The mask indexing of the descriptor's tensor (the identity unless split).
cpu::MaskIndexing maskIndexing(const KernelDescriptor &d) {
  if (d.shardDim < 0)
    return {};
  const int64_t rows = d.maskShape[d.shardDim];
  return cpu::MaskIndexing::split(
      d.maskShape.data(), static_cast<int>(d.maskShape.size()),
      static_cast<int>(d.shardDim), rows * d.blocks, rows * d.block);
}

template <typename T>
Status runDropout(const KernelDescriptor &p, const KernelRunContext &c,
                  cudaStream_t stream) {
  namespace k = kernels;
  const Args<T> a(p, c, stream);
  const double rate = a.dropoutRate(p.floats[0]);
  const cpu::DropoutDraw draw = cpu::dropoutDraw(rate, c.seed, a.rngOffset());
  const cpu::MaskIndexing indexing = maskIndexing(p);
  if (!indexing.fits(a.inSize(0)))
    return Status::internal(p.where + ": the mask indexing of a split "
                                      "tensor does not describe operand 0");
  switch (p.kernel) {
  case Kernel::Dropout: {
    const int64_t n = a.inSize(0);
    if (rate > 0.0)
      k::dropout<T>(a.in(0), a.out(0), n, draw, indexing, stream);
    else if (a.in(0) != a.out(0))
      return check(cudaMemcpyAsync(a.out(0), a.in(0), sizeof(T) * n,
                                   cudaMemcpyDeviceToDevice, stream),
                   p.where);
    break;
  }
  case Kernel::BiasDropoutAdd: {
    const auto &r = p.as<RowsShape>();
    k::biasDropoutAdd<T>(a.in(0), a.in(1), a.in(2), r.rows, r.cols, draw,
                         indexing, a.out(0), stream);
    break;
  }
  case Kernel::BiasDropoutAddGrad: {
    const auto &r = p.as<RowsShape>();
    STRATA_RETURN_IF_ERROR(
        a.needWorkspace(0, k::columnSumWorkspaceBytes(r.rows, r.cols)));
    k::biasDropoutAddGrad<T>(a.in(0), r.rows, r.cols, draw, indexing, a.out(0),
                             a.out(1), a.template ownWorkspace<float>(), stream);
    break;
  }
  default:
    return Status::internal(p.where + ": not a dropout CUDA kernel");
  }
  return a.launched();
}

constexpr Kernel kDropoutKernels[] = {Kernel::Dropout, Kernel::BiasDropoutAdd,
                                      Kernel::BiasDropoutAddGrad};

template <typename T> void addFamily(DispatchTable &table, DType dtype) {
  for (Kernel kernel : kDropoutKernels)
    table[size_t(kernel)][size_t(dtype)] = &runDropout<T>;
}

} // namespace

void addDropoutKernels(DispatchTable &table) {
  addFamily<float>(table, DType::F32);
  addFamily<__nv_bfloat16>(table, DType::BF16);
  addFamily<__half>(table, DType::F16);
}

} // namespace strata::runtime::cuda
