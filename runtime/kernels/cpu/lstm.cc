//===- lstm.cc - one bidirectional LSTM layer -----------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/lstm.h"

#include "runtime/kernels/cpu/kernel_util.h"

#include <cmath>
#include <vector>

namespace strata::runtime::cpu {

namespace {

template <typename A> A sigmoid(A v) { return A(1) / (A(1) + std::exp(-v)); }

/// The step order of direction |d|: forward in time, or backward.
inline int64_t stepAt(int64_t k, int64_t steps, int64_t d) {
  return d == 0 ? k : steps - 1 - k;
}

/// One direction's forward. Per step k (in the direction's order) writes
/// the activated gates (i, f, g, o) to gates[k * 4E] and the cell to
/// cells[k * E] when they are not null; h and c are E accumulators.
template <typename T, typename A = AccumulatorOf<T>>
void runDirection(const T *x, const T *wIh, const T *wHh, const T *bias,
                  int64_t steps, int64_t inputs, int64_t units, int64_t d,
                  T *y, A *h, A *c, A *gates, A *cells, A *outputs) {
  const int64_t E = units, G = 4 * units;
  const T *wi = wIh + d * G * inputs, *wh = wHh + d * G * E,
          *b = bias + d * G;
  std::fill(h, h + E, A(0));
  std::fill(c, c + E, A(0));
  std::vector<A> z(G), hNext(E);
  for (int64_t k = 0; k < steps; ++k) {
    const int64_t t = stepAt(k, steps, d);
    for (int64_t g = 0; g < G; ++g) {
      A sum = A(b[g]);
      for (int64_t i = 0; i < inputs; ++i)
        sum += A(wi[g * inputs + i]) * A(x[t * inputs + i]);
      for (int64_t j = 0; j < E; ++j)
        sum += A(wh[g * E + j]) * h[j];
      z[g] = sum;
    }
    for (int64_t j = 0; j < E; ++j) {
      const A ig = sigmoid(z[j]), fg = sigmoid(z[E + j]),
              gg = std::tanh(z[2 * E + j]), og = sigmoid(z[3 * E + j]);
      c[j] = fg * c[j] + ig * gg;
      hNext[j] = og * std::tanh(c[j]);
      if (gates) {
        A *gk = gates + k * G;
        gk[j] = ig, gk[E + j] = fg, gk[2 * E + j] = gg, gk[3 * E + j] = og;
        cells[k * E + j] = c[j];
        outputs[k * E + j] = hNext[j];
      }
    }
    std::copy(hNext.begin(), hNext.end(), h);
    if (y)
      for (int64_t j = 0; j < E; ++j)
        y[t * 2 * E + d * E + j] = T(h[j]);
  }
}

} // namespace

template <typename T>
void lstmForward(const T *x, const T *wIh, const T *wHh, const T *bias,
                 int64_t steps, int64_t inputs, int64_t units, T *y,
                 AccumulatorOf<T> *scratch) {
  using A = AccumulatorOf<T>;
  std::vector<A> h(units);
  for (int64_t d = 0; d < 2; ++d)
    runDirection<T>(x, wIh, wHh, bias, steps, inputs, units, d, y, h.data(),
                    scratch, static_cast<A *>(nullptr), static_cast<A *>(nullptr),
                    static_cast<A *>(nullptr));
}

template <typename T>
void lstmBackward(const T *x, const T *wIh, const T *wHh, const T *bias,
                  const T *dy, int64_t steps, int64_t inputs, int64_t units,
                  T *dx, T *dwIh, T *dwHh, T *dbias,
                  AccumulatorOf<T> *scratch) {
  using A = AccumulatorOf<T>;
  const int64_t E = units, G = 4 * units;
  // Gradients accumulate in A, rounded once at the end.
  std::vector<A> gx(steps * inputs, A(0)), gwi(2 * G * inputs, A(0)),
      gwh(2 * G * E, A(0)), gb(2 * G, A(0));
  A *gates = scratch, *cells = gates + steps * G, *outputs = cells + steps * E;
  A *h = outputs + steps * E, *c = h + E, *dh = c + E, *dc = dh + E;
  std::vector<A> dz(G);
  for (int64_t d = 0; d < 2; ++d) {
    runDirection<T>(x, wIh, wHh, bias, steps, inputs, units, d,
                    static_cast<T *>(nullptr), h, c, gates, cells, outputs);
    const T *wi = wIh + d * G * inputs, *wh = wHh + d * G * E;
    std::fill(dh, dh + E, A(0));
    std::fill(dc, dc + E, A(0));
    for (int64_t k = steps - 1; k >= 0; --k) {
      const int64_t t = stepAt(k, steps, d);
      const A *gk = gates + k * G;
      for (int64_t j = 0; j < E; ++j) {
        const A ig = gk[j], fg = gk[E + j], gg = gk[2 * E + j],
                og = gk[3 * E + j];
        const A cPrev = k > 0 ? cells[(k - 1) * E + j] : A(0);
        const A tc = std::tanh(cells[k * E + j]);
        const A dhj = A(dy[t * 2 * E + d * E + j]) + dh[j];
        const A dcj = dhj * og * (A(1) - tc * tc) + dc[j];
        dz[j] = dcj * gg * ig * (A(1) - ig);
        dz[E + j] = dcj * cPrev * fg * (A(1) - fg);
        dz[2 * E + j] = dcj * ig * (A(1) - gg * gg);
        dz[3 * E + j] = dhj * tc * og * (A(1) - og);
        dc[j] = dcj * fg;
      }
      // dh of the previous step = W_hh^T dz; the weights' gradients.
      std::fill(dh, dh + E, A(0));
      for (int64_t g = 0; g < G; ++g) {
        gb[d * G + g] += dz[g];
        for (int64_t i = 0; i < inputs; ++i) {
          gwi[(d * G + g) * inputs + i] += dz[g] * A(x[t * inputs + i]);
          gx[t * inputs + i] += A(wi[g * inputs + i]) * dz[g];
        }
        if (k > 0)
          for (int64_t j = 0; j < E; ++j) {
            gwh[(d * G + g) * E + j] += dz[g] * outputs[(k - 1) * E + j];
            dh[j] += A(wh[g * E + j]) * dz[g];
          }
      }
    }
  }
  auto store = [](const std::vector<A> &from, T *to) {
    for (size_t i = 0; i < from.size(); ++i)
      to[i] = T(from[i]);
  };
  store(gx, dx);
  store(gwi, dwIh);
  store(gwh, dwHh);
  store(gb, dbias);
}

#define STRATA_INSTANTIATE(T)                                                  \
  template void lstmForward<T>(const T *, const T *, const T *, const T *,    \
                               int64_t, int64_t, int64_t, T *,                 \
                               AccumulatorOf<T> *);                            \
  template void lstmBackward<T>(const T *, const T *, const T *, const T *,   \
                                const T *, int64_t, int64_t, int64_t, T *,     \
                                T *, T *, T *, AccumulatorOf<T> *);
STRATA_FOR_EACH_ELEMENT_TYPE(STRATA_INSTANTIATE)
#undef STRATA_INSTANTIATE

} // namespace strata::runtime::cpu
