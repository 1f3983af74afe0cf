//===- element_type.h - the kernels' element types ---------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Every kernel of this library is instantiated for four storage types T:
// float, double, bf16 and f16 (runtime/support/half_float.h). A kernel loads
// T, computes and accumulates in AccumulatorOf<T> (float for float, bf16
// and f16; double for double) and rounds once when it stores T.
//
// The few values the dialect keeps at least f32 whatever the model's
// element type (docs/architecture.md, "Element types") are AccumulatorOf<T>
// in the kernels' signatures: the attention log-sum-exp, the cross-entropy
// losses, log-sum-exp and loss gradients, norm statistics (mean, rstd), and
// the scalars alpha, beta and scale factors. For float and double these are
// T itself, so float and double callers see the signatures they always saw.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_KERNELS_CPU_ELEMENT_TYPE_H
#define STRATA_RUNTIME_KERNELS_CPU_ELEMENT_TYPE_H

#include "runtime/support/half_float.h"

#include <type_traits>

namespace strata::runtime::cpu {

using ::strata::runtime::bf16;
using ::strata::runtime::f16;

/// The type a kernel computes and accumulates T in.
template <typename T>
struct Accumulator {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                "kernels take float, double, bf16 or f16");
  using type = T;
};
template <>
struct Accumulator<bf16> {
  using type = float;
};
template <>
struct Accumulator<f16> {
  using type = float;
};
template <typename T>
using AccumulatorOf = typename Accumulator<T>::type;

/// True for the 16-bit storage types.
template <typename T>
constexpr bool kIsHalf = std::is_same_v<T, bf16> || std::is_same_v<T, f16>;

} // namespace strata::runtime::cpu

#endif // STRATA_RUNTIME_KERNELS_CPU_ELEMENT_TYPE_H
