//===- embedding.h - embedding lookup -----------------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// tfm.embedding: rows of table[V, H] gathered by int32 ids (token or
// position ids). The executor checks ids with validateIds() first; the
// kernels never read or write out of bounds even without it.
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

} // namespace strata::runtime::cpu

#endif // STRATA_RUNTIME_KERNELS_CPU_EMBEDDING_H
