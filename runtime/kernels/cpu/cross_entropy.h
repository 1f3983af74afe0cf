//===- cross_entropy.h - softmax cross-entropy --------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// tfm.cross_entropy with reduction `none`, per row of logits[N, V]; `mean`
// and `sum` are a reduction of |loss| and dloss = 1/N or 1 in the backward.
// Labels are int32 in [0, V): the executor checks them with validateLabels()
// before the forward. The kernels themselves never read out of bounds: a
// row with a bad label gets a NaN loss and NaN gradients.
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

#include "runtime/support/status.h"

#include <cstdint>

namespace strata::runtime::cpu {

/// OK when every labels[n], n < |N|, is in [0, |V|); otherwise
/// invalid-argument naming the first bad position and value, e.g.
/// "label 50304 at position 17 is outside the vocabulary [0, 50304)".
Status validateLabels(const int32_t *labels, int64_t N, int64_t V);

/// For each row n < |N| of logits[N,V]:
///   lse[n]  = log sum_v exp(logits[n,v])   (computed as max + log sum exp),
///   loss[n] = lse[n] - logits[n, labels[n]].
/// |lse| may be null when no backward follows.
template <typename T>
void crossEntropyForward(const T *logits, const int32_t *labels, int64_t N,
                         int64_t V, T *loss, T *lse);

/// dlogits[n,v] = (exp(logits[n,v] - lse[n]) - [v == labels[n]]) * dloss[n]
/// (softmax minus one-hot, times the upstream gradient of loss[n]). Writes
/// (does not accumulate); |dlogits| may alias |logits|.
template <typename T>
void crossEntropyBackward(const T *logits, const int32_t *labels, const T *lse,
                          const T *dloss, int64_t N, int64_t V, T *dlogits);

} // namespace strata::runtime::cpu

#endif // STRATA_RUNTIME_KERNELS_CPU_CROSS_ENTROPY_H
