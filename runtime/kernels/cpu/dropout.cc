//===- dropout.cc - dropout with a regenerated mask ---------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/dropout.h"

#include "runtime/kernels/cpu/kernel_util.h"
#include "runtime/kernels/cpu/philox.h"

#include <cassert>

namespace strata::runtime::cpu {
namespace {

/// y = x * multiplier, the multipliers in AccumulatorOf<T>: a bf16 or f16
/// tensor draws exactly the float tensor's mask.
template <typename T, typename A = AccumulatorOf<T>>
void applyMask(const T *x, T *y, int64_t n, double p, uint64_t seed,
               uint64_t offset, const MaskIndexing &indexing) {
  assert(indexing.fits(n) && "mask indexing does not describe the tensor");
  const DropoutMask mask(p, seed, offset);
  detail::parallelChunks(n, detail::kElementwiseGrain, [&](int64_t b, int64_t e) {
    constexpr int64_t kRun = 256;
    A m[kRun];
    for (int64_t i0 = b; i0 < e; i0 += kRun) {
      const int64_t len = std::min(kRun, e - i0);
      mask.multipliers(indexing, i0, len, m);
      for (int64_t i = 0; i < len; ++i)
        y[i0 + i] = T(A(x[i0 + i]) * m[i]);
    }
  });
}

} // namespace

template <typename T>
void dropoutForward(const T *x, T *y, int64_t n, double p, uint64_t seed,
                    uint64_t offset, const MaskIndexing &indexing) {
  applyMask(x, y, n, p, seed, offset, indexing);
}

template <typename T>
void dropoutBackward(const T *dy, T *dx, int64_t n, double p, uint64_t seed,
                     uint64_t offset, const MaskIndexing &indexing) {
  applyMask(dy, dx, n, p, seed, offset, indexing);
}

#define STRATA_INSTANTIATE(T)                                                  \
  template void dropoutForward<T>(const T *, T *, int64_t, double, uint64_t,   \
                                  uint64_t, const MaskIndexing &);             \
  template void dropoutBackward<T>(const T *, T *, int64_t, double, uint64_t,  \
                                   uint64_t, const MaskIndexing &);
STRATA_FOR_EACH_ELEMENT_TYPE(STRATA_INSTANTIATE)
#undef STRATA_INSTANTIATE

} // namespace strata::runtime::cpu
