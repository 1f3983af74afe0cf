//===- embedding_dispatch.cc - embedding lookup and its gradient ----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// As runtime/backends/cpu/cpu_kernels.cc: Embedding (table, ids) -> out and
// EmbeddingGrad (dy, ids) -> dtable, the table being the block [vocabOffset,
// vocabOffset + vocab) of vocabTotal rows when the vocabulary is split. The
// CPU validates the ids here (cpu::validateIds); on the GPU they are device
// memory, and the batch feeding has checked them on the host already
// (ModelProgram::checkTokens), so the kernels only guard against bad ids
// (kernels/embedding.h) and report nothing.
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/dispatch.h"
#include "runtime/backends/cuda/kernels/embedding.h"

namespace strata::runtime::cuda {

namespace {

template <typename T>
Status runEmbedding(const KernelDescriptor &p, const KernelRunContext &c,
                    cudaStream_t stream) {
  namespace k = kernels;
  const Args<T> a(p, c, stream);
  const auto &s = p.as<EmbeddingShape>();
  const bool split = s.vocab != s.vocabTotal;
  const int64_t rowOffset = split ? s.vocabOffset : 0;
  if (p.kernel == Kernel::Embedding) {
    // Unsplit: NaN rows for ids outside the table, as the CPU; split: zeros
    // for the other ranks' ids.
    k::embedding<T>(a.in(0), a.ids(1), s.count, rowOffset, s.vocab, s.hidden,
                    /*nanFill=*/!split, a.out(0), stream);
    return a.launched();
  }
  // The sort's keys hold a row or vocab itself; positions are int32.
  STRATA_RETURN_IF_ERROR(a.fitsGrid(s.count, kMaxGridX, "ids"));
  STRATA_RETURN_IF_ERROR(a.fitsGrid(s.vocab, kMaxGridX - 1, "table rows"));
  STRATA_RETURN_IF_ERROR(a.fitsGrid((s.hidden + k::kEmbeddingGradColumns - 1) /
                                        k::kEmbeddingGradColumns,
                                    kMaxGridY, "column blocks"));
  STRATA_RETURN_IF_ERROR(
      a.needWorkspace(0, k::embeddingGradWorkspaceBytes(s.count, s.vocab)));
  STRATA_RETURN_IF_ERROR(
      check(k::embeddingGrad<T>(a.in(0), a.ids(1), s.count, rowOffset, s.vocab,
                                s.hidden, a.out(0), a.template ownWorkspace<void>(),
                                a.ownWorkspaceBytes(), stream),
            p.where));
  return a.launched();
}

template <typename T> void addFamily(DispatchTable &table, DType dtype) {
  table[size_t(Kernel::Embedding)][size_t(dtype)] = &runEmbedding<T>;
  table[size_t(Kernel::EmbeddingGrad)][size_t(dtype)] = &runEmbedding<T>;
}

} // namespace

void addEmbeddingKernels(DispatchTable &table) {
  addFamily<float>(table, DType::F32);
  addFamily<__nv_bfloat16>(table, DType::BF16);
  addFamily<__half>(table, DType::F16);
}

} // namespace strata::runtime::cuda
