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
                      int64_t H, double epsilon, T *y, AccumulatorOf<T> *mean,
                      AccumulatorOf<T> *rstd, double gammaOffset) {
  using A = AccumulatorOf<T>;
  const A eps = A(epsilon), offset = A(gammaOffset);
#pragma omp parallel for schedule(static) if (detail::worthParallel(N * H))
  for (int64_t n = 0; n < N; ++n) {
    const T *xr = x + n * H; // |y| may alias |x|: no __restrict
    T *yr = y + n * H;
    const A mu = detail::sum(xr, H) / A(H);
    const A var = detail::sumSquaredDeviation(xr, mu, H) / A(H);
    const A r = A(1) / std::sqrt(var + eps);
    if (mean)
      mean[n] = mu;
    if (rstd)
      rstd[n] = r;
    if (beta) {
      for (int64_t h = 0; h < H; ++h)
        yr[h] = T((A(xr[h]) - mu) * r * (offset + A(gamma[h])) + A(beta[h]));
    } else {
      for (int64_t h = 0; h < H; ++h)
        yr[h] = T((A(xr[h]) - mu) * r * (offset + A(gamma[h])));
    }
  }
}

template <typename T>
void layerNormStatistics(const T *x, int64_t N, int64_t H, double epsilon,
                         AccumulatorOf<T> *mean, AccumulatorOf<T> *rstd) {
  using A = AccumulatorOf<T>;
  const A eps = A(epsilon);
#pragma omp parallel for schedule(static) if (detail::worthParallel(N * H))
  for (int64_t n = 0; n < N; ++n) {
    const T *xr = x + n * H;
    const A mu = detail::sum(xr, H) / A(H);
    const A var = detail::sumSquaredDeviation(xr, mu, H) / A(H);
    mean[n] = mu;
    rstd[n] = A(1) / std::sqrt(var + eps);
  }
}

template <typename T>
void layerNormBackward(const T *dy, const T *x, const T *gamma,
                       const AccumulatorOf<T> *mean,
                       const AccumulatorOf<T> *rstd, int64_t N, int64_t H,
                       T *dx, T *dgamma, T *dbeta, double gammaOffset) {
  using A = AccumulatorOf<T>;
  constexpr int L = detail::kLanes<A>;
  const A offset = A(gammaOffset);
#pragma omp parallel for schedule(static) if (detail::worthParallel(N * H))
  for (int64_t n = 0; n < N; ++n) {
    const T *__restrict xr = x + n * H;
    const T *__restrict dyr = dy + n * H;
    T *__restrict dxr = dx + n * H;
    const A mu = mean[n], r = rstd[n];
    // sum_h g and sum_h g * xhat with g = dy * gamma.
    A accG[L] = {}, accGX[L] = {};
    int64_t h = 0;
    for (; h + L <= H; h += L)
      for (int j = 0; j < L; ++j) {
        const A g = A(dyr[h + j]) * (offset + A(gamma[h + j]));
        accG[j] += g;
        accGX[j] += g * ((A(xr[h + j]) - mu) * r);
      }
    for (int j = 0; h < H; ++h, ++j) {
      const A g = A(dyr[h]) * (offset + A(gamma[h]));
      accG[j] += g;
      accGX[j] += g * ((A(xr[h]) - mu) * r);
    }
    const A a = detail::combineLanes(accG) / A(H);
    const A b = detail::combineLanes(accGX) / A(H);
    for (int64_t k = 0; k < H; ++k)
      dxr[k] = T(r * (A(dyr[k]) * (offset + A(gamma[k])) - a -
                      ((A(xr[k]) - mu) * r) * b));
  }

  // dgamma, dbeta: parallel over column blocks, rows in order.
  const int64_t blocks = (H + detail::kColumnBlock - 1) / detail::kColumnBlock;
#pragma omp parallel for schedule(static) if (detail::worthParallel(N * H))
  for (int64_t blk = 0; blk < blocks; ++blk) {
    const int64_t h0 = blk * detail::kColumnBlock;
    const int64_t w = std::min(detail::kColumnBlock, H - h0);
    A accG[detail::kColumnBlock] = {}, accB[detail::kColumnBlock] = {};
    for (int64_t n = 0; n < N; ++n) {
      const T *__restrict xr = x + n * H + h0;
      const T *__restrict dyr = dy + n * H + h0;
      const A mu = mean[n], r = rstd[n];
      for (int64_t j = 0; j < w; ++j) {
        accG[j] += A(dyr[j]) * ((A(xr[j]) - mu) * r);
        accB[j] += A(dyr[j]);
      }
    }
    for (int64_t j = 0; j < w; ++j)
      dgamma[h0 + j] = T(accG[j]);
    if (dbeta)
      for (int64_t j = 0; j < w; ++j)
        dbeta[h0 + j] = T(accB[j]);
  }
}

#define STRATA_INSTANTIATE(T)                                                  \
  template void layerNormForward<T>(const T *, const T *, const T *, int64_t,  \
                                    int64_t, double, T *, AccumulatorOf<T> *,  \
                                    AccumulatorOf<T> *, double);               \
  template void layerNormStatistics<T>(const T *, int64_t, int64_t, double,    \
                                       AccumulatorOf<T> *,                     \
                                       AccumulatorOf<T> *);                    \
  template void layerNormBackward<T>(                                          \
      const T *, const T *, const T *, const AccumulatorOf<T> *,               \
      const AccumulatorOf<T> *, int64_t, int64_t, T *, T *, T *, double);
STRATA_FOR_EACH_ELEMENT_TYPE(STRATA_INSTANTIATE)
#undef STRATA_INSTANTIATE

} // namespace strata::runtime::cpu
