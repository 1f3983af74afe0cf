//===- philox_core.h - Philox bits and dropout decisions, host and device -===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The one definition of Strata's random streams and dropout decisions
// (philox.h describes the streams), written so that both g++ (the CPU
// kernels, through philox.h) and nvcc (the CUDA backend's dropout kernels)
// compile the very same functions: plain integer arithmetic, no std::
// containers, STRATA_HOST_DEVICE on every function device code calls. A
// GPU mask is therefore bit-identical to the CPU's by construction;
// philox_core_test.cc checks the functions below against philox.h's
// DropoutMask (batched) path and Random123's known answers.
//
// Usage (one element of a dropout, on either side):
//   const DropoutDraw draw = dropoutDraw(p, seed, offset);   // host
//   float m = dropoutMultiplier(draw, indexing.global(i));   // host/device
//   y[i] = x[i] * m;
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_KERNELS_CPU_PHILOX_CORE_H
#define STRATA_RUNTIME_KERNELS_CPU_PHILOX_CORE_H

#include <cmath>
#include <cstdint>

/// Marks a function that device code calls as well: __host__ __device__
/// under nvcc, a plain inline function for the host compiler.
#if defined(__CUDACC__)
#define STRATA_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define STRATA_HOST_DEVICE inline
#endif

namespace strata::runtime::cpu {

/// The Philox4x32 bijection with 10 rounds on |c| in place (counter in,
/// four random words out), key {|k0|, |k1|} (Random123's philox4x32_10).
STRATA_HOST_DEVICE void philoxRounds(uint32_t c[4], uint32_t k0, uint32_t k1) {
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    const uint64_t p0 = uint64_t(0xD2511F53u) * c[0];
    const uint64_t p1 = uint64_t(0xCD9E8D57u) * c[2];
    const uint32_t n0 = uint32_t(p1 >> 32) ^ c[1] ^ k0;
    const uint32_t n2 = uint32_t(p0 >> 32) ^ c[3] ^ k1;
    c[0] = n0;
    c[1] = uint32_t(p1);
    c[2] = n2;
    c[3] = uint32_t(p0);
  }
}

/// The raw 32-bit draw for element |index| of stream (|seed|, |offset|):
/// word (index % 4) of the block with counter {index / 4, offset}.
STRATA_HOST_DEVICE uint32_t philoxStreamBits(uint64_t seed, uint64_t offset,
                                             uint64_t index) {
  const uint64_t block = index >> 2;
  uint32_t c[4] = {uint32_t(block), uint32_t(block >> 32), uint32_t(offset),
                   uint32_t(offset >> 32)};
  philoxRounds(c, uint32_t(seed), uint32_t(seed >> 32));
  // Selected, not indexed: a runtime index would put |c| in local memory
  // on the GPU.
  const uint32_t word = uint32_t(index & 3);
  return word == 0 ? c[0] : word == 1 ? c[1] : word == 2 ? c[2] : c[3];
}

/// ceil(p * 2^24): an element is kept iff (bits >> 8) >= this (0: all).
inline uint32_t dropoutThreshold(double p) {
  return uint32_t(std::ceil(p * 16777216.0));
}

/// Whether the element with draw |bits| is kept.
STRATA_HOST_DEVICE bool dropoutKeeps(uint32_t bits, uint32_t threshold) {
  return (bits >> 8) >= threshold;
}

/// Everything a kernel needs to redraw one dropout's mask: the stream, the
/// threshold and the f32 multiplier of kept elements (1 / (1 - p) rounded
/// to float, as DropoutMask::scale<float>()). Trivially copyable: it is
/// passed to CUDA kernels by value.
struct DropoutDraw {
  uint64_t seed = 0, offset = 0;
  uint32_t threshold = 0;
  float scale = 1.0f;
};

/// The draw of stream (|seed|, |offset|) with drop probability |p| in
/// [0, 1); p = 0 keeps everything with multiplier 1.
inline DropoutDraw dropoutDraw(double p, uint64_t seed, uint64_t offset) {
  return {seed, offset, dropoutThreshold(p), float(1.0 / (1.0 - p))};
}

/// The multiplier of the element at global position |index|: the scale if
/// kept, 0 if dropped (no draw when nothing is dropped).
STRATA_HOST_DEVICE float dropoutMultiplier(const DropoutDraw &draw,
                                           uint64_t index) {
  if (draw.threshold == 0)
    return draw.scale;
  return dropoutKeeps(philoxStreamBits(draw.seed, draw.offset, index),
                      draw.threshold)
             ? draw.scale
             : 0.0f;
}

} // namespace strata::runtime::cpu

#endif // STRATA_RUNTIME_KERNELS_CPU_PHILOX_CORE_H
