//===- kv_cache.h - KV-cache writes and gathers on the GPU --*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Launchers of the KV-cache kernels of runtime/backends/cpu/cpu_kernels.cc
// (cacheWrite, takePositions), T = float, __nv_bfloat16 or __half, moving
// whole rows of |row| elements (a row: the trailing dimensions) as raw
// values.
//
// The CPU checks positions on the host before it writes anything and fails
// the instruction; on the GPU the positions are device memory, so the
// kernels never index with a bad one instead: CacheWrite skips a row whose
// position is outside [0, length) (the cache row is left as it was), and
// TakePositions fills a row whose index is outside [0, seq) with NaN. The
// host feeds positions it computed itself (the decode loop's counters), so
// neither happens unless a caller breaks that contract.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_KV_CACHE_H
#define STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_KV_CACHE_H

#include <cuda_runtime_api.h>

#include <cstdint>

namespace strata::runtime::cuda::kernels {

/// A paged cache's block table (null |table|: not paged): the pool is
/// [numBlocks, blockSize, row] and position p of sequence b is row
/// p % blockSize of block table[b * width + p / blockSize].
struct BlockTable {
  const int32_t *table = nullptr;
  int64_t blockSize = 0, numBlocks = 0, width = 0;
};

/// cache[b, positions[b, t]] = values[b, t] for values[batch, seq, row] and
/// cache[batch, length, row] (paged: through |blocks|, length = width *
/// blockSize; a token whose table entry is outside [0, numBlocks) is
/// skipped, like a bad position). Two tokens of a sequence at one
/// position: the later token's row is written (the CPU's order),
/// deterministically.
template <typename T>
void cacheWrite(const T *values, const int32_t *positions, int64_t batch,
                int64_t seq, int64_t length, int64_t row, T *cache,
                const BlockTable &blocks, cudaStream_t stream);

/// y[b] = x[b, index[b]] for x[batch, seq, row], y[batch, row].
template <typename T>
void takePositions(const T *x, const int32_t *index, int64_t batch, int64_t seq,
                   int64_t row, T *y, cudaStream_t stream);

} // namespace strata::runtime::cuda::kernels

#endif // STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_KV_CACHE_H
