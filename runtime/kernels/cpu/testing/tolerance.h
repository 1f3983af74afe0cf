//===- tolerance.h - error bounds per element type ---------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// How far a kernel's result in element type T may be from an f64
// evaluation of the same kernel on the same inputs (16-bit inputs widened
// exactly, so only the kernel's own rounding is measured). Written down
// once, here, for the kernel tests and for the backend conformance suite:
// every backend's (kernel, element type) meets the same bound.
//
// Two measures of a result x against the reference y (ggml's
// test-backend-ops uses the second):
//   maxRelative = max_i |x_i - y_i| / max_i |y_i|  (the worst element, in
//                 units of the tensor's largest entry: tiny entries may be
//                 off by more than their own size, the large ones may not)
//   nmse        = sum_i (x_i - y_i)^2 / sum_i y_i^2  (the average error)
//
// The bounds. With u the unit roundoff of the storage type (2^-8 bf16,
// 2^-11 f16, 2^-24 f32, 2^-53 f64):
//   - Rounding the result once to T costs at most u |y_i|. A kernel may round
//     a few 16-bit intermediates along the way (a bias gradient summed from
//     the rounded dx, beta * C read from a 16-bit C, a gradient computed
//     from the rounded forward output): allow 4u.
//   - Arithmetic happens in AccumulatorOf<T>: f32 for f32, bf16 and f16. Its
//     error grows with the length of the reductions and with cancellation
//     (norm backward passes, softmax gradients). On element_types_test's
//     shapes (rows of up to a thousand) the CPU's f32 kernels measure up to
//     2e-6 of the largest entry; allow 3e-5 for longer rows and other
//     summation orders (f64: 1e-12).
//   Measured there (CPU backend): bf16 1.0u (3.9e-3), f16 0.96u (4.7e-4),
//   nmse 7.5e-6 and 1.1e-7: the bounds leave a factor of 4 to 8.
//   - nmse: a relative rounding error spread over [-u, u] gives about
//     u^2 / 3; allow (2u)^2 plus the arithmetic's square.
// So bf16: maxRelative 1.6e-2, nmse 6.1e-5; f16: 2.0e-3, 9.5e-7; f32: 3.0e-5,
// 9.0e-10; f64: 1e-12, 1e-24. A value the dialect keeps in f32 for 16-bit
// programs (a loss, a log-sum-exp, a norm statistic) is checked with f32's.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_KERNELS_CPU_TESTING_TOLERANCE_H
#define STRATA_RUNTIME_KERNELS_CPU_TESTING_TOLERANCE_H

#include "runtime/kernels/cpu/element_type.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <type_traits>
#include <vector>

namespace strata::runtime::cpu::testing {

/// The unit roundoff of a storage type: half the distance from 1 to the
/// next value.
template <typename T>
constexpr double unitRoundoff() {
  if constexpr (std::is_same_v<T, bf16>)
    return 0x1p-8;
  else if constexpr (std::is_same_v<T, f16>)
    return 0x1p-11;
  else
    return std::numeric_limits<T>::epsilon() / 2;
}

/// "f32", "f64", "bf16", "f16": the dialect's spelling, for messages.
template <typename T>
constexpr const char *elementTypeName() {
  if constexpr (std::is_same_v<T, bf16>)
    return "bf16";
  else if constexpr (std::is_same_v<T, f16>)
    return "f16";
  else if constexpr (std::is_same_v<T, float>)
    return "f32";
  else
    return "f64";
}

struct Tolerance {
  double maxRelative;
  double nmse;
};

/// The bounds of the header comment for element type T.
template <typename T>
constexpr Tolerance toleranceFor() {
  constexpr double u = unitRoundoff<T>();
  constexpr double arithmetic =
      std::is_same_v<AccumulatorOf<T>, double> ? 1e-12 : 3e-5;
  return {4 * u + arithmetic, 4 * u * u + arithmetic * arithmetic};
}

/// The two measures of |got| against |ref|; NaN anywhere in |got| where
/// |ref| is finite (or the other way round) makes both infinite.
struct Errors {
  double maxRelative, nmse;
};

template <typename Got>
Errors measureErrors(const std::vector<Got> &got,
                     const std::vector<double> &ref) {
  double maxDiff = 0, maxRef = 0, sumSq = 0, sumRefSq = 0;
  const size_t n = std::min(got.size(), ref.size());
  for (size_t i = 0; i < n; ++i) {
    const double x = double(got[i]), y = ref[i];
    if (std::isnan(x) != std::isnan(y) || std::isinf(x) != std::isinf(y))
      return {INFINITY, INFINITY};
    if (!std::isfinite(y))
      continue; // same NaN or infinity on both sides
    const double d = std::fabs(x - y);
    maxDiff = std::max(maxDiff, d);
    maxRef = std::max(maxRef, std::fabs(y));
    sumSq += d * d;
    sumRefSq += y * y;
  }
  if (got.size() != ref.size())
    return {INFINITY, INFINITY};
  return {maxRef > 0 ? maxDiff / maxRef : maxDiff,
          sumRefSq > 0 ? sumSq / sumRefSq : sumSq};
}

/// Whether |got| (element type T, or the AccumulatorOf<T> values a kernel
/// keeps in f32) is within T's tolerance of |ref|.
template <typename T, typename Got>
bool withinTolerance(const std::vector<Got> &got,
                     const std::vector<double> &ref, Errors *errors = nullptr) {
  const Errors e = measureErrors(got, ref);
  if (errors)
    *errors = e;
  constexpr Tolerance tol = toleranceFor<T>();
  return e.maxRelative <= tol.maxRelative && e.nmse <= tol.nmse;
}

} // namespace strata::runtime::cpu::testing

#endif // STRATA_RUNTIME_KERNELS_CPU_TESTING_TOLERANCE_H
