//===- dropout.cc - dropout with a regenerated mask ---------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/dropout.h"

#include "runtime/kernels/cpu/kernel_util.h"
#include "runtime/kernels/cpu/philox.h"

namespace strata::runtime::cpu {
namespace {

template <typename T>
void applyMask(const T *x, T *y, int64_t n, double p, uint64_t seed,
               uint64_t offset) {
  const DropoutMask mask(p, seed, offset);
  detail::parallelChunks(n, detail::kElementwiseGrain, [&](int64_t b, int64_t e) {
    constexpr int64_t kRun = 256;
    T m[kRun];
    for (int64_t i0 = b; i0 < e; i0 += kRun) {
      const int64_t len = std::min(kRun, e - i0);
      mask.multipliers(uint64_t(i0), len, m);
      for (int64_t i = 0; i < len; ++i)
        y[i0 + i] = x[i0 + i] * m[i];
    }
  });
}

} // namespace

template <typename T>
void dropoutForward(const T *x, T *y, int64_t n, double p, uint64_t seed,
                    uint64_t offset) {
  applyMask(x, y, n, p, seed, offset);
}

template <typename T>
void dropoutBackward(const T *dy, T *dx, int64_t n, double p, uint64_t seed,
                     uint64_t offset) {
  applyMask(dy, dx, n, p, seed, offset);
}

template void dropoutForward<float>(const float *, float *, int64_t, double,
                                    uint64_t, uint64_t);
template void dropoutForward<double>(const double *, double *, int64_t,
                                     double, uint64_t, uint64_t);
template void dropoutBackward<float>(const float *, float *, int64_t, double,
                                     uint64_t, uint64_t);
template void dropoutBackward<double>(const double *, double *, int64_t,
                                      double, uint64_t, uint64_t);

} // namespace strata::runtime::cpu
