//===- bias.cc - bias add and the fused bias epilogues -------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/bias.h"

#include "runtime/kernels/cpu/kernel_util.h"
#include "runtime/kernels/cpu/philox.h"

#include <cassert>

namespace strata::runtime::cpu {
namespace {

/// Calls fn(row) for each row n < N, in parallel when the work is large.
template <typename F>
void forRows(int64_t N, int64_t H, F fn) {
#pragma omp parallel for schedule(static) if (detail::worthParallel(N * H))
  for (int64_t n = 0; n < N; ++n)
    fn(n);
}

/// Applies |mask| (element index indexing.global(n * H + h)) to a row:
/// out[h] = in[h] * m[h]. With a bias and residual: out = residual +
/// (in + b) * m. The multipliers are AccumulatorOf<T>: bf16 draws the
/// float kernel's mask bits.
template <typename T, typename A = AccumulatorOf<T>>
void maskedRow(const DropoutMask &mask, const MaskIndexing &indexing, int64_t n,
               int64_t H, const T *in, const T *b, const T *residual, T *out) {
  constexpr int64_t kRun = 256;
  A m[kRun];
  for (int64_t h0 = 0; h0 < H; h0 += kRun) {
    const int64_t len = std::min(kRun, H - h0);
    mask.multipliers(indexing, n * H + h0, len, m);
    if (residual) {
      if (b)
        for (int64_t j = 0; j < len; ++j)
          out[h0 + j] = T(A(residual[h0 + j]) +
                          (A(in[h0 + j]) + A(b[h0 + j])) * m[j]);
      else
        for (int64_t j = 0; j < len; ++j)
          out[h0 + j] = T(A(residual[h0 + j]) + A(in[h0 + j]) * m[j]);
    } else {
      for (int64_t j = 0; j < len; ++j)
        out[h0 + j] = T(A(in[h0 + j]) * m[j]);
    }
  }
}

template <typename T, bool Tanh, typename A = AccumulatorOf<T>>
STRATA_ALWAYS_INLINE void biasGeluRowImpl(const T *x, const T *b, T *y,
                                          int64_t H) {
  for (int64_t h = 0; h < H; ++h)
    y[h] = T(detail::geluValue(A(x[h]) + A(b[h]), Tanh));
}
template <typename T, bool Tanh, typename A = AccumulatorOf<T>>
STRATA_ALWAYS_INLINE void biasGeluBackwardRowImpl(const T *x, const T *b,
                                                  const T *dy, T *dx,
                                                  int64_t H) {
  for (int64_t h = 0; h < H; ++h)
    dx[h] = T(A(dy[h]) * detail::geluDerivative(A(x[h]) + A(b[h]), Tanh));
}

#define STRATA_ROWS(T, MV)                                                     \
  MV void biasGeluRow(const T *x, const T *b, T *y, int64_t H, bool t) {       \
    t ? biasGeluRowImpl<T, true>(x, b, y, H)                                   \
      : biasGeluRowImpl<T, false>(x, b, y, H);                                 \
  }                                                                            \
  MV void biasGeluBackwardRow(const T *x, const T *b, const T *dy, T *dx,      \
                              int64_t H, bool t) {                             \
    t ? biasGeluBackwardRowImpl<T, true>(x, b, dy, dx, H)                      \
      : biasGeluBackwardRowImpl<T, false>(x, b, dy, dx, H);                    \
  }
STRATA_ROWS(float, STRATA_MULTIVERSIONED)
STRATA_ROWS(double, )
STRATA_ROWS(bf16, STRATA_MULTIVERSIONED)
STRATA_ROWS(f16, STRATA_MULTIVERSIONED)
#undef STRATA_ROWS

} // namespace

template <typename T>
void biasAddForward(const T *x, const T *b, int64_t N, int64_t H, T *y) {
  forRows(N, H, [&](int64_t n) {
    const T *xr = x + n * H;
    T *yr = y + n * H;
    for (int64_t h = 0; h < H; ++h)
      yr[h] = T(AccumulatorOf<T>(xr[h]) + AccumulatorOf<T>(b[h]));
  });
}

template <typename T>
void biasAddBackward(const T *dy, int64_t N, int64_t H, T *db) {
  detail::columnSums(dy, N, H, H, db);
}

template <typename T>
void biasGeluForward(const T *x, const T *b, int64_t N, int64_t H,
                     GeluApproximation approx, T *y) {
  const bool useTanh = approx == GeluApproximation::kTanh;
  forRows(N, H, [&](int64_t n) {
    biasGeluRow(x + n * H, b, y + n * H, H, useTanh);
  });
}

template <typename T>
void biasGeluBackward(const T *x, const T *b, const T *dy, int64_t N,
                      int64_t H, GeluApproximation approx, T *dx, T *db) {
  const bool useTanh = approx == GeluApproximation::kTanh;
  forRows(N, H, [&](int64_t n) {
    biasGeluBackwardRow(x + n * H, b, dy + n * H, dx + n * H, H, useTanh);
  });
  detail::columnSums(dx, N, H, H, db);
}

template <typename T>
void biasDropoutResidualForward(const T *x, const T *b, const T *residual,
                                int64_t N, int64_t H, double p, uint64_t seed,
                                uint64_t offset, T *y,
                                const MaskIndexing &indexing) {
  assert(indexing.fits(N * H) && "mask indexing does not describe the tensor");
  const DropoutMask mask(p, seed, offset);
  forRows(N, H, [&](int64_t n) {
    maskedRow(mask, indexing, n, H, x + n * H, b, residual + n * H, y + n * H);
  });
}

template <typename T>
void biasDropoutResidualBackward(const T *dy, int64_t N, int64_t H, double p,
                                 uint64_t seed, uint64_t offset, T *dx, T *db,
                                 const MaskIndexing &indexing) {
  assert(indexing.fits(N * H) && "mask indexing does not describe the tensor");
  const DropoutMask mask(p, seed, offset);
  forRows(N, H, [&](int64_t n) {
    maskedRow<T>(mask, indexing, n, H, dy + n * H, nullptr, nullptr,
                 dx + n * H);
  });
  if (db)
    detail::columnSums(dx, N, H, H, db);
}

#define STRATA_INSTANTIATE(T)                                                  \
  template void biasAddForward<T>(const T *, const T *, int64_t, int64_t,     \
                                  T *);                                        \
  template void biasAddBackward<T>(const T *, int64_t, int64_t, T *);          \
  template void biasGeluForward<T>(const T *, const T *, int64_t, int64_t,    \
                                   GeluApproximation, T *);                    \
  template void biasGeluBackward<T>(const T *, const T *, const T *, int64_t, \
                                    int64_t, GeluApproximation, T *, T *);     \
  template void biasDropoutResidualForward<T>(                                \
      const T *, const T *, const T *, int64_t, int64_t, double, uint64_t,     \
      uint64_t, T *, const MaskIndexing &);                                    \
  template void biasDropoutResidualBackward<T>(                                \
      const T *, int64_t, int64_t, double, uint64_t, uint64_t, T *, T *,       \
      const MaskIndexing &);
STRATA_FOR_EACH_ELEMENT_TYPE(STRATA_INSTANTIATE)
#undef STRATA_INSTANTIATE

} // namespace strata::runtime::cpu
