//===- dropout.h - dropout with a regenerated mask ---------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The mask of element i is DropoutMask(p, seed, offset).keep(i) (philox.h):
// the backward regenerates it from (seed, offset), nothing is stored, and it
// does not depend on the number of threads.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_KERNELS_CPU_DROPOUT_H
#define STRATA_RUNTIME_KERNELS_CPU_DROPOUT_H

#include <cstdint>

namespace strata::runtime::cpu {

/// y[i] = keep(i) ? x[i] / (1 - p) : 0 for i < |n|, keep(i) the Philox mask
/// of stream (|seed|, |offset|) with drop probability |p| in [0, 1). |y| may
/// alias |x|. p = 0 copies.
template <typename T>
void dropoutForward(const T *x, T *y, int64_t n, double p, uint64_t seed,
                    uint64_t offset);

/// dx[i] = keep(i) ? dy[i] / (1 - p) : 0: the same mask as the forward with
/// the same (|p|, |seed|, |offset|). |dx| may alias |dy|.
template <typename T>
void dropoutBackward(const T *dy, T *dx, int64_t n, double p, uint64_t seed,
                     uint64_t offset);

} // namespace strata::runtime::cpu

#endif // STRATA_RUNTIME_KERNELS_CPU_DROPOUT_H
