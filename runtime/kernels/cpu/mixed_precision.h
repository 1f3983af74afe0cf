//===- mixed_precision.h - casts and checks for mixed precision ---*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The kernels NeMo/Megatron mixed precision (megatron_amp_O2) needs beside
// the model's own: element casts (the IR's cast ops, the bf16 model
// parameters as the rounding of the f32 main parameters), a 16-bit gradient
// accumulated into an f32 gradient slot in one pass, and the all-finite
// check of f16 dynamic loss scaling (an inf or NaN skips the step). The
// optimizer step itself is adamwStepMixed (adamw.h).
//
// Element types: float, double, bf16, f16, in any pair (From, To). A value
// is rounded once, to nearest even: double -> bf16 does not go through a
// nearest-even float (half_float.h), bf16 <-> f16 goes through float, which
// holds both exactly.
//
// Usage (one micro-batch's bf16 weight gradient into the f32 main gradient,
// then, on the last micro-batch, the f16 overflow check):
//   accumulateCast<bf16, float>(dwBf16, mainGrad, n);
//   if (!allFinite(mainGrad, n)) { skip the step, lower the loss scale }
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_KERNELS_CPU_MIXED_PRECISION_H
#define STRATA_RUNTIME_KERNELS_CPU_MIXED_PRECISION_H

#include "runtime/kernels/cpu/element_type.h"

#include <cstdint>

namespace strata::runtime::cpu {

/// y[i] = To(x[i]), i < |n|, rounded to nearest even (exact when To holds
/// every From value); NaN stays NaN, overflow becomes infinity. From = To
/// copies. |x| and |y| must not overlap unless they are the same type and
/// pointer.
template <typename From, typename To>
void castElements(const From *x, To *y, int64_t n);

/// y[i] = To(y[i] + x[i]), i < |n|, the sum taken in the wider of
/// AccumulatorOf<From> and AccumulatorOf<To> and rounded once: e.g. a bf16
/// gradient added into an f32 gradient slot without a separate cast.
/// From = To is accumulate() (elementwise.h), bitwise.
template <typename From, typename To>
void accumulateCast(const From *x, To *y, int64_t n);

/// Whether every x[i], i < |n|, is finite (neither infinity nor NaN); true
/// for n == 0. Reads the exponent bits, so it is exact for every type and
/// independent of the threads.
template <typename T>
bool allFinite(const T *x, int64_t n);

} // namespace strata::runtime::cpu

#endif // STRATA_RUNTIME_KERNELS_CPU_MIXED_PRECISION_H
