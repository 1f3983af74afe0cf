//===- prompt_learning_dispatch.cc - virtual tokens on the GPU ------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// As runtime/backends/cpu/cpu_kernels.cc: InsertVirtualTokens (x, table,
// virtual_tokens) -> y, MaskVirtualTokens (dy, virtual_tokens) -> dx and
// VirtualTokenTableGrad (dy, virtual_tokens) -> dtable over an
// EmbeddingShape (positions, the task's rows, hidden, its first global
// virtual row).
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/dispatch.h"
#include "runtime/backends/cuda/kernels/prompt_learning.h"

namespace strata::runtime::cuda {

namespace {

template <typename T>
Status runVirtualTokens(const KernelDescriptor &p, const KernelRunContext &c,
                        cudaStream_t stream) {
  namespace k = kernels;
  const Args<T> a(p, c, stream);
  const auto &s = p.as<EmbeddingShape>();
  switch (p.kernel) {
  case Kernel::InsertVirtualTokens:
    k::insertVirtualTokens<T>(a.in(0), a.in(1), a.ids(2), s.count,
                              s.vocabOffset, s.vocab, s.hidden, a.out(0),
                              stream);
    break;
  case Kernel::MaskVirtualTokens:
    k::maskVirtualTokens<T>(a.in(0), a.ids(1), s.count, s.vocabOffset,
                            s.vocab, s.hidden, a.out(0), stream);
    break;
  case Kernel::VirtualTokenTableGrad:
    k::virtualTokenTableGrad<T>(a.in(0), a.ids(1), s.count, s.vocabOffset,
                                s.vocab, s.hidden, a.out(0), stream);
    break;
  default:
    return Status::internal(p.where + ": not a virtual-token CUDA kernel");
  }
  return a.launched();
}

/// Lstm (x, w_ih, w_hh, bias) -> y and LstmGrad (..., dy) -> (dx, dw_ih,
/// dw_hh, dbias), their f32 scratch the descriptor's.
template <typename T>
Status runLstm(const KernelDescriptor &p, const KernelRunContext &c,
               cudaStream_t stream) {
  namespace k = kernels;
  const Args<T> a(p, c, stream);
  const auto &l = p.as<LstmShape>();
  float *scratch = a.template workspace<float>();
  if (p.kernel == Kernel::Lstm)
    k::lstmForward<T>(a.in(0), a.in(1), a.in(2), a.in(3), l.steps, l.inputs,
                      l.units, a.out(0), scratch, stream);
  else
    k::lstmBackward<T>(a.in(0), a.in(1), a.in(2), a.in(3), a.in(4), l.steps,
                       l.inputs, l.units, a.out(0), a.out(1), a.out(2),
                       a.out(3), scratch, stream);
  return a.launched();
}

template <typename T> void addFamily(DispatchTable &table, DType dtype) {
  table[size_t(Kernel::Lstm)][size_t(dtype)] = &runLstm<T>;
  table[size_t(Kernel::LstmGrad)][size_t(dtype)] = &runLstm<T>;
  for (Kernel kernel : {Kernel::InsertVirtualTokens, Kernel::MaskVirtualTokens,
                        Kernel::VirtualTokenTableGrad})
    table[size_t(kernel)][size_t(dtype)] = &runVirtualTokens<T>;
}

} // namespace

void addPromptLearningKernels(DispatchTable &table) {
  addFamily<float>(table, DType::F32);
  addFamily<__nv_bfloat16>(table, DType::BF16);
  addFamily<__half>(table, DType::F16);
}

} // namespace strata::runtime::cuda
