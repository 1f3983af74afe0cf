//===- rotary_dispatch.cc - rotary position embedding ---------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// As runtime/backends/cpu/cpu_kernels.cc: RotaryEmbedding (x, positions) ->
// y, the descriptor's RotaryShape naming the rotated dims, the base and
// whether it rotates back (the backward).
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/dispatch.h"
#include "runtime/backends/cuda/kernels/rotary.h"

namespace strata::runtime::cuda {

namespace {

template <typename T>
Status runRotary(const KernelDescriptor &p, const KernelRunContext &c,
                 cudaStream_t stream) {
  const Args<T> a(p, c, stream);
  const auto &r = p.as<RotaryShape>();
  kernels::rotaryEmbedding<T>(a.in(0), a.ids(1), r.batch, r.seq, r.heads,
                              r.headDim, r.rotaryDim, r.base, r.inverse,
                              a.out(0), stream);
  return a.launched();
}

} // namespace

void addRotaryKernels(DispatchTable &table) {
  const size_t kernel = size_t(Kernel::RotaryEmbedding);
  table[kernel][size_t(DType::F32)] = &runRotary<float>;
  table[kernel][size_t(DType::BF16)] = &runRotary<__nv_bfloat16>;
  table[kernel][size_t(DType::F16)] = &runRotary<__half>;
}

} // namespace strata::runtime::cuda
