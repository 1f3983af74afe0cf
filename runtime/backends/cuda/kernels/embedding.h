//===- embedding.h - embedding and its gradient on the GPU --*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Launchers of runtime/kernels/cpu/embedding.h's kernels, T = float,
// __nv_bfloat16 or __half: rows of a table[vocab, hidden] gathered by
// int32 ids, the table being rows [rowOffset, rowOffset + vocab) of the
// whole vocabulary (rowOffset 0 unless vocabulary-parallel).
//
// Ids are validated on the host before they reach the device
// (ModelProgram::checkTokens checks every token of a batch against the
// vocabulary when it is fed), so the kernels never report a bad id; they
// never index with one either: a forward row whose id is outside the table
// gets |fill| (NaN unsplit, as the CPU; zeros for another rank's block), and
// the gradient skips such ids.
//
// The gradient is deterministic without float atomics and bitwise equal
// to the CPU's: the (id, position) pairs are sorted stably by id (CUB's
// radix sort, in the workspace), and one thread per (table row, column)
// sums that row's dout rows in increasing position in f32, rounding once.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_EMBEDDING_H
#define STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_EMBEDDING_H

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace strata::runtime::cuda::kernels {

/// out[i,:] = table[ids[i] - rowOffset,:] for ids in the table's rows,
/// NaN (|nanFill|) or zeros otherwise, for i < |count|.
template <typename T>
void embedding(const T *table, const int32_t *ids, int64_t count,
               int64_t rowOffset, int64_t vocab, int64_t hidden, bool nanFill,
               T *out, cudaStream_t stream);

/// Columns per block of the gradient's run sums (the grid's y dimension
/// counts blocks of them).
constexpr int64_t kEmbeddingGradColumns = 256;

/// Workspace bytes embeddingGrad needs for |count| ids into |vocab| rows
/// (the sort's keys, positions and CUB's temporary storage), or 0 when
/// CUB's size query fails (embeddingGrad then reports it).
size_t embeddingGradWorkspaceBytes(int64_t count, int64_t vocab);

/// dtable[v,:] = sum over i with ids[i] == rowOffset + v of dout[i,:]
/// (i increasing) for v < |vocab|: overwrites dtable[vocab, hidden].
/// |workspace| (256-byte aligned) holds embeddingGradWorkspaceBytes(count,
/// vocab) bytes. Returns the first CUDA error of the queued work.
template <typename T>
cudaError_t embeddingGrad(const T *dout, const int32_t *ids, int64_t count,
                          int64_t rowOffset, int64_t vocab, int64_t hidden,
                          T *dtable, void *workspace, size_t workspaceBytes,
                          cudaStream_t stream);

} // namespace strata::runtime::cuda::kernels

#endif // STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_EMBEDDING_H
