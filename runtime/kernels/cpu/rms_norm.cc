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
                    double epsilon, T *y, T *rstd) {
  const T eps = T(epsilon);
#pragma omp parallel for schedule(static) if (detail::worthParallel(N * H))
  for (int64_t n = 0; n < N; ++n) {
    const T *xr = x + n * H; // |y| may alias |x|: no __restrict
    T *yr = y + n * H;
    const T r = T(1) / std::sqrt(detail::dot(xr, xr, H) / T(H) + eps);
    if (rstd)
      rstd[n] = r;
    for (int64_t h = 0; h < H; ++h)
      yr[h] = xr[h] * r * gamma[h];
  }
}

template <typename T>
void rmsNormStatistics(const T *x, int64_t N, int64_t H, double epsilon,
                       T *rstd) {
  const T eps = T(epsilon);
#pragma omp parallel for schedule(static) if (detail::worthParallel(N * H))
  for (int64_t n = 0; n < N; ++n) {
    const T *xr = x + n * H;
    rstd[n] = T(1) / std::sqrt(detail::dot(xr, xr, H) / T(H) + eps);
  }
}

template <typename T>
void rmsNormBackward(const T *dy, const T *x, const T *gamma, const T *rstd,
                     int64_t N, int64_t H, T *dx, T *dgamma) {
  constexpr int L = detail::kLanes<T>;
#pragma omp parallel for schedule(static) if (detail::worthParallel(N * H))
  for (int64_t n = 0; n < N; ++n) {
    const T *__restrict xr = x + n * H;
    const T *__restrict dyr = dy + n * H;
    T *__restrict dxr = dx + n * H;
    const T r = rstd[n];
    T acc[L] = {};
    int64_t h = 0;
    for (; h + L <= H; h += L)
      for (int j = 0; j < L; ++j)
        acc[j] += (dyr[h + j] * gamma[h + j]) * (xr[h + j] * r);
    for (int j = 0; h < H; ++h, ++j)
      acc[j] += (dyr[h] * gamma[h]) * (xr[h] * r);
    const T b = detail::combineLanes(acc) / T(H);
    for (int64_t k = 0; k < H; ++k)
      dxr[k] = r * (dyr[k] * gamma[k] - (xr[k] * r) * b);
  }

  const int64_t blocks = (H + detail::kColumnBlock - 1) / detail::kColumnBlock;
#pragma omp parallel for schedule(static) if (detail::worthParallel(N * H))
  for (int64_t blk = 0; blk < blocks; ++blk) {
    const int64_t h0 = blk * detail::kColumnBlock;
    const int64_t w = std::min(detail::kColumnBlock, H - h0);
    T acc[detail::kColumnBlock] = {};
    for (int64_t n = 0; n < N; ++n) {
      const T *__restrict xr = x + n * H + h0;
      const T *__restrict dyr = dy + n * H + h0;
      const T r = rstd[n];
      for (int64_t j = 0; j < w; ++j)
        acc[j] += dyr[j] * (xr[j] * r);
    }
    for (int64_t j = 0; j < w; ++j)
      dgamma[h0 + j] = acc[j];
  }
}

#define STRATA_INSTANTIATE(T)                                                  \
  template void rmsNormForward<T>(const T *, const T *, int64_t, int64_t,     \
                                  double, T *, T *);                           \
  template void rmsNormStatistics<T>(const T *, int64_t, int64_t, double,    \
                                     T *);                                     \
  template void rmsNormBackward<T>(const T *, const T *, const T *, const T *, \
                                   int64_t, int64_t, T *, T *);
STRATA_INSTANTIATE(float)
STRATA_INSTANTIATE(double)
#undef STRATA_INSTANTIATE

} // namespace strata::runtime::cpu
