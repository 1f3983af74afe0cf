//===- elementwise.cc - residual adds and scaling -----------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/elementwise.h"

#include "runtime/kernels/cpu/kernel_util.h"

namespace strata::runtime::cpu {

template <typename T>
void add(const T *a, const T *b, T *y, int64_t n) {
  detail::parallelChunks(n, detail::kElementwiseGrain, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i)
      y[i] = T(AccumulatorOf<T>(a[i]) + AccumulatorOf<T>(b[i]));
  });
}

template <typename T>
void accumulate(const T *x, T *y, int64_t n) {
  detail::parallelChunks(n, detail::kElementwiseGrain, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i)
      y[i] = T(AccumulatorOf<T>(y[i]) + AccumulatorOf<T>(x[i]));
  });
}

template <typename T>
void scaleInPlace(T *x, int64_t n, AccumulatorOf<T> factor) {
  detail::parallelChunks(n, detail::kElementwiseGrain, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i)
      x[i] = T(AccumulatorOf<T>(x[i]) * factor);
  });
}

#define STRATA_INSTANTIATE(T)                                                  \
  template void add<T>(const T *, const T *, T *, int64_t);                    \
  template void accumulate<T>(const T *, T *, int64_t);                        \
  template void scaleInPlace<T>(T *, int64_t, AccumulatorOf<T>);
STRATA_FOR_EACH_ELEMENT_TYPE(STRATA_INSTANTIATE)
#undef STRATA_INSTANTIATE

} // namespace strata::runtime::cpu
