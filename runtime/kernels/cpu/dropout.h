//===- dropout.h - dropout with a regenerated mask ---------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The mask of element i is DropoutMask(p, seed, offset).keep(g(i))
// (philox.h), g(i) = indexing.global(i) (mask_indexing.h): i itself by
// default, the element's position in the global tensor when the tensor is
// one rank's block of a tensor split along a dimension (sequence
// parallelism), so that every rank drops exactly the elements the unsplit
// kernel drops in its block. The backward regenerates the mask from (seed,
// offset, indexing), nothing is stored, and it does not depend on the number
// of threads. T = float, double, bf16 or f16; the mask depends on the
// stream, not on T (bf16 drops exactly the elements float drops).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_KERNELS_CPU_DROPOUT_H
#define STRATA_RUNTIME_KERNELS_CPU_DROPOUT_H

#include "runtime/kernels/cpu/mask_indexing.h"

#include <cstdint>

namespace strata::runtime::cpu {

/// y[i] = keep(g(i)) ? x[i] / (1 - p) : 0 for i < |n|, keep the Philox mask
/// of stream (|seed|, |offset|) with drop probability |p| in [0, 1) and
/// g = |indexing|.global (the identity by default; |indexing| must fit |n|
/// elements). |y| may alias |x|. p = 0 copies.
template <typename T>
void dropoutForward(const T *x, T *y, int64_t n, double p, uint64_t seed,
                    uint64_t offset, const MaskIndexing &indexing = {});

/// dx[i] = keep(g(i)) ? dy[i] / (1 - p) : 0: the same mask as the forward
/// with the same (|p|, |seed|, |offset|, |indexing|). |dx| may alias |dy|.
template <typename T>
void dropoutBackward(const T *dy, T *dx, int64_t n, double p, uint64_t seed,
                     uint64_t offset, const MaskIndexing &indexing = {});

} // namespace strata::runtime::cpu

#endif // STRATA_RUNTIME_KERNELS_CPU_DROPOUT_H
