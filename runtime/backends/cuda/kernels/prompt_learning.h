//===- prompt_learning.h - virtual tokens on the GPU -------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// runtime/kernels/cpu/prompt_learning.h's virtual-token kernels: a task's
// table rows [offset, offset + rows) of the global virtual rows in place of
// embeddings, the input's gradient with those positions zeroed, and the
// table's gradient (a fixed-order sum over positions: deterministic).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_PROMPT_LEARNING_H
#define STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_PROMPT_LEARNING_H

#include <cuda_runtime_api.h>

#include <cstdint>

namespace strata::runtime::cuda::kernels {

template <typename T>
void insertVirtualTokens(const T *x, const T *table, const int32_t *vt,
                         int64_t positions, int64_t offset, int64_t rows,
                         int64_t hidden, T *y, cudaStream_t stream);

template <typename T>
void maskVirtualTokens(const T *dy, const int32_t *vt, int64_t positions,
                       int64_t offset, int64_t rows, int64_t hidden, T *dx,
                       cudaStream_t stream);

/// dtable[r, h] = sum over p in order with vt[p] = offset + r of dy[p, h],
/// in f32; one thread per table element.
template <typename T>
void virtualTokenTableGrad(const T *dy, const int32_t *vt, int64_t positions,
                           int64_t offset, int64_t rows, int64_t hidden,
                           T *dtable, cudaStream_t stream);

/// tfm.lstm and its backward (runtime/kernels/cpu/lstm.h), in f32, by one
/// block (a prompt encoder's sequence is a task's few virtual tokens).
/// |scratch|: lstmForward 2 E floats, lstmBackward T 6 E + 6 E floats of
/// device memory (the descriptor's scratch).
template <typename T>
void lstmForward(const T *x, const T *wIh, const T *wHh, const T *bias,
                 int64_t steps, int64_t inputs, int64_t units, T *y,
                 float *scratch, cudaStream_t stream);
template <typename T>
void lstmBackward(const T *x, const T *wIh, const T *wHh, const T *bias,
                  const T *dy, int64_t steps, int64_t inputs, int64_t units,
                  T *dx, T *dwIh, T *dwHh, T *dbias, float *scratch,
                  cudaStream_t stream);

} // namespace strata::runtime::cuda::kernels

#endif // STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_PROMPT_LEARNING_H
