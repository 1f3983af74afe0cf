//===- embedding.h - embedding lookup -----------------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// tfm.embedding: rows of table[V, H] gathered by int32 ids (token or
// position ids). The executor checks ids with validateIds() first; the
// kernels never read or write out of bounds even without it. T = float,
// double, bf16 or f16; the bf16 and f16 gradients sum in float and round
// each table element once (they sort the ids by row first, allocating 8
// bytes per id).
//
// Vocabulary-parallel (tensor-parallel) embedding: with tp ranks the table
// is split into tp contiguous blocks of Vl = V / tp rows, rank r holding
// rows [r * Vl, (r + 1) * Vl) (vocabOffset = r * Vl). Every rank sees all
// ids; embeddingForwardShard gives the rows of its block and zeros for the
// others, so the sum over ranks (one all-reduce) is embeddingForward's
// output, exactly: each row is one rank's row plus zeros. The backward
// needs no communication: each rank scatters into its own block of the
// gradient, and the blocks concatenated are embeddingBackward's gradient.
//
// Usage on rank r of tp, table_local = rows [r * Vl, (r + 1) * Vl):
//   STRATA_RETURN_IF_ERROR(validateIds(ids, count, Vl * tp));
//   embeddingForwardShard(table_local, ids, count, r * Vl, Vl, H, out);
//   allReduceSum(out);
//   ...
//   embeddingBackwardShard(dout, ids, count, r * Vl, Vl, H, dtable_local);
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_KERNELS_CPU_EMBEDDING_H
#define STRATA_RUNTIME_KERNELS_CPU_EMBEDDING_H

#include "runtime/support/status.h"

#include <cstdint>

namespace strata::runtime::cpu {

/// OK when every ids[i], i < |count|, is in [0, |V|); otherwise
/// invalid-argument naming the first bad position and value, e.g.
/// "id 50304 at position 17 is outside the embedding table [0, 50304)".
Status validateIds(const int32_t *ids, int64_t count, int64_t V);

/// out[i,:] = table[ids[i],:] for i < |count|, table[V,H], out[count,H]; a
/// row whose id is outside [0, V) is filled with NaN.
template <typename T>
void embeddingForward(const T *table, const int32_t *ids, int64_t count,
                      int64_t V, int64_t H, T *out);

/// dtable[v,:] = sum over i with ids[i] == v of dout[i,:] (i increasing), for
/// every v < |V|: overwrites dtable[V,H], or adds to it when |accumulate|
/// (a table tied to the output projection). Ids outside [0, V) are skipped.
/// Deterministic: parallel over blocks of columns, serial over ids.
template <typename T>
void embeddingBackward(const T *dout, const int32_t *ids, int64_t count,
                       int64_t V, int64_t H, T *dtable,
                       bool accumulate = false);

/// The rank holding table rows [vocabOffset, vocabOffset + Vl) of the full
/// table: out[i,:] = table_local[ids[i] - vocabOffset,:] when ids[i] is in
/// that range, zeros otherwise, for i < |count|; table_local[Vl,H],
/// out[count,H]. Every id outside the shard (another rank's, or one outside
/// the global vocabulary, which validateIds rejects first) gives zeros and is
/// never used as an index.
template <typename T>
void embeddingForwardShard(const T *tableLocal, const int32_t *ids,
                           int64_t count, int64_t vocabOffset, int64_t Vl,
                           int64_t H, T *out);

/// The gradient of embeddingForwardShard's table_local: dtable_local[v,:] =
/// sum over i with ids[i] == vocabOffset + v of dout[i,:] (i increasing),
/// for v < |Vl|; ids outside the shard are skipped. Overwrites
/// dtable_local[Vl,H], or adds to it when |accumulate|. |dout| is the full
/// [count,H] upstream gradient (the same on every rank). Bitwise equal to
/// rows [vocabOffset, vocabOffset + Vl) of embeddingBackward's gradient.
template <typename T>
void embeddingBackwardShard(const T *dout, const int32_t *ids, int64_t count,
                            int64_t vocabOffset, int64_t Vl, int64_t H,
                            T *dtableLocal, bool accumulate = false);

} // namespace strata::runtime::cpu

#endif // STRATA_RUNTIME_KERNELS_CPU_EMBEDDING_H
