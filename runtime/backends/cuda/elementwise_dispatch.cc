//===- elementwise_dispatch.cc - elementwise kernels, casts, zeroing ------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/dispatch.h"
#include "runtime/backends/cuda/kernels/elementwise.h"

namespace strata::runtime::cuda {

namespace {

/// The elementwise family in element type T.
template <typename T>
Status runElementwise(const KernelDescriptor &p, const KernelRunContext &c,
                      cudaStream_t stream) {
  namespace k = kernels;
  const Args<T> a(p, c, stream);
  const int64_t n = a.inSize(0);
  switch (p.kernel) {
  case Kernel::Add:
    k::add<T>(a.in(0), a.in(1), a.out(0), n, stream);
    break;
  case Kernel::AccumulateGrad:
    k::accumulate<T>(a.in(0), a.out(0), n, stream);
    break;
  case Kernel::Copy:
    if (a.in(0) != a.out(0))
      return check(cudaMemcpyAsync(a.out(0), a.in(0), sizeof(T) * n,
                                   cudaMemcpyDeviceToDevice, stream),
                   p.where);
    return Status::ok();
  case Kernel::BiasAdd: {
    const auto &r = p.as<RowsShape>();
    k::biasAdd<T>(a.in(0), a.in(1), r.rows, r.cols, a.out(0), stream);
    break;
  }
  case Kernel::Gelu:
    k::gelu<T>(a.in(0), a.out(0), n, p.ints[0] != 0, stream);
    break;
  case Kernel::GeluGrad:
    k::geluGrad<T>(a.in(0), a.in(1), a.out(0), n, p.ints[0] != 0, stream);
    break;
  case Kernel::Silu:
    k::silu<T>(a.in(0), a.out(0), n, stream);
    break;
  case Kernel::SiluGrad:
    k::siluGrad<T>(a.in(0), a.in(1), a.out(0), n, stream);
    break;
  case Kernel::SwiGLU:
    k::swiglu<T>(a.in(0), a.in(1), a.out(0), n, stream);
    break;
  case Kernel::Relu:
    k::relu<T>(a.in(0), a.out(0), n, stream);
    break;
  case Kernel::ReluGrad:
    k::reluGrad<T>(a.in(0), a.in(1), a.out(0), n, stream);
    break;
  case Kernel::Scale:
    k::scale<T>(a.in(0), float(p.floats[0]), a.out(0), n, stream);
    break;
  case Kernel::SwiGLUGrad:
    k::swigluGrad<T>(a.in(0), a.in(1), a.in(2), a.out(0), a.out(1), n, stream);
    break;
  default:
    return Status::internal(p.where + ": not an elementwise CUDA kernel");
  }
  return a.launched();
}

/// Cast: operand 0's type to T (the result's).
template <typename T>
Status castTo(const KernelDescriptor &p, const KernelRunContext &c,
              cudaStream_t stream) {
  namespace k = kernels;
  const Args<T> a(p, c, stream);
  const int64_t n = a.inSize(0);
  switch (p.operands[0].dtype) {
  case DType::F32:
    k::cast<float, T>(a.template at<float>(p.operands[0]), a.out(0), n, stream);
    break;
  case DType::BF16:
    k::cast<__nv_bfloat16, T>(a.template at<__nv_bfloat16>(p.operands[0]),
                              a.out(0), n, stream);
    break;
  case DType::F16:
    k::cast<__half, T>(a.template at<__half>(p.operands[0]), a.out(0), n,
                       stream);
    break;
  default:
    return Status::internal(p.where + ": cast from " +
                            toString(p.operands[0].dtype) + " on the GPU");
  }
  return a.launched();
}

/// ParamFromMain: the parameter (block) as its F32 main parameter rounded
/// to nearest even.
template <typename T>
Status paramFromMain(const KernelDescriptor &p, const KernelRunContext &c,
                     cudaStream_t stream) {
  const Args<T> a(p, c, stream);
  const ParameterSlots &slots = p.as<OptimizerShape>().parameters[0];
  kernels::cast<float, T>(a.template at<float>(slots.mainValue),
                          a.template at<T>(slots.value) + slots.offset,
                          slots.count, stream);
  return a.launched();
}

/// ZeroGrads: every listed gradient slot.
Status zeroGrads(const KernelDescriptor &p, const KernelRunContext &c,
                 cudaStream_t stream) {
  const Args<uint8_t> a(p, c, stream);
  for (const ParameterSlots &slots : p.as<OptimizerShape>().parameters)
    STRATA_RETURN_IF_ERROR(check(cudaMemsetAsync(a.at<uint8_t>(slots.grad), 0,
                                                 slots.grad.bytes(), stream),
                                 p.where));
  return Status::ok();
}

constexpr Kernel kElementwiseKernels[] = {
    Kernel::Add,    Kernel::AccumulateGrad, Kernel::Copy, Kernel::BiasAdd,
    Kernel::Gelu,   Kernel::GeluGrad,       Kernel::Silu, Kernel::SiluGrad,
    Kernel::SwiGLU, Kernel::SwiGLUGrad,     Kernel::Relu, Kernel::ReluGrad,
    Kernel::Scale};

template <typename T> void addFamily(DispatchTable &table, DType dtype) {
  for (Kernel kernel : kElementwiseKernels)
    table[size_t(kernel)][size_t(dtype)] = &runElementwise<T>;
  table[size_t(Kernel::Cast)][size_t(dtype)] = &castTo<T>;
  table[size_t(Kernel::ZeroGrads)][size_t(dtype)] = &zeroGrads;
}

} // namespace

void addElementwiseKernels(DispatchTable &table) {
  addFamily<float>(table, DType::F32);
  addFamily<__nv_bfloat16>(table, DType::BF16);
  addFamily<__half>(table, DType::F16);
  table[size_t(Kernel::ParamFromMain)][size_t(DType::BF16)] =
      &paramFromMain<__nv_bfloat16>;
  table[size_t(Kernel::ParamFromMain)][size_t(DType::F16)] =
      &paramFromMain<__half>;
}

} // namespace strata::runtime::cuda
