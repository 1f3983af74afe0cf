//===- cross_entropy.h - softmax cross-entropy --------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// tfm.cross_entropy with reduction `none`, per row of logits[N, V]; `mean`
// and `sum` are a reduction of |loss| and dloss = 1/C or 1 in the backward,
// C the number of counted rows. Labels are int32 in [0, V), or
// kIgnoredLabel (-1): an ignored row (padding, a prompt that is not the
// answer) has loss 0 and a zero gradient row, and `mean` averages over the
// other rows only. The executor checks labels with validateLabels() before
// the forward. The kernels themselves never read out of bounds: a row with a
// bad label gets a NaN loss and NaN gradients.
//
// Vocabulary padding: with |validVocab| < the vocabulary, the columns of
// global ids >= validVocab (Megatron's padding rows) are outside the
// softmax, as if their logits were -inf: they add nothing to the
// log-sum-exp, their gradient is 0, and a label there is invalid. The
// default, kNoVocabPadding, makes every column real.
//
// T = float, double, bf16 or f16. Losses, log-sum-exps, loss gradients and
// the vocabulary-parallel statistics are AccumulatorOf<T> (f32 for bf16 and
// f16 logits, as the dialect's f32 loss), and a 16-bit row's softmax is
// computed in float; only the logits and their gradient are T.
//
// Usage:
//   STRATA_RETURN_IF_ERROR(validateLabels(labels, N, V));
//   crossEntropyForward(logits, labels, N, V, loss, lse);
//   ...
//   crossEntropyBackward(logits, labels, lse, dloss, N, V, dlogits);
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_KERNELS_CPU_CROSS_ENTROPY_H
#define STRATA_RUNTIME_KERNELS_CPU_CROSS_ENTROPY_H

#include "runtime/kernels/cpu/element_type.h"
#include "runtime/support/status.h"

#include <cstdint>

namespace strata::runtime::cpu {

/// The label of a row that counts for nothing.
constexpr int32_t kIgnoredLabel = -1;

/// validVocab of a vocabulary without padding.
constexpr int64_t kNoVocabPadding = INT64_MAX;

/// The rows of labels[N] that are not kIgnoredLabel.
int64_t countedLabels(const int32_t *labels, int64_t N);

/// OK when every labels[n], n < |N|, is in [0, |V|) or kIgnoredLabel; otherwise
/// invalid-argument naming the first bad position and value, e.g.
/// "label 50304 at position 17 is outside the vocabulary [0, 50304)".
Status validateLabels(const int32_t *labels, int64_t N, int64_t V);

/// For each row n < |N| of logits[N,V]:
///   lse[n]  = log sum_v exp(logits[n,v])   (computed as max + log sum exp),
///   loss[n] = lse[n] - logits[n, labels[n]]   (0 for an ignored row).
/// |lse| may be null when no backward follows. Only columns v < |validVocab|
/// count (the header's padding rule).
template <typename T>
void crossEntropyForward(const T *logits, const int32_t *labels, int64_t N,
                         int64_t V, AccumulatorOf<T> *loss,
                         AccumulatorOf<T> *lse,
                         int64_t validVocab = kNoVocabPadding);

/// dlogits[n,v] = (exp(logits[n,v] - lse[n]) - [v == labels[n]]) * dloss[n]
/// (softmax minus one-hot, times the upstream gradient of loss[n]); 0 for an
/// ignored row; 0 for the padding columns v >= |validVocab|. Writes (does
/// not accumulate); |dlogits| may alias |logits|.
template <typename T>
void crossEntropyBackward(const T *logits, const int32_t *labels,
                          const AccumulatorOf<T> *lse,
                          const AccumulatorOf<T> *dloss, int64_t N, int64_t V,
                          T *dlogits, int64_t validVocab = kNoVocabPadding);

/// Values per row of crossEntropyShardStats' output.
constexpr int64_t kCrossEntropyStats = 3;

/// The statistics of rank's block logits_local[N,Vl] (global columns
/// [vocabOffset, vocabOffset + Vl)), per row n < |N|, into stats[N,3]:
///   stats[n,0] = m = max_v logits_local[n,v],
///   stats[n,1] = sum_v exp(logits_local[n,v] - m),
///   stats[n,2] = logits_local[n, labels[n] - vocabOffset] when labels[n] is
///                in [vocabOffset, vocabOffset + Vl), else 0 (so exactly one
///                rank contributes the target logit of a valid label).
/// m and the sum are those of crossEntropyForward's log-sum-exp over a row
/// of Vl columns. A label outside the shard is never used as an index.
/// Padding columns (global id >= |validVocab|) are left out; a block of
/// padding only has m = -inf and sum 0, which combine to nothing.
template <typename T>
void crossEntropyShardStats(const T *logitsLocal, const int32_t *labels,
                            int64_t N, int64_t Vl, int64_t vocabOffset,
                            AccumulatorOf<T> *stats,
                            int64_t validVocab = kNoVocabPadding);

/// Combines the statistics of all |tp| ranks. Layout of gathered[N, 3*tp]:
/// row n is the concatenation, in rank order, of every rank's stats row n
/// (an all-gather of the [N,3] stats along the last dimension):
///   gathered[n, 3*r + 0] = m_r, gathered[n, 3*r + 1] = s_r,
///   gathered[n, 3*r + 2] = target_r   (rank r's stats[n, 0..2]).
/// With M = max_r m_r, per row n:
///   lse[n]  = M + log sum_r s_r exp(m_r - M)   (sum in rank order),
///   loss[n] = lse[n] - sum_r target_r,
/// the log-sum-exp and loss of the full row, as crossEntropyForward gives
/// them (loss 0 where labels[n] is kIgnoredLabel). |lse| may be null when no
/// backward follows. A label outside the global vocabulary (which
/// validateLabels rejects first) has no target on any rank: its loss is lse.
/// Nothing here is T (bf16 and f16 run the float kernel).
template <typename T>
void crossEntropyCombineStats(const AccumulatorOf<T> *gathered,
                              const int32_t *labels, int64_t N, int64_t tp,
                              AccumulatorOf<T> *loss, AccumulatorOf<T> *lse);

/// Rank's block of crossEntropyBackward's gradient: for v < |Vl|,
///   dlogits_local[n,v] = (exp(logits_local[n,v] - lse[n])
///                         - [v + vocabOffset == labels[n]]) * dloss[n],
/// with lse from crossEntropyCombineStats (the full row's). The blocks of
/// all ranks concatenated along the vocabulary are the full gradient.
/// Writes (does not accumulate); |dlogits_local| may alias |logits_local|. A
/// label outside the shard subtracts nothing and is never used as an index;
/// an ignored row is 0, and so are the padding columns (global id >=
/// |validVocab|).
template <typename T>
void crossEntropyBackwardShard(const T *logitsLocal, const int32_t *labels,
                               const AccumulatorOf<T> *lse,
                               const AccumulatorOf<T> *dloss, int64_t N,
                               int64_t Vl, int64_t vocabOffset,
                               T *dlogitsLocal,
                               int64_t validVocab = kNoVocabPadding);

} // namespace strata::runtime::cpu

#endif // STRATA_RUNTIME_KERNELS_CPU_CROSS_ENTROPY_H
