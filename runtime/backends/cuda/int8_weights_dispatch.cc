//===- int8_weights_dispatch.cc - kernels that read int8 weights ----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// As runtime/backends/cpu/cpu_kernels.cc: QuantizedMatmul (x, q, scales)
// -> y and QuantizedEmbedding (table, ids, scales) -> out, the table being
// the block [vocabOffset, vocabOffset + vocab) of a split vocabulary. Ids
// are checked when a batch is fed (see embedding_dispatch.cc).
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/dispatch.h"
#include "runtime/backends/cuda/kernels/int8_weights.h"

namespace strata::runtime::cuda {

namespace {

template <typename T>
Status runQuantizedMatmul(const KernelDescriptor &p, const KernelRunContext &c,
                          cudaStream_t stream) {
  const Args<T> a(p, c, stream);
  const auto &g = p.as<GemmShape>();
  STRATA_RETURN_IF_ERROR(a.fitsGrid(
      (g.m + kernels::kRowsPerPass - 1) / kernels::kRowsPerPass, kMaxGridY,
      "row passes"));
  kernels::quantizedMatmul<T>(g.m, g.n, g.k, a.in(0),
                              a.template at<int8_t>(p.operands[1]),
                              a.template at<float>(p.operands[2]), a.out(0),
                              stream);
  return a.launched();
}

template <typename T>
Status runQuantizedEmbedding(const KernelDescriptor &p,
                             const KernelRunContext &c, cudaStream_t stream) {
  const Args<T> a(p, c, stream);
  const auto &s = p.as<EmbeddingShape>();
  const bool split = s.vocab != s.vocabTotal;
  kernels::quantizedEmbedding<T>(a.template at<int8_t>(p.operands[0]),
                                 a.template at<float>(p.operands[2]), a.ids(1),
                                 s.count, split ? s.vocabOffset : 0, s.vocab,
                                 s.hidden, /*nanFill=*/!split, a.out(0),
                                 stream);
  return a.launched();
}

template <typename T> void addFamily(DispatchTable &table, DType dtype) {
  table[size_t(Kernel::QuantizedMatmul)][size_t(dtype)] =
      &runQuantizedMatmul<T>;
  table[size_t(Kernel::QuantizedEmbedding)][size_t(dtype)] =
      &runQuantizedEmbedding<T>;
}

} // namespace

void addInt8WeightKernels(DispatchTable &table) {
  addFamily<float>(table, DType::F32);
  addFamily<__nv_bfloat16>(table, DType::BF16);
  addFamily<__half>(table, DType::F16);
}

} // namespace strata::runtime::cuda
