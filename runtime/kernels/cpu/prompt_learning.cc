//===- prompt_learning.cc - kernels of prompt tuning and LoRA -------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/prompt_learning.h"

#include "runtime/kernels/cpu/embedding.h"
#include "runtime/kernels/cpu/kernel_util.h"

#include <algorithm>

namespace strata::runtime::cpu {

namespace {

/// The task's table row of position |p|, or -1.
inline int64_t taskRow(const int32_t *vt, int64_t p, int64_t offset,
                       int64_t rows) {
  const int64_t r = int64_t(vt[p]) - offset;
  return r >= 0 && r < rows ? r : -1;
}

} // namespace

template <typename T>
void insertVirtualTokens(const T *x, const T *table, const int32_t *vt,
                         int64_t positions, int64_t offset, int64_t rows,
                         int64_t H, T *y) {
#pragma omp parallel for schedule(static)                                      \
    if (detail::worthParallel(positions * H))
  for (int64_t p = 0; p < positions; ++p) {
    const int64_t r = taskRow(vt, p, offset, rows);
    const T *from = r >= 0 ? table + r * H : x + p * H;
    if (from != y + p * H)
      std::copy(from, from + H, y + p * H);
  }
}

template <typename T>
void maskVirtualTokens(const T *dy, const int32_t *vt, int64_t positions,
                       int64_t offset, int64_t rows, int64_t H, T *dx) {
#pragma omp parallel for schedule(static)                                      \
    if (detail::worthParallel(positions * H))
  for (int64_t p = 0; p < positions; ++p) {
    T *out = dx + p * H;
    if (taskRow(vt, p, offset, rows) >= 0)
      std::fill(out, out + H, T(0.0f));
    else if (out != dy + p * H)
      std::copy(dy + p * H, dy + (p + 1) * H, out);
  }
}

template <typename T>
void virtualTokenTableGrad(const T *dy, const int32_t *vt, int64_t positions,
                           int64_t offset, int64_t rows, int64_t H,
                           T *dtable) {
  // The embedding gradient of one vocabulary block: ids outside the block
  // (other tasks, real tokens) are skipped, the sum runs in position order.
  embeddingBackwardShard(dy, vt, positions, offset, rows, H, dtable,
                         /*accumulate=*/false);
}

template <typename T> void reluForward(const T *x, T *y, int64_t n) {
#pragma omp parallel for schedule(static) if (detail::worthParallel(n))
  for (int64_t i = 0; i < n; ++i)
    y[i] = AccumulatorOf<T>(x[i]) > 0 ? x[i] : T(0.0f);
}

template <typename T>
void reluBackward(const T *x, const T *dy, T *dx, int64_t n) {
#pragma omp parallel for schedule(static) if (detail::worthParallel(n))
  for (int64_t i = 0; i < n; ++i)
    dx[i] = AccumulatorOf<T>(x[i]) > 0 ? dy[i] : T(0.0f);
}

template <typename T> void scale(const T *x, double factor, T *y, int64_t n) {
  using A = AccumulatorOf<T>;
  const A f = A(factor);
#pragma omp parallel for schedule(static) if (detail::worthParallel(n))
  for (int64_t i = 0; i < n; ++i)
    y[i] = T(A(x[i]) * f);
}

#define STRATA_INSTANTIATE(T)                                                  \
  template void insertVirtualTokens<T>(const T *, const T *, const int32_t *, \
                                       int64_t, int64_t, int64_t, int64_t,     \
                                       T *);                                   \
  template void maskVirtualTokens<T>(const T *, const int32_t *, int64_t,      \
                                     int64_t, int64_t, int64_t, T *);          \
  template void virtualTokenTableGrad<T>(const T *, const int32_t *, int64_t,  \
                                         int64_t, int64_t, int64_t, T *);      \
  template void reluForward<T>(const T *, T *, int64_t);                       \
  template void reluBackward<T>(const T *, const T *, T *, int64_t);           \
  template void scale<T>(const T *, double, T *, int64_t);
STRATA_FOR_EACH_ELEMENT_TYPE(STRATA_INSTANTIATE)
#undef STRATA_INSTANTIATE

} // namespace strata::runtime::cpu
