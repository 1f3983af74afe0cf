//===- artifact_checksum.h - the checksum trailer of .strata files -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A .strata file is the size-prefixed FlatBuffer followed by 8 bytes: the
// little-endian 64-bit FNV-1a hash of everything before them. The
// FlatBuffers verifier catches structural damage; the checksum catches a
// flipped bit anywhere else (a shape, an offset, a float attribute, the
// embedded description) before the loader trusts a single field.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_ARTIFACT_ARTIFACT_CHECKSUM_H
#define STRATA_RUNTIME_ARTIFACT_ARTIFACT_CHECKSUM_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace strata::runtime {

inline constexpr size_t kArtifactChecksumBytes = 8;

/// FNV-1a, 64-bit.
inline uint64_t artifactChecksum(const uint8_t *data, size_t size) {
  uint64_t hash = 14695981039346656037ull;
  for (size_t i = 0; i < size; ++i) {
    hash ^= data[i];
    hash *= 1099511628211ull;
  }
  return hash;
}

/// Appends the trailer to a finished size-prefixed artifact buffer.
inline void appendArtifactChecksum(std::vector<uint8_t> &bytes) {
  const uint64_t hash = artifactChecksum(bytes.data(), bytes.size());
  for (size_t i = 0; i < kArtifactChecksumBytes; ++i)
    bytes.push_back(static_cast<uint8_t>(hash >> (8 * i)));
}

/// The trailer stored at the end of |bytes| (which has at least 8 bytes).
inline uint64_t storedArtifactChecksum(const std::vector<uint8_t> &bytes) {
  uint64_t hash = 0;
  const size_t at = bytes.size() - kArtifactChecksumBytes;
  for (size_t i = 0; i < kArtifactChecksumBytes; ++i)
    hash |= uint64_t(bytes[at + i]) << (8 * i);
  return hash;
}

} // namespace strata::runtime

#endif // STRATA_RUNTIME_ARTIFACT_ARTIFACT_CHECKSUM_H
