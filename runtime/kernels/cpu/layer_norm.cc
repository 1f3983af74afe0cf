//===- layer_norm.cc - layer normalization ------------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/layer_norm.h"

#include "runtime/kernels/cpu/kernel_util.h"

namespace strata::runtime::cpu {

template <typename T>
void layerNormForward(const T *x, const T *gamma, const T *beta, int64_t N,
                      int64_t H, double epsilon, T *y, T *mean, T *rstd) {
  const T eps = T(epsilon);
#pragma omp parallel for schedule(static) if (detail::worthParallel(N * H))
  for (int64_t n = 0; n < N; ++n) {
    const T *xr = x + n * H; // |y| may alias |x|: no __restrict
    T *yr = y + n * H;
    const T mu = detail::sum(xr, H) / T(H);
    const T var = detail::sumSquaredDeviation(xr, mu, H) / T(H);
    const T r = T(1) / std::sqrt(var + eps);
    if (mean)
      mean[n] = mu;
    if (rstd)
      rstd[n] = r;
    if (beta) {
      for (int64_t h = 0; h < H; ++h)
        yr[h] = (xr[h] - mu) * r * gamma[h] + beta[h];
    } else {
      for (int64_t h = 0; h < H; ++h)
        yr[h] = (xr[h] - mu) * r * gamma[h];
    }
  }
}

template <typename T>
void layerNormStatistics(const T *x, int64_t N, int64_t H, double epsilon,
                         T *mean, T *rstd) {
  const T eps = T(epsilon);
#pragma omp parallel for schedule(static) if (detail::worthParallel(N * H))
  for (int64_t n = 0; n < N; ++n) {
    const T *xr = x + n * H;
    const T mu = detail::sum(xr, H) / T(H);
    const T var = detail::sumSquaredDeviation(xr, mu, H) / T(H);
    mean[n] = mu;
    rstd[n] = T(1) / std::sqrt(var + eps);
  }
}

template <typename T>
void layerNormBackward(const T *dy, const T *x, const T *gamma, const T *mean,
                       const T *rstd, int64_t N, int64_t H, T *dx, T *dgamma,
                       T *dbeta) {
  constexpr int L = detail::kLanes<T>;
#pragma omp parallel for schedule(static) if (detail::worthParallel(N * H))
  for (int64_t n = 0; n < N; ++n) {
    const T *__restrict xr = x + n * H;
    const T *__restrict dyr = dy + n * H;
    T *__restrict dxr = dx + n * H;
    const T mu = mean[n], r = rstd[n];
    // sum_h g and sum_h g * xhat with g = dy * gamma.
    T accG[L] = {}, accGX[L] = {};
    int64_t h = 0;
    for (; h + L <= H; h += L)
      for (int j = 0; j < L; ++j) {
        const T g = dyr[h + j] * gamma[h + j];
        accG[j] += g;
        accGX[j] += g * ((xr[h + j] - mu) * r);
      }
    for (int j = 0; h < H; ++h, ++j) {
      const T g = dyr[h] * gamma[h];
      accG[j] += g;
      accGX[j] += g * ((xr[h] - mu) * r);
    }
    const T a = detail::combineLanes(accG) / T(H);
    const T b = detail::combineLanes(accGX) / T(H);
    for (int64_t k = 0; k < H; ++k)
      dxr[k] = r * (dyr[k] * gamma[k] - a - ((xr[k] - mu) * r) * b);
  }

  // dgamma, dbeta: parallel over column blocks, rows in order.
  const int64_t blocks = (H + detail::kColumnBlock - 1) / detail::kColumnBlock;
#pragma omp parallel for schedule(static) if (detail::worthParallel(N * H))
  for (int64_t blk = 0; blk < blocks; ++blk) {
    const int64_t h0 = blk * detail::kColumnBlock;
    const int64_t w = std::min(detail::kColumnBlock, H - h0);
    T accG[detail::kColumnBlock] = {}, accB[detail::kColumnBlock] = {};
    for (int64_t n = 0; n < N; ++n) {
      const T *__restrict xr = x + n * H + h0;
      const T *__restrict dyr = dy + n * H + h0;
      const T mu = mean[n], r = rstd[n];
      for (int64_t j = 0; j < w; ++j) {
        accG[j] += dyr[j] * ((xr[j] - mu) * r);
        accB[j] += dyr[j];
      }
    }
    for (int64_t j = 0; j < w; ++j)
      dgamma[h0 + j] = accG[j];
    if (dbeta)
      for (int64_t j = 0; j < w; ++j)
        dbeta[h0 + j] = accB[j];
  }
}

#define STRATA_INSTANTIATE(T)                                                  \
  template void layerNormForward<T>(const T *, const T *, const T *, int64_t, \
                                    int64_t, double, T *, T *, T *);           \
  template void layerNormStatistics<T>(const T *, int64_t, int64_t, double,  \
                                       T *, T *);                             \
  template void layerNormBackward<T>(const T *, const T *, const T *,          \
                                     const T *, const T *, int64_t, int64_t,   \
                                     T *, T *, T *);
STRATA_INSTANTIATE(float)
STRATA_INSTANTIATE(double)
#undef STRATA_INSTANTIATE

} // namespace strata::runtime::cpu
