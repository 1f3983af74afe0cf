//===- cross_entropy.h - softmax cross-entropy on the GPU -------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Launchers of runtime/kernels/cpu/cross_entropy.h's computations, for
// logits in float, __nv_bfloat16 and __half; losses, log-sum-exps, loss
// gradients and the vocabulary-parallel statistics are float whatever the
// logits (the dialect's accumulator values). A row's log-sum-exp is
// max + log(sum exp(x - max)) in f32, as on the CPU.
//
// One block of a fixed size per row: its threads stride over the row's
// vocabulary, and the maximum and the sum are block reductions in a fixed
// order (reduce.cuh), so every run gives the same bits. Nothing the size of
// the logits is allocated: the backward reads the row again and writes the
// gradient, which may alias the logits.
//
// Labels are not checked here (that would need the host to wait for the
// GPU): a row whose label is outside the vocabulary gets a NaN loss and a
// NaN gradient row, where the CPU backend reports an error before running.
// No kernel ever indexes with such a label.
//
// Vocabulary padding: the columns of global ids >= |validVocab| are outside
// the softmax (as if -inf: nothing in the log-sum-exp, gradient 0) and no
// label may be there (NaN as for a label past the vocabulary); without
// padding |validVocab| is the whole vocabulary (CrossEntropyShape).
//
// Every launcher queues on |stream|; |rows| may be 0 (nothing is queued).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_CROSS_ENTROPY_H
#define STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_CROSS_ENTROPY_H

#include <cuda_runtime_api.h>

#include <cstdint>

namespace strata::runtime::cuda::kernels {

/// How the per-row losses reduce: CrossEntropyShape::reduction.
enum class LossReduction : int { None = 0, Mean = 1, Sum = 2 };

/// Labels are in [0, vocab) or -1 (ignored: loss 0, gradient row 0, not
/// counted by Mean), as runtime/kernels/cpu/cross_entropy.h says.
///
/// Per row n of logits[rows, vocab]: loss[n] = lse[n] - logits[n, labels[n]]
/// over the columns below |validVocab| (0 for an ignored row, NaN for a
/// label outside [0, validVocab)); |lse| may be null.
template <typename T>
void crossEntropyRows(const T *logits, const int32_t *labels, int64_t rows,
                      int64_t vocab, int64_t validVocab, float *loss,
                      float *lse, cudaStream_t stream);

/// out[0] = the sum of rowLoss[0, rows) (Sum) or that sum / the rows whose
/// label is not ignored (Mean; 0 when none is), accumulated in double in a
/// fixed order by one block.
void reduceLoss(const float *rowLoss, const int32_t *labels, int64_t rows,
                LossReduction reduction, float *out, cudaStream_t stream);

/// The whole gradient of CrossEntropyGrad: per row n (its log-sum-exp
/// recomputed),
///   dlogits[n, v] = (exp(logits[n, v] - lse[n]) - [v == labels[n]]) * g[n]
/// with g[n] = dloss[n] (None), dloss[0] / counted rows (Mean) or dloss[0]
/// (Sum), computed into |scale| (one float of device workspace); an ignored
/// row is 0, and so are the padding columns v >= |validVocab|. |dlogits|
/// may alias |logits|.
template <typename T>
void crossEntropyBackward(const T *logits, const int32_t *labels,
                          const float *dloss, LossReduction reduction,
                          int64_t rows, int64_t vocab, int64_t validVocab,
                          float *scale, T *dlogits, cudaStream_t stream);

/// VocabParallelStats over this rank's block logits[rows, vocab] of the
/// vocabulary columns [vocabOffset, vocabOffset + vocab), of which those
/// below |validVocab| are real: stats[n] = {max, sum exp(x - max) over the
/// real columns (-inf, 0 for none), the label's logit when this block
/// holds it, else 0}; NaN for the target of a label outside
/// [0, validVocab) other than -1, so the combined loss is NaN.
template <typename T>
void crossEntropyShardStats(const T *logits, const int32_t *labels,
                            int64_t rows, int64_t vocab, int64_t vocabOffset,
                            int64_t validVocab, float *stats,
                            cudaStream_t stream);

/// VocabParallelLoss: gathered[rows, 3 * ranks] (every rank's stats, in
/// rank order) into loss[n] = lse[n] - sum of the targets and lse[n] =
/// M + log sum_r s_r exp(m_r - M), M = max_r m_r (sums in rank order);
/// loss 0 where labels[n] is -1.
void crossEntropyCombineStats(const float *gathered, const int32_t *labels,
                              int64_t rows, int64_t ranks, float *loss,
                              float *lse, cudaStream_t stream);

/// VocabParallelCrossEntropyGrad: this rank's block of the gradient, with
/// the full row's |lse|; the label's column subtracts g[n] only in the
/// block that holds it; a label outside [0, validVocab) gives a NaN row, an
/// ignored one a zero row; padding columns (global id >= validVocab) are 0.
/// |scale| is one float of device workspace (as crossEntropyBackward's).
/// |dlogits| may alias |logits|.
template <typename T>
void crossEntropyBackwardShard(const T *logits, const int32_t *labels,
                               const float *lse, const float *dloss,
                               LossReduction reduction, int64_t rows,
                               int64_t vocab, int64_t vocabOffset,
                               int64_t validVocab, float *scale, T *dlogits,
                               cudaStream_t stream);

} // namespace strata::runtime::cuda::kernels

#endif // STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_CROSS_ENTROPY_H
