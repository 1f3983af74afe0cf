//===- cross_entropy.cu - softmax cross-entropy on the GPU ----------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The formulas are runtime/kernels/cpu/cross_entropy.cc's, in f32 (expf and
// logf, IEEE division: no fast math). Row kernels run one block of
// kRowThreads per row (gridDim.x = rows); each thread strides over the
// vocabulary, reading the row once for its maximum, once for the sum of
// exponentials and, in the backward, once more to write the gradient.
//
// TODO(perf): one pass for the maximum and the sum (an online softmax with
// a fixed-order combination of (max, sum) pairs) and vector loads; the
// two-pass form is kept while the conformance suite is the only judge.
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/kernels/cross_entropy.h"
#include "runtime/backends/cuda/kernels/numeric.cuh"
#include "runtime/backends/cuda/kernels/reduce.cuh"

namespace strata::runtime::cuda::kernels {

namespace {

/// Threads per row (a fixed size: the reductions' order depends on it).
constexpr int kRowThreads = 512;
/// Threads of the single block that sums per-row losses.
constexpr int kReduceThreads = 1024;

/// The block's maximum of row[0, vocab).
template <typename T> __device__ float rowMax(const T *row, int64_t vocab) {
  float m = -CUDART_INF_F;
  for (int64_t v = threadIdx.x; v < vocab; v += blockDim.x)
    m = fmaxf(m, load(row[v]));
  return blockMax(m);
}

/// The block's sum of exp(row[v] - m), v < vocab.
template <typename T>
__device__ float rowSumExp(const T *row, int64_t vocab, float m) {
  float s = 0.0f;
  for (int64_t v = threadIdx.x; v < vocab; v += blockDim.x)
    s += expf(load(row[v]) - m);
  return blockSum(s);
}

/// log sum_v exp(row[v]) = max + log(sum exp(row[v] - max)).
template <typename T>
__device__ float rowLogSumExp(const T *row, int64_t vocab) {
  const float m = rowMax(row, vocab);
  return m + logf(rowSumExp(row, vocab, m));
}

/// The label of a row that counts for nothing (the CPU's kIgnoredLabel).
constexpr int32_t kIgnoredLabel = -1;

/// The block's count of labels[0, rows) that are not ignored.
__device__ double countedLabels(const int32_t *labels, int64_t rows) {
  double counted = 0.0;
  for (int64_t n = threadIdx.x; n < rows; n += blockDim.x)
    counted += labels[n] != kIgnoredLabel ? 1.0 : 0.0;
  return blockSum(counted);
}

/// scale[0] = the upstream gradient of every counted row's loss for a Mean
/// (dloss[0] / counted rows) or Sum (dloss[0]) reduction; one block.
__global__ void __launch_bounds__(kReduceThreads)
    lossGradientScaleKernel(const float *dloss, const int32_t *labels,
                            int64_t rows, bool mean, float *scale) {
  const double counted = countedLabels(labels, rows);
  if (threadIdx.x == 0)
    *scale = float(mean ? (counted > 0 ? double(dloss[0]) / counted : 0.0)
                        : double(dloss[0]));
}

/// The upstream gradient of row n's loss (the CPU's rowLossGradient):
/// dloss[n] without a reduction, else the scale lossGradientScaleKernel
/// wrote.
__device__ __forceinline__ float rowLossGradient(const float *dloss,
                                                 const float *scale,
                                                 LossReduction reduction,
                                                 int64_t n) {
  return reduction == LossReduction::None ? dloss[n] : *scale;
}

/// Zeroes row[0, vocab) (an ignored row's gradient).
template <typename T> __device__ void zeroRow(int64_t vocab, T *out) {
  for (int64_t v = threadIdx.x; v < vocab; v += blockDim.x)
    out[v] = store<T>(0.0f);
}

/// The real (not padding) columns of a block of |vocab| columns starting at
/// global column |vocabOffset|: those below |validVocab|.
__device__ __forceinline__ int64_t realColumns(int64_t validVocab,
                                               int64_t vocabOffset,
                                               int64_t vocab) {
  return max(int64_t(0), min(validVocab - vocabOffset, vocab));
}

/// out[v] = (exp(row[v] - lse) - [v == label]) * g for v < real (label -1:
/// no column subtracts) and 0 for the padding [real, vocab), or NaN
/// everywhere when !|valid|. Each thread reads an element before it writes
/// it: |out| may alias |row|.
template <typename T>
__device__ void writeRowGradient(const T *row, float lse, float g,
                                 int64_t label, bool valid, int64_t real,
                                 int64_t vocab, T *out) {
  for (int64_t v = threadIdx.x; v < vocab; v += blockDim.x) {
    const float d = v < real ? expf(load(row[v]) - lse) * g -
                                   (v == label ? g : 0.0f)
                             : 0.0f;
    out[v] = store<T>(valid ? d : CUDART_NAN_F);
  }
}

template <typename T>
__global__ void __launch_bounds__(kRowThreads)
    rowsKernel(const T *logits, const int32_t *labels, int64_t vocab,
               int64_t validVocab, float *loss, float *lse) {
  const int64_t n = blockIdx.x;
  const T *row = logits + n * vocab;
  const int64_t real = realColumns(validVocab, 0, vocab);
  const float l = rowLogSumExp(row, real);
  if (threadIdx.x == 0) {
    if (lse)
      lse[n] = l;
    const int32_t label = labels[n];
    loss[n] = label == kIgnoredLabel            ? 0.0f
              : label >= 0 && label < real ? l - load(row[label])
                                           : CUDART_NAN_F;
  }
}

__global__ void __launch_bounds__(kReduceThreads)
    reduceLossKernel(const float *rowLoss, const int32_t *labels, int64_t rows,
                     bool mean, float *out) {
  double total = 0.0;
  for (int64_t n = threadIdx.x; n < rows; n += blockDim.x)
    total += double(rowLoss[n]); // an ignored row's loss is 0
  total = blockSum(total);
  const double counted = countedLabels(labels, rows);
  if (threadIdx.x == 0)
    *out = float(mean ? (counted > 0 ? total / counted : 0.0) : total);
}

template <typename T>
__global__ void __launch_bounds__(kRowThreads)
    backwardKernel(const T *logits, const int32_t *labels, const float *dloss,
                   const float *scale, LossReduction reduction, int64_t vocab,
                   int64_t validVocab, T *dlogits) {
  const int64_t n = blockIdx.x;
  if (labels[n] == kIgnoredLabel) {
    zeroRow(vocab, dlogits + n * vocab);
    return;
  }
  const T *row = logits + n * vocab;
  const int64_t real = realColumns(validVocab, 0, vocab);
  // Every thread's reads for the log-sum-exp end at its reductions'
  // barriers, before any thread writes the (possibly aliased) row.
  const float l = rowLogSumExp(row, real);
  const float g = rowLossGradient(dloss, scale, reduction, n);
  const int32_t label = labels[n];
  const bool valid = label >= 0 && label < real;
  writeRowGradient(row, l, g, valid ? int64_t(label) : -1, valid, real, vocab,
                   dlogits + n * vocab);
}

template <typename T>
__global__ void __launch_bounds__(kRowThreads)
    shardStatsKernel(const T *logits, const int32_t *labels, int64_t vocab,
                     int64_t vocabOffset, int64_t validVocab, float *stats) {
  const int64_t n = blockIdx.x;
  const T *row = logits + n * vocab;
  // A block of padding only has max -inf and sum 0: it weighs nothing.
  const int64_t real = realColumns(validVocab, vocabOffset, vocab);
  const float m = rowMax(row, real);
  const float s = rowSumExp(row, real, m);
  if (threadIdx.x == 0) {
    const int32_t label = labels[n];
    const int64_t column = int64_t(label) - vocabOffset;
    float target = 0.0f;
    if (label != kIgnoredLabel && (label < 0 || label >= validVocab))
      target = CUDART_NAN_F;
    else if (column >= 0 && column < real)
      target = load(row[column]);
    float *out = stats + n * 3;
    out[0] = m;
    out[1] = s;
    out[2] = target;
  }
}

__global__ void combineStatsKernel(const float *gathered,
                                   const int32_t *labels, int64_t rows,
                                   int64_t ranks, float *loss, float *lse) {
  STRATA_GRID_STRIDE(n, rows) {
    const float *row = gathered + n * 3 * ranks;
    float m = -CUDART_INF_F;
    for (int64_t r = 0; r < ranks; ++r)
      m = fmaxf(m, row[3 * r]);
    // Each rank's sum is relative to its own maximum: rescale it to the
    // global one, in rank order.
    float sum = 0.0f, target = 0.0f;
    for (int64_t r = 0; r < ranks; ++r) {
      sum += row[3 * r + 1] * expf(row[3 * r] - m);
      target += row[3 * r + 2];
    }
    const float l = m + logf(sum);
    lse[n] = l;
    loss[n] = labels[n] == kIgnoredLabel ? 0.0f : l - target;
  }
}

template <typename T>
__global__ void __launch_bounds__(kRowThreads)
    backwardShardKernel(const T *logits, const int32_t *labels,
                        const float *lse, const float *dloss,
                        const float *scale, LossReduction reduction,
                        int64_t vocab, int64_t vocabOffset, int64_t validVocab,
                        T *dlogits) {
  const int64_t n = blockIdx.x;
  const int32_t label = labels[n];
  if (label == kIgnoredLabel) {
    zeroRow(vocab, dlogits + n * vocab);
    return;
  }
  const int64_t real = realColumns(validVocab, vocabOffset, vocab);
  const int64_t column = int64_t(label) - vocabOffset;
  const bool inBlock = column >= 0 && column < real;
  writeRowGradient(logits + n * vocab, lse[n],
                   rowLossGradient(dloss, scale, reduction, n),
                   inBlock ? column : -1, label >= 0 && label < validVocab,
                   real, vocab, dlogits + n * vocab);
}

} // namespace

template <typename T>
void crossEntropyRows(const T *logits, const int32_t *labels, int64_t rows,
                      int64_t vocab, int64_t validVocab, float *loss,
                      float *lse, cudaStream_t stream) {
  if (rows > 0)
    rowsKernel<<<unsigned(rows), kRowThreads, 0, stream>>>(
        logits, labels, vocab, validVocab, loss, lse);
}

void reduceLoss(const float *rowLoss, const int32_t *labels, int64_t rows,
                LossReduction reduction, float *out, cudaStream_t stream) {
  reduceLossKernel<<<1, kReduceThreads, 0, stream>>>(
      rowLoss, labels, rows, reduction == LossReduction::Mean, out);
}

/// The reduction's per-row upstream gradient into scale[0] (unused without
/// a reduction).
void launchLossGradientScale(const float *dloss, const int32_t *labels,
                             int64_t rows, LossReduction reduction,
                             float *scale, cudaStream_t stream) {
  if (reduction != LossReduction::None)
    lossGradientScaleKernel<<<1, kReduceThreads, 0, stream>>>(
        dloss, labels, rows, reduction == LossReduction::Mean, scale);
}

template <typename T>
void crossEntropyBackward(const T *logits, const int32_t *labels,
                          const float *dloss, LossReduction reduction,
                          int64_t rows, int64_t vocab, int64_t validVocab,
                          float *scale, T *dlogits, cudaStream_t stream) {
  if (rows == 0)
    return;
  launchLossGradientScale(dloss, labels, rows, reduction, scale, stream);
  backwardKernel<<<unsigned(rows), kRowThreads, 0, stream>>>(
      logits, labels, dloss, scale, reduction, vocab, validVocab, dlogits);
}

template <typename T>
void crossEntropyShardStats(const T *logits, const int32_t *labels,
                            int64_t rows, int64_t vocab, int64_t vocabOffset,
                            int64_t validVocab, float *stats,
                            cudaStream_t stream) {
  if (rows > 0)
    shardStatsKernel<<<unsigned(rows), kRowThreads, 0, stream>>>(
        logits, labels, vocab, vocabOffset, validVocab, stats);
}

void crossEntropyCombineStats(const float *gathered, const int32_t *labels,
                              int64_t rows, int64_t ranks, float *loss,
                              float *lse, cudaStream_t stream) {
  if (rows > 0)
    combineStatsKernel<<<gridFor(rows), kThreads, 0, stream>>>(
        gathered, labels, rows, ranks, loss, lse);
}

template <typename T>
void crossEntropyBackwardShard(const T *logits, const int32_t *labels,
                               const float *lse, const float *dloss,
                               LossReduction reduction, int64_t rows,
                               int64_t vocab, int64_t vocabOffset,
                               int64_t validVocab, float *scale, T *dlogits,
                               cudaStream_t stream) {
  if (rows == 0)
    return;
  launchLossGradientScale(dloss, labels, rows, reduction, scale, stream);
  backwardShardKernel<<<unsigned(rows), kRowThreads, 0, stream>>>(
      logits, labels, lse, dloss, scale, reduction, vocab, vocabOffset,
      validVocab, dlogits);
}

#define STRATA_INSTANTIATE(T)                                                  \
  template void crossEntropyRows<T>(const T *, const int32_t *, int64_t,       \
                                    int64_t, int64_t, float *, float *,        \
                                    cudaStream_t);                             \
  template void crossEntropyBackward<T>(                                       \
      const T *, const int32_t *, const float *, LossReduction, int64_t,       \
      int64_t, int64_t, float *, T *, cudaStream_t);                           \
  template void crossEntropyShardStats<T>(const T *, const int32_t *, int64_t, \
                                          int64_t, int64_t, int64_t, float *,  \
                                          cudaStream_t);                       \
  template void crossEntropyBackwardShard<T>(                                  \
      const T *, const int32_t *, const float *, const float *, LossReduction, \
      int64_t, int64_t, int64_t, int64_t, float *, T *, cudaStream_t);
STRATA_INSTANTIATE(float)
STRATA_INSTANTIATE(__nv_bfloat16)
STRATA_INSTANTIATE(__half)
#undef STRATA_INSTANTIATE

} // namespace strata::runtime::cuda::kernels
