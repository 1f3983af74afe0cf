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

/// The two reductions of a row's log-sum-exp, log sum_v exp(row[v]) =
/// max + log sumExp: shared by the full kernel and the shard statistics, so
/// that a rank's (max, sumExp) over its block are bitwise those the full
/// kernel would compute over a row of that block alone.
template <typename T>
struct RowStats {
  T max;
  T sumExp; // sum_v exp(row[v] - max)
};

template <typename T>
STRATA_ALWAYS_INLINE RowStats<T> rowStatsImpl(const T *row, int64_t V) {
  const T m = detail::maxValue(row, V);
  return {m, detail::sumExpShifted(row, m, V)};
}
/// out[v] = exp(row[v] - lse) * g; |out| may alias |row|.
template <typename T>
STRATA_ALWAYS_INLINE void softmaxTimesImpl(const T *row, T lse, T g, T *out,
                                           int64_t V) {
  for (int64_t v = 0; v < V; ++v)
    out[v] = detail::vexp(row[v] - lse) * g;
}

STRATA_MULTIVERSIONED RowStats<float> rowStats(const float *row, int64_t V) {
  return rowStatsImpl(row, V);
}
RowStats<double> rowStats(const double *row, int64_t V) {
  return rowStatsImpl(row, V);
}
STRATA_MULTIVERSIONED void softmaxTimes(const float *row, float lse, float g,
                                        float *out, int64_t V) {
  softmaxTimesImpl(row, lse, g, out, V);
}
void softmaxTimes(const double *row, double lse, double g, double *out,
                  int64_t V) {
  softmaxTimesImpl(row, lse, g, out, V);
}

/// The column of |label| in a block of V columns starting at global column
/// |vocabOffset|, or -1 when the label is not in the block (computed in 64
/// bits: no label overflows into the block).
inline int64_t localColumn(int32_t label, int64_t vocabOffset, int64_t V) {
  const int64_t c = int64_t(label) - vocabOffset;
  return c >= 0 && c < V ? c : -1;
}

/// dlogits[n,v] = (exp(logits[n,v] - lse[n]) - [v + vocabOffset ==
/// labels[n]]) * dloss[n] for the block of V columns starting at global
/// column |vocabOffset|. A row whose label is not in the block is NaN when
/// |labelOutsideIsError| (the full kernel: the label is invalid), else
/// subtracts nothing (a shard: another rank holds the label's column).
template <typename T>
void softmaxMinusOneHot(const T *logits, const int32_t *labels, const T *lse,
                        const T *dloss, int64_t N, int64_t V,
                        int64_t vocabOffset, bool labelOutsideIsError,
                        T *dlogits) {
  const T nan = std::numeric_limits<T>::quiet_NaN();
#pragma omp parallel for schedule(static) if (detail::worthParallel(N * V))
  for (int64_t n = 0; n < N; ++n) {
    const T *row = logits + n * V; // may alias |out|
    T *out = dlogits + n * V;
    const T l = lse[n], g = dloss[n];
    const int64_t label = localColumn(labels[n], vocabOffset, V);
    if (label < 0 && labelOutsideIsError) {
      std::fill(out, out + V, nan);
      continue;
    }
    softmaxTimes(row, l, g, out, V);
    if (label >= 0)
      out[label] -= g;
  }
}

} // namespace

template <typename T>
void crossEntropyForward(const T *logits, const int32_t *labels, int64_t N,
                         int64_t V, T *loss, T *lse) {
  const T nan = std::numeric_limits<T>::quiet_NaN();
#pragma omp parallel for schedule(static) if (detail::worthParallel(N * V))
  for (int64_t n = 0; n < N; ++n) {
    const T *row = logits + n * V;
    const RowStats<T> st = rowStats(row, V);
    const T l = st.max + std::log(st.sumExp);
    if (lse)
      lse[n] = l;
    const int64_t label = localColumn(labels[n], 0, V);
    loss[n] = label >= 0 ? l - row[label] : nan;
  }
}

template <typename T>
void crossEntropyBackward(const T *logits, const int32_t *labels, const T *lse,
                          const T *dloss, int64_t N, int64_t V, T *dlogits) {
  softmaxMinusOneHot(logits, labels, lse, dloss, N, V, /*vocabOffset=*/0,
                     /*labelOutsideIsError=*/true, dlogits);
}

template <typename T>
void crossEntropyShardStats(const T *logitsLocal, const int32_t *labels,
                            int64_t N, int64_t Vl, int64_t vocabOffset,
                            T *stats) {
#pragma omp parallel for schedule(static) if (detail::worthParallel(N * Vl))
  for (int64_t n = 0; n < N; ++n) {
    const T *row = logitsLocal + n * Vl;
    const RowStats<T> st = rowStats(row, Vl);
    const int64_t label = localColumn(labels[n], vocabOffset, Vl);
    T *out = stats + n * kCrossEntropyStats;
    out[0] = st.max;
    out[1] = st.sumExp;
    out[2] = label >= 0 ? row[label] : T(0);
  }
}

template <typename T>
void crossEntropyCombineStats(const T *gathered, int64_t N, int64_t tp, T *loss,
                              T *lse) {
  const int64_t width = kCrossEntropyStats * tp;
#pragma omp parallel for schedule(static) if (detail::worthParallel(N * tp))
  for (int64_t n = 0; n < N; ++n) {
    const T *row = gathered + n * width;
    T m = -std::numeric_limits<T>::infinity();
    for (int64_t r = 0; r < tp; ++r)
      m = std::max(m, row[r * kCrossEntropyStats]);
    // Rank r's sum is relative to its own max: rescale it to the global one
    // (in rank order). The C library's exp rather than vexp: only tp terms
    // per row, so the more accurate one costs nothing.
    T sum = T(0), target = T(0);
    for (int64_t r = 0; r < tp; ++r) {
      const T *st = row + r * kCrossEntropyStats;
      sum += st[1] * std::exp(st[0] - m);
      target += st[2];
    }
    const T l = m + std::log(sum);
    if (lse)
      lse[n] = l;
    loss[n] = l - target;
  }
}

template <typename T>
void crossEntropyBackwardShard(const T *logitsLocal, const int32_t *labels,
                               const T *lse, const T *dloss, int64_t N,
                               int64_t Vl, int64_t vocabOffset,
                               T *dlogitsLocal) {
  softmaxMinusOneHot(logitsLocal, labels, lse, dloss, N, Vl, vocabOffset,
                     /*labelOutsideIsError=*/false, dlogitsLocal);
}

#define STRATA_INSTANTIATE(T)                                                  \
  template void crossEntropyForward<T>(const T *, const int32_t *, int64_t,    \
                                       int64_t, T *, T *);                     \
  template void crossEntropyBackward<T>(const T *, const int32_t *, const T *, \
                                        const T *, int64_t, int64_t, T *);     \
  template void crossEntropyShardStats<T>(const T *, const int32_t *, int64_t, \
                                          int64_t, int64_t, T *);              \
  template void crossEntropyCombineStats<T>(const T *, int64_t, int64_t, T *,  \
                                            T *);                              \
  template void crossEntropyBackwardShard<T>(const T *, const int32_t *,       \
                                             const T *, const T *, int64_t,    \
                                             int64_t, int64_t, T *);
STRATA_INSTANTIATE(float)
STRATA_INSTANTIATE(double)
#undef STRATA_INSTANTIATE

} // namespace strata::runtime::cpu
