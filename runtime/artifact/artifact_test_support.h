//===- artifact_test_support.h - small artifacts for tests -----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Builds a small, valid artifact (one parameter with its slots, a forward
// matmul and an AdamW step) whose fields a test can break one at a time.
// Used by the loader's unit tests and as the fuzzer's seed.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_ARTIFACT_ARTIFACT_TEST_SUPPORT_H
#define STRATA_RUNTIME_ARTIFACT_ARTIFACT_TEST_SUPPORT_H

#include "runtime/artifact/artifact_loader.h"

#include <cstdint>
#include <vector>

namespace strata::runtime::testing_support {

/// Knobs a test turns to break one thing in an otherwise valid artifact.
struct Spec {
  uint16_t versionMajor = kArtifactVersionMajor;
  uint16_t versionMinor = kArtifactVersionMinor;
  uint64_t arenaSize = 1024;
  uint64_t weightOffset = 0;
  uint64_t weightSize = 4 * 8 * 4;
  std::vector<int64_t> weightShape = {4, 8};
  std::vector<uint32_t> matmulOperands = {4, 0};
  std::vector<int64_t> matmulInts = {1};
  artifact::Kernel matmulKernel = artifact::Kernel::Matmul;
  bool weightTrainable = true;
  int32_t gradSlot = 1;
  int64_t adamwParameter = 0;
};

/// The size-prefixed bytes of the artifact |spec| describes.
std::vector<uint8_t> buildArtifact(const Spec &spec);

/// Knobs of a small KV-cache program: one `decode` function of two
/// sequences, two query heads of one key/value group, head_dim 2, caches of
/// 4 positions. Buffers: 0 key cache [2,4,1,2], 1 value cache [2,4,1,2],
/// 2 q [2,1,2,2], 3 k [2,1,1,2], 4 v [2,1,1,2], 5 positions [2,1] i32,
/// 6 out [2,1,2,2]. Instructions: CacheWrite (3, 5) -> 0, CacheWrite
/// (4, 5) -> 1, CachedAttention (2, 0, 1, 5) -> 6.
struct CacheSpec {
  artifact::BufferCategory cacheCategory = artifact::BufferCategory::KVCache;
  std::vector<uint32_t> attentionOperands = {2, 0, 1, 5};
  int64_t causal = 1;
  double scale = 0.5;
};

std::vector<uint8_t> buildCacheArtifact(const CacheSpec &spec);

} // namespace strata::runtime::testing_support

#endif // STRATA_RUNTIME_ARTIFACT_ARTIFACT_TEST_SUPPORT_H
