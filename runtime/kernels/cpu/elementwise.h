//===- elementwise.h - residual adds and scaling -----------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Flat elementwise kernels over |n| contiguous elements, parallel in chunks.
// Column sums (the gradient of a broadcast bias) are biasAddBackward() in
// bias.h; casts between element types are in mixed_precision.h. T = float,
// double, bf16 or f16 (computed in float, rounded once per element).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_KERNELS_CPU_ELEMENTWISE_H
#define STRATA_RUNTIME_KERNELS_CPU_ELEMENTWISE_H

#include "runtime/kernels/cpu/element_type.h"

#include <cstdint>

namespace strata::runtime::cpu {

/// y[i] = a[i] + b[i], i < |n| (a residual connection; its backward passes
/// dy to both operands). |y| may alias |a| or |b|.
template <typename T>
void add(const T *a, const T *b, T *y, int64_t n);

/// y[i] += x[i], i < |n|: accumulates a gradient that reaches a value along
/// several paths.
template <typename T>
void accumulate(const T *x, T *y, int64_t n);

/// x[i] *= factor, i < |n| (gradient clipping; see clipGradNormCoefficient
/// in adamw.h).
template <typename T>
void scaleInPlace(T *x, int64_t n, AccumulatorOf<T> factor);

} // namespace strata::runtime::cpu

#endif // STRATA_RUNTIME_KERNELS_CPU_ELEMENTWISE_H
