//===- rms_norm.cc - root-mean-square normalization ---------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/rms_norm.h"

#include "runtime/kernels/cpu/kernel_util.h"

namespace strata::runtime::cpu {

template <typename T>
void rmsNormForward(const T *x, const T *gamma, int64_t N, int64_t H,
                    double epsilon, T *y, AccumulatorOf<T> *rstd) {
  using A = AccumulatorOf<T>;
  const A eps = A(epsilon);
#pragma omp parallel for schedule(static) if (detail::worthParallel(N * H))
  for (int64_t n = 0; n < N; ++n) {
    const T *xr = x + n * H; // |y| may alias |x|: no __restrict
    T *yr = y + n * H;
    const A r = A(1) / std::sqrt(detail::dot(xr, xr, H) / A(H) + eps);
    if (rstd)
      rstd[n] = r;
    for (int64_t h = 0; h < H; ++h)
      yr[h] = T(A(xr[h]) * r * A(gamma[h]));
  }
}

template <typename T>
void rmsNormStatistics(const T *x, int64_t N, int64_t H, double epsilon,
                       AccumulatorOf<T> *rstd) {
  using A = AccumulatorOf<T>;
  const A eps = A(epsilon);
#pragma omp parallel for schedule(static) if (detail::worthParallel(N * H))
  for (int64_t n = 0; n < N; ++n) {
    const T *xr = x + n * H;
    rstd[n] = A(1) / std::sqrt(detail::dot(xr, xr, H) / A(H) + eps);
  }
}

template <typename T>
void rmsNormBackward(const T *dy, const T *x, const T *gamma,
                     const AccumulatorOf<T> *rstd, int64_t N, int64_t H, T *dx,
                     T *dgamma) {
  using A = AccumulatorOf<T>;
  constexpr int L = detail::kLanes<A>;
#pragma omp parallel for schedule(static) if (detail::worthParallel(N * H))
  for (int64_t n = 0; n < N; ++n) {
    const T *__restrict xr = x + n * H;
    const T *__restrict dyr = dy + n * H;
    T *__restrict dxr = dx + n * H;
    const A r = rstd[n];
    A acc[L] = {};
    int64_t h = 0;
    for (; h + L <= H; h += L)
      for (int j = 0; j < L; ++j)
        acc[j] += (A(dyr[h + j]) * A(gamma[h + j])) * (A(xr[h + j]) * r);
    for (int j = 0; h < H; ++h, ++j)
      acc[j] += (A(dyr[h]) * A(gamma[h])) * (A(xr[h]) * r);
    const A b = detail::combineLanes(acc) / A(H);
    for (int64_t k = 0; k < H; ++k)
      dxr[k] = T(r * (A(dyr[k]) * A(gamma[k]) - (A(xr[k]) * r) * b));
  }

  const int64_t blocks = (H + detail::kColumnBlock - 1) / detail::kColumnBlock;
#pragma omp parallel for schedule(static) if (detail::worthParallel(N * H))
  for (int64_t blk = 0; blk < blocks; ++blk) {
    const int64_t h0 = blk * detail::kColumnBlock;
    const int64_t w = std::min(detail::kColumnBlock, H - h0);
    A acc[detail::kColumnBlock] = {};
    for (int64_t n = 0; n < N; ++n) {
      const T *__restrict xr = x + n * H + h0;
      const T *__restrict dyr = dy + n * H + h0;
      const A r = rstd[n];
      for (int64_t j = 0; j < w; ++j)
        acc[j] += A(dyr[j]) * (A(xr[j]) * r);
    }
    for (int64_t j = 0; j < w; ++j)
      dgamma[h0 + j] = T(acc[j]);
  }
}

#define STRATA_INSTANTIATE(T)                                                  \
  template void rmsNormForward<T>(const T *, const T *, int64_t, int64_t,     \
                                  double, T *, AccumulatorOf<T> *);            \
  template void rmsNormStatistics<T>(const T *, int64_t, int64_t, double,    \
                                     AccumulatorOf<T> *);                      \
  template void rmsNormBackward<T>(const T *, const T *, const T *,           \
                                   const AccumulatorOf<T> *, int64_t, int64_t, \
                                   T *, T *);
STRATA_FOR_EACH_ELEMENT_TYPE(STRATA_INSTANTIATE)
#undef STRATA_INSTANTIATE

} // namespace strata::runtime::cpu
