//===- prompt_learning.h - kernels of prompt tuning and LoRA -----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The kernels prompt tuning, p-tuning and LoRA add (docs/prompt-learning.md):
// a task's virtual tokens in place of the embeddings of their positions and
// the two gradients of that, the ReLU of p-tuning's prompt encoder and a
// constant scale (LoRA's alpha / r). T = float, double, bf16 or f16.
//
// A position's virtual row v is -1 (a real token) or a global virtual row;
// a task's table covers rows [offset, offset + rows). Rows outside it are
// another task's or real tokens: never an index, never an error.
//
// Usage (one task of `rows` virtual tokens at global rows [offset, ...)):
//   insertVirtualTokens(x, table, vt, P, offset, rows, H, y);
//   ...
//   maskVirtualTokens(dy, vt, P, offset, rows, H, dx);
//   virtualTokenTableGrad(dy, vt, P, offset, rows, H, dtable);
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_KERNELS_CPU_PROMPT_LEARNING_H
#define STRATA_RUNTIME_KERNELS_CPU_PROMPT_LEARNING_H

#include "runtime/kernels/cpu/element_type.h"

#include <cstdint>

namespace strata::runtime::cpu {

/// y[p, :] = table[vt[p] - offset, :] when vt[p] is in [offset, offset +
/// rows), else x[p, :], for p < |positions|; x, y [positions, H], table
/// [rows, H]. |y| may alias |x|.
template <typename T>
void insertVirtualTokens(const T *x, const T *table, const int32_t *vt,
                         int64_t positions, int64_t offset, int64_t rows,
                         int64_t H, T *y);

/// dx = dy with the rows of the task's positions zeroed. |dx| may alias
/// |dy|.
template <typename T>
void maskVirtualTokens(const T *dy, const int32_t *vt, int64_t positions,
                       int64_t offset, int64_t rows, int64_t H, T *dx);

/// dtable[r, :] = sum over positions p with vt[p] = offset + r of dy[p, :],
/// in position order (bf16 and f16 sum in float); overwrites dtable.
template <typename T>
void virtualTokenTableGrad(const T *dy, const int32_t *vt, int64_t positions,
                           int64_t offset, int64_t rows, int64_t H, T *dtable);

/// y = max(x, 0) and dx = dy where x > 0, else 0, over |n| elements.
template <typename T> void reluForward(const T *x, T *y, int64_t n);
template <typename T>
void reluBackward(const T *x, const T *dy, T *dx, int64_t n);

/// y = x * factor over |n| elements, rounded once to T.
template <typename T> void scale(const T *x, double factor, T *y, int64_t n);

} // namespace strata::runtime::cpu

#endif // STRATA_RUNTIME_KERNELS_CPU_PROMPT_LEARNING_H
