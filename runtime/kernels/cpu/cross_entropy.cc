//===- cross_entropy.cc - softmax cross-entropy --------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/cross_entropy.h"

#include "runtime/kernels/cpu/kernel_util.h"

#include <string>

namespace strata::runtime::cpu {

Status validateLabels(const int32_t *labels, int64_t N, int64_t V) {
  for (int64_t n = 0; n < N; ++n)
    if (labels[n] < 0 || labels[n] >= V)
      return Status::invalidArgument(
          "label " + std::to_string(labels[n]) + " at position " +
          std::to_string(n) + " is outside the vocabulary [0, " +
          std::to_string(V) + ")");
  return Status::ok();
}

namespace {

/// log sum_v exp(row[v]) = max + log sum exp(row - max).
template <typename T>
STRATA_ALWAYS_INLINE T logSumExpImpl(const T *row, int64_t V) {
  const T m = detail::maxValue(row, V);
  return m + std::log(detail::sumExpShifted(row, m, V));
}
/// out[v] = exp(row[v] - lse) * g; |out| may alias |row|.
template <typename T>
STRATA_ALWAYS_INLINE void softmaxTimesImpl(const T *row, T lse, T g, T *out,
                                           int64_t V) {
  for (int64_t v = 0; v < V; ++v)
    out[v] = detail::vexp(row[v] - lse) * g;
}

STRATA_MULTIVERSIONED float logSumExp(const float *row, int64_t V) {
  return logSumExpImpl(row, V);
}
double logSumExp(const double *row, int64_t V) { return logSumExpImpl(row, V); }
STRATA_MULTIVERSIONED void softmaxTimes(const float *row, float lse, float g,
                                        float *out, int64_t V) {
  softmaxTimesImpl(row, lse, g, out, V);
}
void softmaxTimes(const double *row, double lse, double g, double *out,
                  int64_t V) {
  softmaxTimesImpl(row, lse, g, out, V);
}

} // namespace

template <typename T>
void crossEntropyForward(const T *logits, const int32_t *labels, int64_t N,
                         int64_t V, T *loss, T *lse) {
  const T nan = std::numeric_limits<T>::quiet_NaN();
#pragma omp parallel for schedule(static) if (detail::worthParallel(N * V))
  for (int64_t n = 0; n < N; ++n) {
    const T *row = logits + n * V;
    const T l = logSumExp(row, V);
    if (lse)
      lse[n] = l;
    const int32_t label = labels[n];
    loss[n] = (label >= 0 && label < V) ? l - row[label] : nan;
  }
}

template <typename T>
void crossEntropyBackward(const T *logits, const int32_t *labels, const T *lse,
                          const T *dloss, int64_t N, int64_t V, T *dlogits) {
  const T nan = std::numeric_limits<T>::quiet_NaN();
#pragma omp parallel for schedule(static) if (detail::worthParallel(N * V))
  for (int64_t n = 0; n < N; ++n) {
    const T *row = logits + n * V; // may alias |out|
    T *out = dlogits + n * V;
    const T l = lse[n], g = dloss[n];
    const int32_t label = labels[n];
    if (label < 0 || label >= V) {
      std::fill(out, out + V, nan);
      continue;
    }
    softmaxTimes(row, l, g, out, V);
    out[label] -= g;
  }
}

#define STRATA_INSTANTIATE(T)                                                  \
  template void crossEntropyForward<T>(const T *, const int32_t *, int64_t,    \
                                       int64_t, T *, T *);                     \
  template void crossEntropyBackward<T>(const T *, const int32_t *, const T *, \
                                        const T *, int64_t, int64_t, T *);
STRATA_INSTANTIATE(float)
STRATA_INSTANTIATE(double)
#undef STRATA_INSTANTIATE

} // namespace strata::runtime::cpu
