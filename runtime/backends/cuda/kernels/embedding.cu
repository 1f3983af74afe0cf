//===- embedding.cu - embedding lookup and its gradient on the GPU --------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The forward is a gather, one thread per output element. The gradient
// (runtime/kernels/cpu/embedding.cc's scatterAddRows and
// scatterAddRowsWidened: every table row the sum of its ids' dout rows in
// increasing position, in f32, rounded once) in three steps:
//   1. key[i] = the table row of ids[i] (|vocab| for an id outside the
//      table: sorted last, skipped), position[i] = i;
//   2. a stable radix sort of (key, position) by key (CUB): each table row's
//      positions become one run, in increasing order;
//   3. zero the table gradient; one block per run start and column block,
//      one thread per column summing the run's dout rows in order.
// No atomics, so the result is the same bits on every run and GPU, and
// the CPU's: the same terms added in the same order in f32.
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/kernels/embedding.h"

#include "runtime/backends/cuda/kernels/numeric.cuh"

#include <cub/device/device_radix_sort.cuh>

namespace strata::runtime::cuda::kernels {

namespace {

static_assert(kEmbeddingGradColumns == kThreads,
              "a run-sum block has one thread per column");

template <typename T>
__global__ void embeddingKernel(const T *table, const int32_t *ids,
                                int64_t rowOffset, int64_t vocab,
                                int64_t hidden, int64_t n, bool nanFill,
                                T *out) {
  const T fill = store<T>(nanFill ? __int_as_float(0x7fc00000) : 0.0f);
  STRATA_GRID_STRIDE(e, n) {
    const int64_t i = e / hidden, h = e % hidden;
    // In 64 bits: no id overflows into the table.
    const int64_t row = int64_t(ids[i]) - rowOffset;
    out[e] = row >= 0 && row < vocab ? table[row * hidden + h] : fill;
  }
}

__global__ void sortKeysKernel(const int32_t *ids, int64_t count,
                               int64_t rowOffset, int64_t vocab, uint32_t *keys,
                               int32_t *positions) {
  STRATA_GRID_STRIDE(i, count) {
    const int64_t row = int64_t(ids[i]) - rowOffset;
    keys[i] = row >= 0 && row < vocab ? uint32_t(row) : uint32_t(vocab);
    positions[i] = int32_t(i);
  }
}

/// Block (k, c): if sorted entry k starts a run of a table row, columns
/// [c * kThreads, (c + 1) * kThreads) of that row's gradient, the run's
/// dout rows summed in f32 in increasing position.
template <typename T>
__global__ void __launch_bounds__(kThreads)
    embeddingGradRunsKernel(const T *dout, const uint32_t *keys,
                            const int32_t *positions, int64_t count,
                            int64_t vocab, int64_t hidden, T *dtable) {
  const int64_t k = blockIdx.x;
  const uint32_t key = keys[k];
  if ((k > 0 && keys[k - 1] == key) || int64_t(key) >= vocab)
    return; // not a run start, or ids outside the table
  const int64_t h = int64_t(blockIdx.y) * blockDim.x + threadIdx.x;
  if (h >= hidden)
    return;
  float sum = 0.0f;
  for (int64_t j = k; j < count && keys[j] == key; ++j)
    sum += load(dout[int64_t(positions[j]) * hidden + h]);
  dtable[int64_t(key) * hidden + h] = store<T>(sum);
}

/// Bits of the sort keys: enough for |vocab| itself (the skipped ids).
int keyBits(int64_t vocab) {
  int bits = 1;
  while (bits < 32 && (int64_t(1) << bits) <= vocab)
    ++bits;
  return bits;
}

constexpr size_t kAlignment = 256;
size_t aligned(size_t bytes) {
  return (bytes + kAlignment - 1) / kAlignment * kAlignment;
}

/// The workspace: keys, sorted keys, positions, sorted positions, then
/// CUB's temporary storage.
struct GradWorkspace {
  uint32_t *keys, *sortedKeys;
  int32_t *positions, *sortedPositions;
  void *cub;
  size_t cubBytes;
};

GradWorkspace carve(void *base, size_t bytes, int64_t count) {
  const size_t array = aligned(sizeof(uint32_t) * size_t(count));
  uint8_t *p = static_cast<uint8_t *>(base);
  GradWorkspace w;
  w.keys = reinterpret_cast<uint32_t *>(p);
  w.sortedKeys = reinterpret_cast<uint32_t *>(p + array);
  w.positions = reinterpret_cast<int32_t *>(p + 2 * array);
  w.sortedPositions = reinterpret_cast<int32_t *>(p + 3 * array);
  w.cub = p + 4 * array;
  w.cubBytes = bytes > 4 * array ? bytes - 4 * array : 0;
  return w;
}

cudaError_t cubBytesFor(int64_t count, int64_t vocab, size_t &bytes) {
  bytes = 0;
  return cub::DeviceRadixSort::SortPairs<uint32_t, int32_t>(
      nullptr, bytes, nullptr, nullptr, nullptr, nullptr, count, 0,
      keyBits(vocab));
}

} // namespace

template <typename T>
void embedding(const T *table, const int32_t *ids, int64_t count,
               int64_t rowOffset, int64_t vocab, int64_t hidden, bool nanFill,
               T *out, cudaStream_t stream) {
  const int64_t n = count * hidden;
  if (n <= 0)
    return;
  embeddingKernel<<<gridFor(n), kThreads, 0, stream>>>(
      table, ids, rowOffset, vocab, hidden, n, nanFill, out);
}

size_t embeddingGradWorkspaceBytes(int64_t count, int64_t vocab) {
  size_t cubBytes = 0;
  if (count > 0 && cubBytesFor(count, vocab, cubBytes) != cudaSuccess)
    return 0;
  return 4 * aligned(sizeof(uint32_t) * size_t(count)) + cubBytes;
}

template <typename T>
cudaError_t embeddingGrad(const T *dout, const int32_t *ids, int64_t count,
                          int64_t rowOffset, int64_t vocab, int64_t hidden,
                          T *dtable, void *workspace, size_t workspaceBytes,
                          cudaStream_t stream) {
  if (vocab <= 0 || hidden <= 0)
    return cudaSuccess;
  cudaError_t error = cudaMemsetAsync(
      dtable, 0, sizeof(T) * size_t(vocab) * size_t(hidden), stream);
  if (error != cudaSuccess || count <= 0)
    return error;
  GradWorkspace w = carve(workspace, workspaceBytes, count);
  size_t cubBytes = 0;
  if ((error = cubBytesFor(count, vocab, cubBytes)) != cudaSuccess)
    return error;
  if (cubBytes > w.cubBytes)
    return cudaErrorInvalidValue; // the workspace is smaller than planned
  sortKeysKernel<<<gridFor(count), kThreads, 0, stream>>>(
      ids, count, rowOffset, vocab, w.keys, w.positions);
  if ((error = cub::DeviceRadixSort::SortPairs(
           w.cub, cubBytes, w.keys, w.sortedKeys, w.positions,
           w.sortedPositions, count, 0, keyBits(vocab), stream)) != cudaSuccess)
    return error;
  const dim3 grid(unsigned(count),
                  unsigned((hidden + kThreads - 1) / kThreads));
  embeddingGradRunsKernel<<<grid, kThreads, 0, stream>>>(
      dout, w.sortedKeys, w.sortedPositions, count, vocab, hidden, dtable);
  return cudaSuccess;
}

#define STRATA_INSTANTIATE(T)                                                  \
  template void embedding<T>(const T *, const int32_t *, int64_t, int64_t,     \
                             int64_t, int64_t, bool, T *, cudaStream_t);       \
  template cudaError_t embeddingGrad<T>(const T *, const int32_t *, int64_t,   \
                                        int64_t, int64_t, int64_t, T *,        \
                                        void *, size_t, cudaStream_t);
STRATA_INSTANTIATE(float)
STRATA_INSTANTIATE(__nv_bfloat16)
STRATA_INSTANTIATE(__half)
#undef STRATA_INSTANTIATE

} // namespace strata::runtime::cuda::kernels
