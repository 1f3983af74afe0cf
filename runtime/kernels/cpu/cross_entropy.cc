//===- cross_entropy.cc - softmax cross-entropy --------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/cross_entropy.h"

#include "runtime/kernels/cpu/kernel_util.h"

#include <algorithm>
#include <limits>
#include <string>

namespace strata::runtime::cpu {

int64_t countedLabels(const int32_t *labels, int64_t N) {
  int64_t counted = 0;
  for (int64_t n = 0; n < N; ++n)
    counted += labels[n] != kIgnoredLabel;
  return counted;
}

Status validateLabels(const int32_t *labels, int64_t N, int64_t V) {
  for (int64_t n = 0; n < N; ++n)
    if (labels[n] != kIgnoredLabel && (labels[n] < 0 || labels[n] >= V))
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
/// kernel would compute over a row of that block alone. In A =
/// AccumulatorOf<T>: float for bf16 and f16 logits.
template <typename A>
struct RowStats {
  A max;
  A sumExp; // sum_v exp(row[v] - max)
};

template <typename T, typename A = AccumulatorOf<T>>
STRATA_ALWAYS_INLINE RowStats<A> rowStatsImpl(const T *row, int64_t V) {
  if (V == 0) // a shard of padding only: exp(-inf) weighs nothing
    return {-std::numeric_limits<A>::infinity(), A(0)};
  const A m = detail::maxValue(row, V);
  return {m, detail::sumExpShifted(row, m, V)};
}
/// out[v] = exp(row[v] - lse) * g; |out| may alias |row|.
template <typename T, typename A = AccumulatorOf<T>>
STRATA_ALWAYS_INLINE void softmaxTimesImpl(const T *row, A lse, A g, T *out,
                                           int64_t V) {
  for (int64_t v = 0; v < V; ++v)
    out[v] = T(detail::vexp(A(row[v]) - lse) * g);
}

#define STRATA_ROWS(T, MV)                                                     \
  MV RowStats<AccumulatorOf<T>> rowStats(const T *row, int64_t V) {            \
    return rowStatsImpl(row, V);                                               \
  }                                                                            \
  MV void softmaxTimes(const T *row, AccumulatorOf<T> lse,                     \
                       AccumulatorOf<T> g, T *out, int64_t V) {                \
    softmaxTimesImpl(row, lse, g, out, V);                                     \
  }
STRATA_ROWS(float, STRATA_MULTIVERSIONED)
STRATA_ROWS(double, )
STRATA_ROWS(bf16, STRATA_MULTIVERSIONED)
STRATA_ROWS(f16, STRATA_MULTIVERSIONED)
#undef STRATA_ROWS

/// The real (not padding) columns of a block of V columns starting at global
/// column |vocabOffset|: those below |validVocab|.
inline int64_t realColumns(int64_t validVocab, int64_t vocabOffset,
                           int64_t V) {
  return std::clamp<int64_t>(validVocab - vocabOffset, 0, V);
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
/// column |vocabOffset|, over its first |real| columns; the padding after
/// them is 0. A row whose label is not in the block's real columns is NaN
/// when |labelOutsideIsError| (the full kernel: the label is invalid), else
/// subtracts nothing (a shard: another rank holds the label's column).
template <typename T, typename A = AccumulatorOf<T>>
void softmaxMinusOneHot(const T *logits, const int32_t *labels, const A *lse,
                        const A *dloss, int64_t N, int64_t V,
                        int64_t vocabOffset, int64_t real,
                        bool labelOutsideIsError, T *dlogits) {
  const T nan = T(std::numeric_limits<A>::quiet_NaN());
#pragma omp parallel for schedule(static) if (detail::worthParallel(N * V))
  for (int64_t n = 0; n < N; ++n) {
    const T *row = logits + n * V; // may alias |out|
    T *out = dlogits + n * V;
    if (labels[n] == kIgnoredLabel) {
      std::fill(out, out + V, T(0.0f));
      continue;
    }
    const A l = lse[n], g = dloss[n];
    const int64_t label = localColumn(labels[n], vocabOffset, real);
    if (label < 0 && labelOutsideIsError) {
      std::fill(out, out + V, nan);
      continue;
    }
    // A 16-bit label column is computed whole in float, rounded once; read
    // its logit before softmaxTimes overwrites an aliased row.
    const A target = label >= 0 ? A(row[label]) : A(0);
    softmaxTimes(row, l, g, out, real);
    std::fill(out + real, out + V, T(0.0f));
    if (label >= 0) {
      if constexpr (kIsHalf<T>)
        out[label] = T(detail::vexp(target - l) * g - g);
      else
        out[label] -= g;
    }
  }
}

} // namespace

template <typename T>
void crossEntropyForward(const T *logits, const int32_t *labels, int64_t N,
                         int64_t V, AccumulatorOf<T> *loss,
                         AccumulatorOf<T> *lse, int64_t validVocab) {
  using A = AccumulatorOf<T>;
  const A nan = std::numeric_limits<A>::quiet_NaN();
  const int64_t real = realColumns(validVocab, 0, V);
#pragma omp parallel for schedule(static) if (detail::worthParallel(N * V))
  for (int64_t n = 0; n < N; ++n) {
    const T *row = logits + n * V;
    const RowStats<A> st = rowStats(row, real);
    const A l = st.max + std::log(st.sumExp);
    if (lse)
      lse[n] = l;
    const int64_t label = localColumn(labels[n], 0, real);
    loss[n] = labels[n] == kIgnoredLabel ? A(0)
              : label >= 0               ? l - A(row[label])
                                         : nan;
  }
}

template <typename T>
void crossEntropyBackward(const T *logits, const int32_t *labels,
                          const AccumulatorOf<T> *lse,
                          const AccumulatorOf<T> *dloss, int64_t N, int64_t V,
                          T *dlogits, int64_t validVocab) {
  softmaxMinusOneHot(logits, labels, lse, dloss, N, V, /*vocabOffset=*/0,
                     realColumns(validVocab, 0, V),
                     /*labelOutsideIsError=*/true, dlogits);
}

template <typename T>
void crossEntropyShardStats(const T *logitsLocal, const int32_t *labels,
                            int64_t N, int64_t Vl, int64_t vocabOffset,
                            AccumulatorOf<T> *stats, int64_t validVocab) {
  using A = AccumulatorOf<T>;
  const int64_t real = realColumns(validVocab, vocabOffset, Vl);
#pragma omp parallel for schedule(static) if (detail::worthParallel(N * Vl))
  for (int64_t n = 0; n < N; ++n) {
    const T *row = logitsLocal + n * Vl;
    const RowStats<A> st = rowStats(row, real);
    const int64_t label = localColumn(labels[n], vocabOffset, real);
    A *out = stats + n * kCrossEntropyStats;
    out[0] = st.max;
    out[1] = st.sumExp;
    out[2] = label >= 0 ? A(row[label]) : A(0);
  }
}

template <typename T>
void crossEntropyCombineStats(const AccumulatorOf<T> *gathered,
                              const int32_t *labels, int64_t N, int64_t tp,
                              AccumulatorOf<T> *loss, AccumulatorOf<T> *lse) {
  using A = AccumulatorOf<T>; // nothing here is T
  const int64_t width = kCrossEntropyStats * tp;
#pragma omp parallel for schedule(static) if (detail::worthParallel(N * tp))
  for (int64_t n = 0; n < N; ++n) {
    const A *row = gathered + n * width;
    A m = -std::numeric_limits<A>::infinity();
    for (int64_t r = 0; r < tp; ++r)
      m = std::max(m, row[r * kCrossEntropyStats]);
    // Rank r's sum is relative to its own max: rescale it to the global one
    // (in rank order). The C library's exp rather than vexp: only tp terms
    // per row, so the more accurate one costs nothing.
    A sum = A(0), target = A(0);
    for (int64_t r = 0; r < tp; ++r) {
      const A *st = row + r * kCrossEntropyStats;
      sum += st[1] * std::exp(st[0] - m);
      target += st[2];
    }
    const A l = m + std::log(sum);
    if (lse)
      lse[n] = l;
    loss[n] = labels[n] == kIgnoredLabel ? A(0) : l - target;
  }
}

template <typename T>
void crossEntropyBackwardShard(const T *logitsLocal, const int32_t *labels,
                               const AccumulatorOf<T> *lse,
                               const AccumulatorOf<T> *dloss, int64_t N,
                               int64_t Vl, int64_t vocabOffset,
                               T *dlogitsLocal, int64_t validVocab) {
  softmaxMinusOneHot(logitsLocal, labels, lse, dloss, N, Vl, vocabOffset,
                     realColumns(validVocab, vocabOffset, Vl),
                     /*labelOutsideIsError=*/false, dlogitsLocal);
}

#define STRATA_INSTANTIATE(T)                                                  \
  template void crossEntropyForward<T>(const T *, const int32_t *, int64_t,    \
                                       int64_t, AccumulatorOf<T> *,            \
                                       AccumulatorOf<T> *, int64_t);           \
  template void crossEntropyBackward<T>(                                       \
      const T *, const int32_t *, const AccumulatorOf<T> *,                    \
      const AccumulatorOf<T> *, int64_t, int64_t, T *, int64_t);               \
  template void crossEntropyShardStats<T>(const T *, const int32_t *, int64_t, \
                                          int64_t, int64_t,                    \
                                          AccumulatorOf<T> *, int64_t);        \
  template void crossEntropyCombineStats<T>(                                   \
      const AccumulatorOf<T> *, const int32_t *, int64_t, int64_t,             \
      AccumulatorOf<T> *, AccumulatorOf<T> *);                                 \
  template void crossEntropyBackwardShard<T>(                                  \
      const T *, const int32_t *, const AccumulatorOf<T> *,                    \
      const AccumulatorOf<T> *, int64_t, int64_t, int64_t, T *, int64_t);
STRATA_FOR_EACH_ELEMENT_TYPE(STRATA_INSTANTIATE)
#undef STRATA_INSTANTIATE

} // namespace strata::runtime::cpu
