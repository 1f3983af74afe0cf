//===- philox.h - counter-based random numbers -------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Philox4x32-10 (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as
// easy as 1, 2, 3", SC 2011), the generator of cuRAND and PyTorch's CUDA
// dropout. A random number is a pure function of (key, counter), so any
// thread can regenerate the draw for any element: dropout masks depend on
// neither the thread count nor the order of evaluation, and the backward
// pass recomputes the forward's mask instead of storing it.
//
// Strata's streams: the draw for element |index| of the stream (|seed|,
// |offset|) is word (index % 4) of
//   philox4x32_10(counter = {lo(index / 4), hi(index / 4), lo(offset),
//                            hi(offset)},
//                 key = {lo(seed), hi(seed)}),
// where lo/hi are the low and high 32 bits. The compiler gives every dropout
// site and step its own |offset|; |index| is the element's position in the
// row-major tensor (for attention, in the [B, H, S, T] probability tensor;
// for a tensor split over ranks, in the global tensor: mask_indexing.h).
//
// Usage:
//   DropoutMask mask(0.1, seed, offset);
//   float y = mask.keep(i) ? x * mask.scale<float>() : 0.0f;
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_KERNELS_CPU_PHILOX_H
#define STRATA_RUNTIME_KERNELS_CPU_PHILOX_H

#include "runtime/kernels/cpu/mask_indexing.h"
#include "runtime/kernels/cpu/philox_core.h"

#include <array>
#include <cstdint>

namespace strata::runtime::cpu {

using PhiloxCounter = std::array<uint32_t, 4>;
using PhiloxKey = std::array<uint32_t, 2>;

/// The Philox4x32 bijection with 10 rounds: four random 32-bit words from a
/// 128-bit |counter| and a 64-bit |key| (Random123's philox4x32_10; the
/// rounds are philox_core.h's, which the CUDA backend shares).
inline PhiloxCounter philox4x32_10(PhiloxCounter counter, PhiloxKey key) {
  philoxRounds(counter.data(), key[0], key[1]);
  return counter;
}

/// The raw 32-bit draw for element |index| of stream (|seed|, |offset|).
inline uint32_t philoxBits(uint64_t seed, uint64_t offset, uint64_t index) {
  return philoxStreamBits(seed, offset, index);
}

/// A uniform float in [0, 1) from 32 random bits: (bits >> 8) * 2^-24.
inline float uniformFromBits(uint32_t bits) {
  return float(bits >> 8) * 0x1p-24f;
}

/// out[i] = the uniform draw in [0, 1) for element |firstIndex| + i of
/// stream (|seed|, |offset|), i < |n|.
void philoxUniform(uint64_t seed, uint64_t offset, uint64_t firstIndex,
                   int64_t n, float *out);

/// A dropout decision per element: element |index| is kept iff its uniform
/// draw u = (bits >> 8) * 2^-24 satisfies u >= p, i.e. with probability
/// 1 - ceil(p * 2^24) / 2^24 (1 - p to within 6e-8); kept elements are
/// scaled by 1 / (1 - p). Float and double kernels see the same mask.
class DropoutMask {
public:
  /// |p| in [0, 1).
  DropoutMask(double p, uint64_t seed, uint64_t offset);

  bool keep(uint64_t index) const {
    return dropoutKeeps(philoxBits(seed_, offset_, index), threshold_);
  }
  /// 1 / (1 - p) in T.
  template <typename T>
  T scale() const {
    return T(scale_);
  }
  /// out[i] = keep(firstIndex + i) ? scale : 0 for i < |n|: the multiplier
  /// of the mask over a contiguous run of elements.
  template <typename T>
  void multipliers(uint64_t firstIndex, int64_t n, T *out) const;
  /// out[i] = keep(indexing.global(firstLocal + i)) ? scale : 0 for i < |n|:
  /// the multipliers of a contiguous run of local elements of a tensor that
  /// is one block of a split one (mask_indexing.h), drawn per run of
  /// contiguous global positions.
  template <typename T>
  void multipliers(const MaskIndexing &indexing, int64_t firstLocal, int64_t n,
                   T *out) const;

  bool enabled() const { return threshold_ != 0; }
  double probability() const { return p_; }

private:
  double p_;
  double scale_;
  uint32_t threshold_; // ceil(p * 2^24)
  uint64_t seed_, offset_;
};

} // namespace strata::runtime::cpu

#endif // STRATA_RUNTIME_KERNELS_CPU_PHILOX_H
