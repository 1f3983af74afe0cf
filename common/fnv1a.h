//===- fnv1a.h - the 64-bit FNV-1a hash -------------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The fingerprints of data, models and tokenizers that checkpoints and
// caches compare: not cryptographic, only stable across runs and machines.
// Chain calls by passing the previous hash as |hash|.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMMON_FNV1A_H
#define STRATA_COMMON_FNV1A_H

#include <cstddef>
#include <cstdint>

namespace strata {

inline constexpr uint64_t kFnv1aOffset = 14695981039346656037ull;
inline constexpr uint64_t kFnv1aPrime = 1099511628211ull;

inline uint64_t fnv1a(const void *data, size_t size,
                      uint64_t hash = kFnv1aOffset) {
  const auto *bytes = static_cast<const uint8_t *>(data);
  for (size_t i = 0; i < size; ++i)
    hash = (hash ^ bytes[i]) * kFnv1aPrime;
  return hash;
}

} // namespace strata

#endif // STRATA_COMMON_FNV1A_H
