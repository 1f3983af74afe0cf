//===- optimizer_dispatch.cc - norms, clipping, unscaling, AdamW ----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// F32 only, as on the CPU (its isWideOnly kernels): mixed precision runs
// the optimizer on F32 main parameters, gradients and moments. Every
// scalar operand and result stays on the GPU (kernels/optimizer.h).
// GradNorm and GradSquareSum ask for a workspace of one double per block
// of their first pass (optimizerWorkspaceBytes).
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/dispatch.h"
#include "runtime/backends/cuda/kernels/optimizer.h"

namespace strata::runtime::cuda {

namespace {

bool isNorm(Kernel kernel) {
  return kernel == Kernel::GradNorm || kernel == Kernel::GradSquareSum;
}

/// The partial sums of GradNorm/GradSquareSum's first pass.
int64_t partialCount(const OptimizerShape &shape) {
  int64_t count = 0;
  for (const ParameterSlots &slots : shape.parameters)
    count += kernels::squareSumBlocks(slots.count);
  return count;
}

/// GradNorm ([plus]) -> norm and GradSquareSum () -> sum of squares, over
/// every listed gradient range; GradNorm adds operand 0 (a sum of squares
/// computed elsewhere) with plusOperand.
Status gradNorm(const KernelDescriptor &p, const KernelRunContext &c,
                cudaStream_t stream) {
  const Args<float> a(p, c, stream);
  const auto &shape = p.as<OptimizerShape>();
  double *partials = a.ownWorkspace<double>();
  const size_t needed = sizeof(double) * size_t(partialCount(shape));
  if (a.ownWorkspaceBytes() < needed)
    return Status::internal(p.where + ": the norm needs " +
                            std::to_string(needed) + " bytes of workspace, " +
                            "it got " + std::to_string(a.ownWorkspaceBytes()));
  int64_t at = 0;
  for (const ParameterSlots &slots : shape.parameters) {
    kernels::squareSumPartials(a.at<float>(slots.grad) + slots.offset,
                               slots.count, partials + at, stream);
    at += kernels::squareSumBlocks(slots.count);
  }
  const bool norm = p.kernel == Kernel::GradNorm;
  kernels::squareSumFinish(partials, at,
                           norm && shape.plusOperand ? a.in(0) : nullptr,
                           /*squareRoot=*/norm, a.out(0), stream);
  return a.launched();
}

/// ClipCoefficient (norm, max norm) -> coefficient.
Status clipCoefficient(const KernelDescriptor &p, const KernelRunContext &c,
                       cudaStream_t stream) {
  const Args<float> a(p, c, stream);
  kernels::clipCoefficient(a.in(0), a.in(1), a.out(0), stream);
  return a.launched();
}

/// Unscale (value, loss scale) -> value / loss scale.
Status unscale(const KernelDescriptor &p, const KernelRunContext &c,
               cudaStream_t stream) {
  const Args<float> a(p, c, stream);
  kernels::unscale(a.in(0), a.in(1), a.out(0), stream);
  return a.launched();
}

/// AdamW (lr, beta1, beta2, eps, weight decay, step, grad scale[, norm])
/// on one parameter's slots: its block [offset, offset + count) of the
/// value and gradient (the whole of them without the distributed
/// optimizer) and the moments of that block; O2 updates the F32 main
/// parameter (which holds the block only) instead of the value.
Status adamw(const KernelDescriptor &p, const KernelRunContext &c,
             cudaStream_t stream) {
  const Args<float> a(p, c, stream);
  const auto &shape = p.as<OptimizerShape>();
  const ParameterSlots &slots = shape.parameters[0];
  float *value = slots.hasMain ? a.at<float>(slots.mainValue)
                               : a.at<float>(slots.value) + slots.offset;
  const kernels::AdamWOperands operands{
      a.in(0), a.in(1), a.in(2), a.in(3),
      a.in(4), a.in(5), a.in(6), shape.ifFiniteOperand ? a.in(7) : nullptr};
  kernels::adamw(value, a.at<float>(slots.grad) + slots.offset,
                 a.at<float>(slots.adamM), a.at<float>(slots.adamV),
                 slots.count, operands, slots.weightDecay, stream);
  return a.launched();
}

} // namespace

size_t optimizerWorkspaceBytes(const KernelDescriptor &d) {
  if (!isNorm(d.kernel))
    return 0;
  return ownWorkspaceRequest(
      d, sizeof(double) * size_t(partialCount(d.as<OptimizerShape>())));
}

void addOptimizerKernels(DispatchTable &table) {
  const size_t f32 = size_t(DType::F32);
  table[size_t(Kernel::GradNorm)][f32] = &gradNorm;
  table[size_t(Kernel::GradSquareSum)][f32] = &gradNorm;
  table[size_t(Kernel::ClipCoefficient)][f32] = &clipCoefficient;
  table[size_t(Kernel::Unscale)][f32] = &unscale;
  table[size_t(Kernel::AdamW)][f32] = &adamw;
}

} // namespace strata::runtime::cuda
