//===- activation.cc - GELU, SiLU, SwiGLU --------------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/activation.h"

#include "runtime/kernels/cpu/kernel_util.h"

namespace strata::runtime::cpu {

using detail::kElementwiseGrain;
using detail::parallelChunks;

namespace {

// The loops over one chunk, compiled per ISA for float, bf16 and f16 (see
// STRATA_MULTIVERSIONED); parallelChunks splits the tensor into chunks. T
// is loaded into A = AccumulatorOf<T> and rounded once on the store.
template <typename T, bool Tanh, typename A = AccumulatorOf<T>>
STRATA_ALWAYS_INLINE void geluForwardLoop(const T *x, T *y, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    y[i] = T(detail::geluValue(A(x[i]), Tanh));
}
template <typename T, bool Tanh, typename A = AccumulatorOf<T>>
STRATA_ALWAYS_INLINE void geluBackwardLoop(const T *x, const T *dy, T *dx,
                                           int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    dx[i] = T(A(dy[i]) * detail::geluDerivative(A(x[i]), Tanh));
}
template <typename T, typename A = AccumulatorOf<T>>
STRATA_ALWAYS_INLINE void siluForwardLoop(const T *x, T *y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const A v = A(x[i]);
    y[i] = T(v * detail::sigmoid(v));
  }
}
template <typename T, typename A = AccumulatorOf<T>>
STRATA_ALWAYS_INLINE void siluBackwardLoop(const T *x, const T *dy, T *dx,
                                           int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const A v = A(x[i]);
    const A sg = detail::sigmoid(v);
    dx[i] = T(A(dy[i]) * (sg * (A(1) + v * (A(1) - sg))));
  }
}
template <typename T, typename A = AccumulatorOf<T>>
STRATA_ALWAYS_INLINE void swigluForwardLoop(const T *gate, const T *up, T *y,
                                            int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const A g = A(gate[i]);
    y[i] = T(g * detail::sigmoid(g) * A(up[i]));
  }
}
template <typename T, typename A = AccumulatorOf<T>>
STRATA_ALWAYS_INLINE void swigluBackwardLoop(const T *gate, const T *up,
                                             const T *dy, T *dgate, T *dup,
                                             int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const A g = A(gate[i]), u = A(up[i]), d = A(dy[i]);
    const A sg = detail::sigmoid(g);
    dgate[i] = T(d * u * (sg * (A(1) + g * (A(1) - sg))));
    dup[i] = T(d * (g * sg));
  }
}

#define STRATA_SPANS(T, MV)                                                    \
  MV void geluForwardSpan(const T *x, T *y, int64_t n, bool t) {               \
    t ? geluForwardLoop<T, true>(x, y, n) : geluForwardLoop<T, false>(x, y, n); \
  }                                                                            \
  MV void geluBackwardSpan(const T *x, const T *dy, T *dx, int64_t n,          \
                           bool t) {                                           \
    t ? geluBackwardLoop<T, true>(x, dy, dx, n)                                \
      : geluBackwardLoop<T, false>(x, dy, dx, n);                              \
  }                                                                            \
  MV void siluForwardSpan(const T *x, T *y, int64_t n) {                       \
    siluForwardLoop(x, y, n);                                                  \
  }                                                                            \
  MV void siluBackwardSpan(const T *x, const T *dy, T *dx, int64_t n) {        \
    siluBackwardLoop(x, dy, dx, n);                                            \
  }                                                                            \
  MV void swigluForwardSpan(const T *g, const T *u, T *y, int64_t n) {         \
    swigluForwardLoop(g, u, y, n);                                             \
  }                                                                            \
  MV void swigluBackwardSpan(const T *g, const T *u, const T *dy, T *dg,       \
                             T *du, int64_t n) {                               \
    swigluBackwardLoop(g, u, dy, dg, du, n);                                   \
  }
STRATA_SPANS(float, STRATA_MULTIVERSIONED)
STRATA_SPANS(double, )
STRATA_SPANS(bf16, STRATA_MULTIVERSIONED)
STRATA_SPANS(f16, STRATA_MULTIVERSIONED)
#undef STRATA_SPANS

} // namespace

template <typename T>
void geluForward(const T *x, T *y, int64_t n, GeluApproximation approx) {
  const bool t = approx == GeluApproximation::kTanh;
  parallelChunks(n, kElementwiseGrain, [&](int64_t s, int64_t e) {
    geluForwardSpan(x + s, y + s, e - s, t);
  });
}

template <typename T>
void geluBackward(const T *x, const T *dy, T *dx, int64_t n,
                  GeluApproximation approx) {
  const bool t = approx == GeluApproximation::kTanh;
  parallelChunks(n, kElementwiseGrain, [&](int64_t s, int64_t e) {
    geluBackwardSpan(x + s, dy + s, dx + s, e - s, t);
  });
}

template <typename T>
void siluForward(const T *x, T *y, int64_t n) {
  parallelChunks(n, kElementwiseGrain, [&](int64_t s, int64_t e) {
    siluForwardSpan(x + s, y + s, e - s);
  });
}

template <typename T>
void siluBackward(const T *x, const T *dy, T *dx, int64_t n) {
  parallelChunks(n, kElementwiseGrain, [&](int64_t s, int64_t e) {
    siluBackwardSpan(x + s, dy + s, dx + s, e - s);
  });
}

template <typename T>
void swigluForward(const T *gate, const T *up, T *y, int64_t n) {
  parallelChunks(n, kElementwiseGrain, [&](int64_t s, int64_t e) {
    swigluForwardSpan(gate + s, up + s, y + s, e - s);
  });
}

template <typename T>
void swigluBackward(const T *gate, const T *up, const T *dy, T *dgate, T *dup,
                    int64_t n) {
  parallelChunks(n, kElementwiseGrain, [&](int64_t s, int64_t e) {
    swigluBackwardSpan(gate + s, up + s, dy + s, dgate + s, dup + s, e - s);
  });
}

#define STRATA_INSTANTIATE(T)                                                  \
  template void geluForward<T>(const T *, T *, int64_t, GeluApproximation);    \
  template void geluBackward<T>(const T *, const T *, T *, int64_t,            \
                                GeluApproximation);                            \
  template void siluForward<T>(const T *, T *, int64_t);                       \
  template void siluBackward<T>(const T *, const T *, T *, int64_t);           \
  template void swigluForward<T>(const T *, const T *, T *, int64_t);          \
  template void swigluBackward<T>(const T *, const T *, const T *, T *, T *,   \
                                  int64_t);
STRATA_FOR_EACH_ELEMENT_TYPE(STRATA_INSTANTIATE)
#undef STRATA_INSTANTIATE

} // namespace strata::runtime::cpu
