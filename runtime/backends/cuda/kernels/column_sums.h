//===- column_sums.h - workspace of deterministic column sums -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Gradients of biases and norm scales are column sums over the rows of a
// [rows, cols] matrix. The CUDA kernels (column_sums.cuh) sum them in two
// passes of fixed order, without atomics: the rows are cut into
// columnSumChunks(rows) chunks of consecutive rows, one thread per (chunk,
// column) sums its chunk in row order into an f32 partial, then one thread
// per column sums the partials in chunk order and rounds once. The chunks
// depend on |rows| only, so results are bitwise reproducible on any GPU.
// The partials live in the backend's workspace (Backend::workspaceBytes):
// columnSumWorkspaceBytes(rows, cols).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_COLUMN_SUMS_H
#define STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_COLUMN_SUMS_H

#include <cstddef>
#include <cstdint>

namespace strata::runtime::cuda::kernels {

/// Rows per chunk at least, and chunks at most (enough threads for an H100
/// whatever the shape, a few MB of partials at most).
constexpr int64_t kColumnChunkRows = 64;
constexpr int64_t kMaxColumnChunks = 256;

/// The number of row chunks of a column sum over |rows| rows: in [1, 256].
inline int64_t columnSumChunks(int64_t rows) {
  const int64_t chunks = (rows + kColumnChunkRows - 1) / kColumnChunkRows;
  return chunks < 1 ? 1 : chunks > kMaxColumnChunks ? kMaxColumnChunks : chunks;
}

/// Bytes of f32 partials a column sum over [rows, cols] needs.
inline size_t columnSumWorkspaceBytes(int64_t rows, int64_t cols) {
  return sizeof(float) * size_t(columnSumChunks(rows)) *
         size_t(cols < 0 ? 0 : cols);
}

} // namespace strata::runtime::cuda::kernels

#endif // STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_COLUMN_SUMS_H
