//===- kernel_util.h - internal helpers of the CPU kernels ------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Not a public header: vectorizable elementary functions and reductions with
// a fixed summation order, shared by the kernel files of this directory.
//
// Every loop here is written so that GCC vectorizes it at the default x86-64
// baseline (SSE2) without -ffast-math: reductions keep |kLanes| independent
// partial sums that are combined in a fixed order, so a result never depends
// on the vector width the compiler picks nor on the number of threads.
//
// The reductions read storage type T and sum in AccumulatorOf<T>
// (element_type.h): for float and double nothing changes, bf16 and f16 are
// widened on load.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_KERNELS_CPU_KERNEL_UTIL_H
#define STRATA_RUNTIME_KERNELS_CPU_KERNEL_UTIL_H

#include "runtime/kernels/cpu/element_type.h"
#include "runtime/support/bit_cast.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#define STRATA_ALWAYS_INLINE inline __attribute__((always_inline))

/// Compiles a (non-template, non-inline) function three times, for x86-64-v4
/// (AVX-512), x86-64-v3 (AVX2, FMA) and the baseline, and picks one at load
/// time by the CPU (GCC function multiversioning). For the few float loops
/// that bound the speed of a kernel; the library itself keeps the default
/// ISA. On a given machine the same clone always runs, so results stay
/// bitwise reproducible there.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) &&         \
    !defined(STRATA_NO_MULTIVERSIONING)
#define STRATA_MULTIVERSIONED                                                  \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define STRATA_MULTIVERSIONED
#endif

/// Instantiates a kernel file's templates, M(T), for every element type.
#define STRATA_FOR_EACH_ELEMENT_TYPE(M)                                        \
  M(float)                                                                     \
  M(double)                                                                    \
  M(bf16)                                                                      \
  M(f16)

