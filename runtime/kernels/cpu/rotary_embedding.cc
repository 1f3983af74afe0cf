//===- rotary_embedding.cc - rotary position embedding -------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/rotary_embedding.h"

#include "runtime/kernels/cpu/kernel_util.h"

#include <cassert>

namespace strata::runtime::cpu {
namespace {

/// Rotates by +theta (sign = 1) or -theta (sign = -1).
template <typename T, typename A = AccumulatorOf<T>>
void rotate(const T *x, const int32_t *positions, int64_t B, int64_t S,
            int64_t H, int64_t D, int64_t rotaryDims, double base, double sign,
            T *y) {
  assert(rotaryDims % 2 == 0 && rotaryDims <= D && "bad rotary_dims");
  const int64_t half = rotaryDims / 2;
  constexpr int64_t kChunk = 64; // frequencies per cos/sin table on the stack
#pragma omp parallel for schedule(static) if (detail::worthParallel(B * S * H * D))
  for (int64_t bs = 0; bs < B * S; ++bs) {
    const double pos = double(positions[bs]);
    const T *xs = x + bs * H * D; // may alias |y|
    T *ys = y + bs * H * D;
    A cosTable[kChunk], sinTable[kChunk];
    for (int64_t i0 = 0; i0 < half; i0 += kChunk) {
      const int64_t len = std::min(kChunk, half - i0);
      for (int64_t i = 0; i < len; ++i) {
        const double invFreq =
            std::pow(base, -double(2 * (i0 + i)) / double(rotaryDims));
        const double theta = pos * invFreq;
        cosTable[i] = A(std::cos(theta));
        sinTable[i] = A(sign * std::sin(theta));
      }
      for (int64_t h = 0; h < H; ++h) {
        const T *x1 = xs + h * D + i0, *x2 = x1 + half;
        T *y1 = ys + h * D + i0, *y2 = y1 + half;
        for (int64_t i = 0; i < len; ++i) {
          const A a = A(x1[i]), b = A(x2[i]);
          y1[i] = T(a * cosTable[i] - b * sinTable[i]);
          y2[i] = T(b * cosTable[i] + a * sinTable[i]);
        }
      }
    }
    if (ys != xs && rotaryDims < D)
      for (int64_t h = 0; h < H; ++h)
        std::copy(xs + h * D + rotaryDims, xs + (h + 1) * D,
                  ys + h * D + rotaryDims);
  }
}

} // namespace

template <typename T>
void rotaryEmbeddingForward(const T *x, const int32_t *positions, int64_t B,
                            int64_t S, int64_t H, int64_t D, int64_t rotaryDims,
                            double base, T *y) {
  rotate(x, positions, B, S, H, D, rotaryDims, base, 1.0, y);
}

template <typename T>
void rotaryEmbeddingBackward(const T *dy, const int32_t *positions, int64_t B,
                             int64_t S, int64_t H, int64_t D,
                             int64_t rotaryDims, double base, T *dx) {
  rotate(dy, positions, B, S, H, D, rotaryDims, base, -1.0, dx);
}

#define STRATA_INSTANTIATE(T)                                                  \
  template void rotaryEmbeddingForward<T>(const T *, const int32_t *, int64_t, \
                                          int64_t, int64_t, int64_t, int64_t,  \
                                          double, T *);                        \
  template void rotaryEmbeddingBackward<T>(const T *, const int32_t *,         \
                                           int64_t, int64_t, int64_t, int64_t, \
                                           int64_t, double, T *);
STRATA_FOR_EACH_ELEMENT_TYPE(STRATA_INSTANTIATE)
#undef STRATA_INSTANTIATE

} // namespace strata::runtime::cpu
