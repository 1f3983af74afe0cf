//===- philox.cc - counter-based random numbers -------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/philox.h"

#include "runtime/kernels/cpu/kernel_util.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace strata::runtime::cpu {
namespace {

constexpr int kBatch = 16;

/// words[w][j] = word w of the Philox block |firstBlock| + j, j < kBatch,
/// for stream (seed, offset): the rounds of philox4x32_10 over 16 counters
/// at once, in a form GCC vectorizes.
STRATA_MULTIVERSIONED
void philoxBatch(uint64_t seed, uint64_t offset, uint64_t firstBlock,
                 uint32_t words[4][kBatch]) {
  uint32_t c0[kBatch], c1[kBatch], c2[kBatch], c3[kBatch];
  for (int j = 0; j < kBatch; ++j) {
    const uint64_t block = firstBlock + uint64_t(j);
    c0[j] = uint32_t(block);
    c1[j] = uint32_t(block >> 32);
    c2[j] = uint32_t(offset);
    c3[j] = uint32_t(offset >> 32);
  }
  uint32_t k0 = uint32_t(seed), k1 = uint32_t(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    for (int j = 0; j < kBatch; ++j) {
      const uint64_t p0 = uint64_t(0xD2511F53u) * c0[j];
      const uint64_t p1 = uint64_t(0xCD9E8D57u) * c2[j];
      const uint32_t n0 = uint32_t(p1 >> 32) ^ c1[j] ^ k0;
      const uint32_t n2 = uint32_t(p0 >> 32) ^ c3[j] ^ k1;
      c0[j] = n0;
      c1[j] = uint32_t(p1);
      c2[j] = n2;
      c3[j] = uint32_t(p0);
    }
  }
  for (int j = 0; j < kBatch; ++j) {
    words[0][j] = c0[j];
    words[1][j] = c1[j];
    words[2][j] = c2[j];
    words[3][j] = c3[j];
  }
}

/// Calls emit(i, bits) for i < n with the draw of element firstIndex + i.
template <typename Emit>
void forEachDraw(uint64_t seed, uint64_t offset, uint64_t firstIndex,
                 int64_t n, Emit emit) {
  uint32_t words[4][kBatch];
  int64_t i = 0;
  while (i < n) {
    const uint64_t index = firstIndex + uint64_t(i);
    const uint64_t block = index >> 2;
    philoxBatch(seed, offset, block, words);
    // Elements covered by this batch: blocks [block, block + kBatch).
    const uint64_t end = (block + kBatch) * 4;
    const int64_t count = int64_t(std::min<uint64_t>(end - index, uint64_t(n - i)));
    const uint64_t base = block * 4;
    for (int64_t k = 0; k < count; ++k) {
      const uint64_t e = index + uint64_t(k) - base;
      emit(i + k, words[e & 3][e >> 2]);
    }
    i += count;
  }
}

} // namespace

void philoxUniform(uint64_t seed, uint64_t offset, uint64_t firstIndex,
                   int64_t n, float *out) {
  forEachDraw(seed, offset, firstIndex, n,
              [&](int64_t i, uint32_t bits) { out[i] = uniformFromBits(bits); });
}

DropoutMask::DropoutMask(double p, uint64_t seed, uint64_t offset)
    : p_(p), scale_(1.0 / (1.0 - p)),
      threshold_(dropoutThreshold(p)), seed_(seed),
      offset_(offset) {
  assert(p >= 0.0 && p < 1.0 && "dropout probability outside [0, 1)");
}

template <typename T>
void DropoutMask::multipliers(uint64_t firstIndex, int64_t n, T *out) const {
  const T s = T(scale_);
  if (threshold_ == 0) {
    std::fill(out, out + n, s);
    return;
  }
  const uint32_t threshold = threshold_;
  forEachDraw(seed_, offset_, firstIndex, n, [&](int64_t i, uint32_t bits) {
    out[i] = dropoutKeeps(bits, threshold) ? s : T(0);
  });
}

template <typename T>
void DropoutMask::multipliers(const MaskIndexing &indexing, int64_t firstLocal,
                              int64_t n, T *out) const {
  indexing.forEachRun(firstLocal, firstLocal + n,
                      [&](int64_t local, uint64_t global, int64_t len) {
                        multipliers(global, len, out + (local - firstLocal));
                      });
}

template void DropoutMask::multipliers<float>(uint64_t, int64_t,
                                              float *) const;
template void DropoutMask::multipliers<double>(uint64_t, int64_t,
                                               double *) const;
template void DropoutMask::multipliers<float>(const MaskIndexing &, int64_t,
                                              int64_t, float *) const;
template void DropoutMask::multipliers<double>(const MaskIndexing &, int64_t,
                                               int64_t, double *) const;

} // namespace strata::runtime::cpu