namespace strata::runtime::cpu::detail {

//===----------------------------------------------------------------------===//
// Elementary functions
//===----------------------------------------------------------------------===//

STRATA_ALWAYS_INLINE float bitsToFloat(int32_t bits) {
  return bitCast<float>(bits);
}
STRATA_ALWAYS_INLINE int32_t floatToBits(float f) {
  return bitCast<int32_t>(f);
}

/// exp(x) for float with a relative error below 2 ulp for x in [-87, 88]
/// (Cephes expf's polynomial); 0 below -87, +inf above 88, NaN for NaN.
/// Branch-free so that loops calling it vectorize.
STRATA_ALWAYS_INLINE float expFast(float x) {
  float xc = x < -87.0f ? -87.0f : x;
  xc = xc > 88.0f ? 88.0f : xc;
  // Round x / ln 2 to the nearest integer n with the 1.5 * 2^23 trick; the
  // low bits of |t| then hold n.
  const float t = xc * 1.44269504088896341f + 12582912.0f;
  const float n = t - 12582912.0f;
  const int32_t ni = floatToBits(t) - 0x4B400000;
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = p * (r * r) + r + 1.0f;
  float result = y * bitsToFloat((ni + 127) << 23);
  result = x < -87.0f ? 0.0f : result;
  result = x > 88.0f ? std::numeric_limits<float>::infinity() : result;
  return result;
}

/// erf(x) for float, absolute error below 5e-7 (the rational approximation
/// of Eigen and XLA); exact to float rounding of +-1 beyond |x| = 4.
STRATA_ALWAYS_INLINE float erfFast(float a) {
  float x = a > 4.0f ? 4.0f : a;
  x = x < -4.0f ? -4.0f : x;
  const float x2 = x * x;
  float p = x2 * -2.72614225801306e-10f + 2.77068142495902e-08f;
  p = x2 * p + -2.10102402082508e-06f;
  p = x2 * p + -5.69250639462346e-05f;
  p = x2 * p + -7.34990630326855e-04f;
  p = x2 * p + -2.95459980854025e-03f;
  p = x2 * p + -1.60960333262415e-02f;
  p = x * p;
  float q = x2 * -1.45660718464996e-05f + -2.13374055278905e-04f;
  q = x2 * q + -1.68282697438203e-03f;
  q = x2 * q + -7.37332916720468e-03f;
  q = x2 * q + -1.42647390514189e-02f;
  return p / q;
}

/// exp, erf for the kernels' element type: the fast versions above for
/// float, the C library for double (double exists for gradient checks).
STRATA_ALWAYS_INLINE float vexp(float x) { return expFast(x); }
STRATA_ALWAYS_INLINE double vexp(double x) { return std::exp(x); }
STRATA_ALWAYS_INLINE float verf(float x) { return erfFast(x); }
STRATA_ALWAYS_INLINE double verf(double x) { return std::erf(x); }

/// 1 / (1 + exp(-x)), correct at both tails (exp overflow gives 0).
template <typename T>
STRATA_ALWAYS_INLINE T sigmoid(T x) {
  return T(1) / (T(1) + vexp(-x));
}

/// GELU and its derivative, exact (erf) or with the tanh approximation, as
/// torch.nn.functional.gelu(approximate='none' | 'tanh'). The tanh form is
/// evaluated as x * sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3), which
/// equals 0.5 x (1 + tanh(u)) and keeps its relative accuracy for x << 0.
template <typename T>
STRATA_ALWAYS_INLINE T geluValue(T x, bool tanhApproximation) {
  if (tanhApproximation) {
    const T u = T(0.7978845608028654) * (x + T(0.044715) * x * x * x);
    return x * sigmoid(T(2) * u);
  }
  return T(0.5) * x * (T(1) + verf(x * T(0.7071067811865476)));
}

template <typename T>
STRATA_ALWAYS_INLINE T geluDerivative(T x, bool tanhApproximation) {
  if (tanhApproximation) {
    const T x2 = x * x;
    const T u = T(0.7978845608028654) * (x + T(0.044715) * x2 * x);
    const T s = sigmoid(T(2) * u);
    // d/dx [x s(2u)] = s + x * 2 s (1 - s) * du/dx.
    return s + x * T(2) * s * (T(1) - s) *
                   (T(0.7978845608028654) * (T(1) + T(3 * 0.044715) * x2));
  }
  return T(0.5) * (T(1) + verf(x * T(0.7071067811865476))) +
         x * T(0.3989422804014327) * vexp(T(-0.5) * x * x);
}

//===----------------------------------------------------------------------===//
// Reductions with a fixed order
//===----------------------------------------------------------------------===//

/// Independent partial sums per reduction: 16 floats or 8 doubles (64
/// bytes, four SSE registers), combined pairwise in a fixed order.
template <typename T>
constexpr int kLanes = 64 / sizeof(T);

template <typename T>
STRATA_ALWAYS_INLINE T combineLanes(T *acc) {
  for (int width = kLanes<T> / 2; width >= 1; width /= 2)
    for (int j = 0; j < width; ++j)
      acc[j] += acc[j + width];
  return acc[0];
}

/// sum_i x[i].
template <typename T, typename A = AccumulatorOf<T>>
inline A sum(const T *__restrict x, int64_t n) {
  A acc[kLanes<A>] = {};
  int64_t i = 0;
  for (; i + kLanes<A> <= n; i += kLanes<A>)
    for (int j = 0; j < kLanes<A>; ++j)
      acc[j] += A(x[i + j]);
  for (int j = 0; i < n; ++i, ++j)
    acc[j] += A(x[i]);
  return combineLanes(acc);
}

/// sum_i x[i] * y[i].
template <typename T, typename A = AccumulatorOf<T>>
inline A dot(const T *__restrict x, const T *__restrict y, int64_t n) {
  A acc[kLanes<A>] = {};
  int64_t i = 0;
  for (; i + kLanes<A> <= n; i += kLanes<A>)
    for (int j = 0; j < kLanes<A>; ++j)
      acc[j] += A(x[i + j]) * A(y[i + j]);
  for (int j = 0; i < n; ++i, ++j)
    acc[j] += A(x[i]) * A(y[i]);
  return combineLanes(acc);
}

/// sum_i (x[i] - c)^2.
template <typename T, typename A = AccumulatorOf<T>>
inline A sumSquaredDeviation(const T *__restrict x, A c, int64_t n) {
  A acc[kLanes<A>] = {};
  int64_t i = 0;
  for (; i + kLanes<A> <= n; i += kLanes<A>)
    for (int j = 0; j < kLanes<A>; ++j) {
      const A d = A(x[i + j]) - c;
      acc[j] += d * d;
    }
  for (int j = 0; i < n; ++i, ++j) {
    const A d = A(x[i]) - c;
    acc[j] += d * d;
  }
  return combineLanes(acc);
}

/// max_i x[i]; -inf for n == 0. NaN inputs are ignored unless all are NaN.
template <typename T, typename A = AccumulatorOf<T>>
inline A maxValue(const T *__restrict x, int64_t n) {
  A acc[kLanes<A>];
  for (int j = 0; j < kLanes<A>; ++j)
    acc[j] = -std::numeric_limits<A>::infinity();
  int64_t i = 0;
  for (; i + kLanes<A> <= n; i += kLanes<A>)
    for (int j = 0; j < kLanes<A>; ++j) {
      const A v = A(x[i + j]);
      acc[j] = v > acc[j] ? v : acc[j];
    }
  for (int j = 0; i < n; ++i, ++j) {
    const A v = A(x[i]);
    acc[j] = v > acc[j] ? v : acc[j];
  }
  for (int width = kLanes<A> / 2; width >= 1; width /= 2)
    for (int j = 0; j < width; ++j)
      acc[j] = acc[j + width] > acc[j] ? acc[j + width] : acc[j];
  return acc[0];
}

/// x[i] = exp(x[i] - c) in place; returns sum_i x[i].
template <typename T>
inline T expShiftedAndSumInPlace(T *x, T c, int64_t n) {
  T acc[kLanes<T>] = {};
  int64_t i = 0;
  for (; i + kLanes<T> <= n; i += kLanes<T>)
    for (int j = 0; j < kLanes<T>; ++j) {
      const T e = vexp(x[i + j] - c);
      x[i + j] = e;
      acc[j] += e;
    }
  for (int j = 0; i < n; ++i, ++j) {
    const T e = vexp(x[i] - c);
    x[i] = e;
    acc[j] += e;
  }
  return combineLanes(acc);
}

/// sum_i exp(x[i] - c), without storing the terms.
template <typename T, typename A = AccumulatorOf<T>>
inline A sumExpShifted(const T *__restrict x, A c, int64_t n) {
  A acc[kLanes<A>] = {};
  int64_t i = 0;
  for (; i + kLanes<A> <= n; i += kLanes<A>)
    for (int j = 0; j < kLanes<A>; ++j)
      acc[j] += vexp(A(x[i + j]) - c);
  for (int j = 0; i < n; ++i, ++j)
    acc[j] += vexp(A(x[i]) - c);
  return combineLanes(acc);
}

//===----------------------------------------------------------------------===//
// Column sums and parallel helpers
//===----------------------------------------------------------------------===//

/// Columns per task of a column-parallel reduction over rows: one 64-byte
/// line per row and lane group, enough tasks for H >= 256 on a few cores.
constexpr int64_t kColumnBlock = 64;

/// out[h] = sum_n x[n * ldx + h] for h < H, each sum in row order n = 0, 1,
/// ... (in AccumulatorOf<T>, rounded to T once); parallel over blocks of
/// columns, so bitwise independent of the number of threads. Call outside a
/// parallel region.
template <typename T>
inline void columnSums(const T *x, int64_t N, int64_t H, int64_t ldx, T *out) {
  using A = AccumulatorOf<T>;
  const int64_t blocks = (H + kColumnBlock - 1) / kColumnBlock;
#pragma omp parallel for schedule(static) if (N * H > 32768)
  for (int64_t blk = 0; blk < blocks; ++blk) {
    const int64_t h0 = blk * kColumnBlock;
    const int64_t w = std::min(kColumnBlock, H - h0);
    A acc[kColumnBlock] = {};
    for (int64_t n = 0; n < N; ++n) {
      const T *row = x + n * ldx + h0;
      for (int64_t j = 0; j < w; ++j)
        acc[j] += A(row[j]);
    }
    for (int64_t j = 0; j < w; ++j)
      out[h0 + j] = T(acc[j]);
  }
}

/// Whether a loop over |work| scalar operations is worth a parallel region.
inline bool worthParallel(int64_t work) { return work > 16384; }

/// Calls fn(begin, end) on consecutive chunks of [0, n) of |grain| elements
/// (the last one shorter), in parallel when there is more than one chunk.
/// For elementwise work, whose results do not depend on the partition.
template <typename F>
inline void parallelChunks(int64_t n, int64_t grain, F fn) {
  const int64_t chunks = (n + grain - 1) / grain;
#pragma omp parallel for schedule(static) if (chunks > 1)
  for (int64_t c = 0; c < chunks; ++c)
    fn(c * grain, std::min(n, (c + 1) * grain));
}

/// Elements per chunk of an elementwise kernel.
constexpr int64_t kElementwiseGrain = 16384;

/// Bytes rounded up to a 64-byte cache line.
constexpr size_t alignUp(size_t bytes) { return (bytes + 63) & ~size_t(63); }

} // namespace strata::runtime::cpu::detail

#endif // STRATA_RUNTIME_KERNELS_CPU_KERNEL_UTIL_H
