//===- cross_entropy_dispatch.cc - the loss, vocabulary-parallel too ------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Operands and results as runtime/backends/cpu/cpu_kernels.cc's
// crossEntropy and vocabParallel* read them; losses, log-sum-exps and
// their gradients are F32 (Accumulator) whatever the logits' type. The
// descriptor's scratch holds the per-row losses before a mean or sum.
// Labels are not validated on the host (kernels/cross_entropy.h: a bad
// label gives NaN).
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/dispatch.h"
#include "runtime/backends/cuda/kernels/cross_entropy.h"

#include <climits>

namespace strata::runtime::cuda {

namespace {

using kernels::LossReduction;

/// Row kernels run one block per row (gridDim.x).
Status checkRows(const KernelDescriptor &p, int64_t rows) {
  if (rows > INT_MAX)
    return Status::unimplemented(p.where + ": " + std::to_string(rows) +
                                 " rows of cross-entropy exceed the CUDA "
                                 "kernels' grid of 2^31 - 1 blocks");
  return Status::ok();
}

/// CrossEntropy (logits, labels) -> loss and CrossEntropyGrad (logits,
/// labels, dloss) -> dlogits.
template <typename T>
Status crossEntropy(const KernelDescriptor &p, const KernelRunContext &c,
                    cudaStream_t stream) {
  namespace k = kernels;
  const Args<T> a(p, c, stream);
  const auto &s = p.as<CrossEntropyShape>();
  STRATA_RETURN_IF_ERROR(checkRows(p, s.rows));
  const auto reduction = LossReduction(s.reduction);
  if (p.kernel == Kernel::CrossEntropyGrad) {
    k::crossEntropyBackward<T>(a.in(0), a.ids(1), a.accIn(2), reduction, s.rows,
                               s.vocab, s.validVocab,
                               a.template workspace<float>(), a.out(0),
                               stream);
    return a.launched();
  }
  float *rows = reduction == LossReduction::None
                    ? a.accOut(0)
                    : a.template workspace<float>();
  k::crossEntropyRows<T>(a.in(0), a.ids(1), s.rows, s.vocab, s.validVocab, rows,
                         nullptr, stream);
  if (reduction != LossReduction::None)
    k::reduceLoss(rows, a.ids(1), s.rows, reduction, a.accOut(0), stream);
  return a.launched();
}

/// VocabParallelStats (logits block, labels) -> stats[rows, 3].
template <typename T>
Status vocabParallelStats(const KernelDescriptor &p, const KernelRunContext &c,
                          cudaStream_t stream) {
  const Args<T> a(p, c, stream);
  const auto &s = p.as<CrossEntropyShape>();
  STRATA_RETURN_IF_ERROR(checkRows(p, s.rows));
  kernels::crossEntropyShardStats<T>(a.in(0), a.ids(1), s.rows, s.vocab,
                                     s.vocabOffset, s.validVocab, a.accOut(0),
                                     stream);
  return a.launched();
}

/// VocabParallelLoss (gathered stats[rows, 3 * ranks], labels) -> (loss,
/// lse); the shape's vocab is the number of ranks. Nothing here is T.
Status vocabParallelLoss(const KernelDescriptor &p, const KernelRunContext &c,
                         cudaStream_t stream) {
  const Args<float> a(p, c, stream);
  const auto &s = p.as<CrossEntropyShape>();
  const auto reduction = LossReduction(s.reduction);
  float *rows =
      reduction == LossReduction::None ? a.accOut(0) : a.workspace<float>();
  kernels::crossEntropyCombineStats(a.accIn(0), a.ids(1), s.rows, s.vocab,
                                    rows, a.accOut(1), stream);
  if (reduction != LossReduction::None)
    kernels::reduceLoss(rows, a.ids(1), s.rows, reduction, a.accOut(0),
                        stream);
  return a.launched();
}

/// VocabParallelCrossEntropyGrad (logits block, labels, lse, dloss) ->
/// this rank's block of dlogits.
template <typename T>
Status vocabParallelGrad(const KernelDescriptor &p, const KernelRunContext &c,
                         cudaStream_t stream) {
  const Args<T> a(p, c, stream);
  const auto &s = p.as<CrossEntropyShape>();
  STRATA_RETURN_IF_ERROR(checkRows(p, s.rows));
  kernels::crossEntropyBackwardShard<T>(
      a.in(0), a.ids(1), a.accIn(2), a.accIn(3), LossReduction(s.reduction),
      s.rows, s.vocab, s.vocabOffset, s.validVocab,
      a.template workspace<float>(), a.out(0), stream);
  return a.launched();
}

template <typename T> void addFamily(DispatchTable &table, DType dtype) {
  table[size_t(Kernel::CrossEntropy)][size_t(dtype)] = &crossEntropy<T>;
  table[size_t(Kernel::CrossEntropyGrad)][size_t(dtype)] = &crossEntropy<T>;
  table[size_t(Kernel::VocabParallelStats)][size_t(dtype)] =
      &vocabParallelStats<T>;
  table[size_t(Kernel::VocabParallelLoss)][size_t(dtype)] = &vocabParallelLoss;
  table[size_t(Kernel::VocabParallelCrossEntropyGrad)][size_t(dtype)] =
      &vocabParallelGrad<T>;
}

} // namespace

void addCrossEntropyKernels(DispatchTable &table) {
  addFamily<float>(table, DType::F32);
  addFamily<__nv_bfloat16>(table, DType::BF16);
  addFamily<__half>(table, DType::F16);
}

} // namespace strata::runtime::cuda
