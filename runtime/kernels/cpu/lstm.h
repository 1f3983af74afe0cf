//===- lstm.h - one bidirectional LSTM layer ----------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// tfm.lstm: p-tuning's prompt encoder, PyTorch's torch.nn.LSTM (one layer,
// bidirectional, one sequence, zero initial states, gates i, f, g, o). The
// sequences are a task's virtual tokens (tens of steps), so the kernels are
// plain loops; the backward recomputes the forward into |scratch|. T =
// float, double, bf16 or f16, computed in AccumulatorOf<T>.
//
// Shapes: x[T, I], wIh[2, 4E, I], wHh[2, 4E, E], bias[2, 4E], y[T, 2E]
// (direction d's output at columns [d E, (d + 1) E)).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_KERNELS_CPU_LSTM_H
#define STRATA_RUNTIME_KERNELS_CPU_LSTM_H

#include "runtime/kernels/cpu/element_type.h"

#include <cstdint>

namespace strata::runtime::cpu {

/// Accumulator elements lstmForward's scratch needs.
inline int64_t lstmForwardScratch(int64_t units) { return 2 * units; }
/// Accumulator elements lstmBackward's scratch needs.
inline int64_t lstmBackwardScratch(int64_t steps, int64_t units) {
  return steps * 6 * units + 6 * units;
}

template <typename T>
void lstmForward(const T *x, const T *wIh, const T *wHh, const T *bias,
                 int64_t steps, int64_t inputs, int64_t units, T *y,
                 AccumulatorOf<T> *scratch);

/// dx, dwIh, dwHh, dbias overwritten (not accumulated).
template <typename T>
void lstmBackward(const T *x, const T *wIh, const T *wHh, const T *bias,
                  const T *dy, int64_t steps, int64_t inputs, int64_t units,
                  T *dx, T *dwIh, T *dwHh, T *dbias, AccumulatorOf<T> *scratch);

} // namespace strata::runtime::cpu

#endif // STRATA_RUNTIME_KERNELS_CPU_LSTM_H
