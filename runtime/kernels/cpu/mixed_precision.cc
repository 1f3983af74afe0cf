//===- mixed_precision.cc - casts and checks for mixed precision ---*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/mixed_precision.h"

#include "runtime/kernels/cpu/kernel_util.h"

namespace strata::runtime::cpu {
namespace {

/// x as To, rounded once.
template <typename To, typename From>
STRATA_ALWAYS_INLINE To castOne(From x) {
  if constexpr (kIsHalf<From> && kIsHalf<To>)
    return To(float(x)); // float holds every bf16 and f16 exactly
  else
    return To(x);
}

/// Whether x is infinite or NaN: its exponent field is all ones.
STRATA_ALWAYS_INLINE bool nonFinite(float x) {
  return (detail::floatToBits(x) & 0x7f800000) == 0x7f800000;
}
STRATA_ALWAYS_INLINE bool nonFinite(double x) { return !(x - x == 0.0); }
STRATA_ALWAYS_INLINE bool nonFinite(bf16 x) {
  return (x.bits & 0x7f80u) == 0x7f80u;
}
STRATA_ALWAYS_INLINE bool nonFinite(f16 x) {
  return (x.bits & 0x7c00u) == 0x7c00u;
}

} // namespace

template <typename From, typename To>
void castElements(const From *x, To *y, int64_t n) {
  detail::parallelChunks(n, detail::kElementwiseGrain, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i)
      y[i] = castOne<To>(x[i]);
  });
}

template <typename From, typename To>
void accumulateCast(const From *x, To *y, int64_t n) {
  using W = std::conditional_t<(sizeof(AccumulatorOf<From>) >
                                sizeof(AccumulatorOf<To>)),
                               AccumulatorOf<From>, AccumulatorOf<To>>;
  detail::parallelChunks(n, detail::kElementwiseGrain, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i)
      y[i] = castOne<To>(castOne<W>(y[i]) + castOne<W>(x[i]));
  });
}

template <typename T>
bool allFinite(const T *x, int64_t n) {
  unsigned bad = 0; // no early exit: the loop vectorizes
#pragma omp parallel for schedule(static) reduction(| : bad) if (detail::worthParallel(n))
  for (int64_t i = 0; i < n; ++i)
    bad |= unsigned(nonFinite(x[i]));
  return bad == 0;
}

#define STRATA_INSTANTIATE_PAIR(From, To)                                      \
  template void castElements<From, To>(const From *, To *, int64_t);           \
  template void accumulateCast<From, To>(const From *, To *, int64_t);
#define STRATA_INSTANTIATE(From)                                               \
  STRATA_INSTANTIATE_PAIR(From, float)                                         \
  STRATA_INSTANTIATE_PAIR(From, double)                                        \
  STRATA_INSTANTIATE_PAIR(From, bf16)                                          \
  STRATA_INSTANTIATE_PAIR(From, f16)                                           \
  template bool allFinite<From>(const From *, int64_t);
STRATA_FOR_EACH_ELEMENT_TYPE(STRATA_INSTANTIATE)
#undef STRATA_INSTANTIATE
#undef STRATA_INSTANTIATE_PAIR

} // namespace strata::runtime::cpu
