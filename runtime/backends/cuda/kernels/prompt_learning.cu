//===- prompt_learning.cu - virtual tokens on the GPU ---------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/kernels/numeric.cuh"
#include "runtime/backends/cuda/kernels/prompt_learning.h"

namespace strata::runtime::cuda::kernels {

namespace {

/// The task's table row of a virtual row, or -1.
__device__ __forceinline__ int64_t taskRow(int32_t v, int64_t offset,
                                           int64_t rows) {
  const int64_t r = int64_t(v) - offset;
  return r >= 0 && r < rows ? r : -1;
}

template <typename T>
__global__ void insertKernel(const T *x, const T *table, const int32_t *vt,
                             int64_t offset, int64_t rows, int64_t hidden,
                             int64_t n, T *y) {
  STRATA_GRID_STRIDE(i, n) {
    const int64_t r = taskRow(vt[i / hidden], offset, rows);
    y[i] = r >= 0 ? table[r * hidden + i % hidden] : x[i];
  }
}

template <typename T>
__global__ void maskKernel(const T *dy, const int32_t *vt, int64_t offset,
                           int64_t rows, int64_t hidden, int64_t n, T *dx) {
  STRATA_GRID_STRIDE(i, n) {
    dx[i] = taskRow(vt[i / hidden], offset, rows) >= 0 ? store<T>(0.0f)
                                                       : dy[i];
  }
}

template <typename T>
__global__ void tableGradKernel(const T *dy, const int32_t *vt,
                                int64_t positions, int64_t offset,
                                int64_t hidden, int64_t n, T *dtable) {
  STRATA_GRID_STRIDE(i, n) {
    const int64_t r = i / hidden, h = i % hidden;
    float sum = 0.0f;
    for (int64_t p = 0; p < positions; ++p)
      if (int64_t(vt[p]) - offset == r)
        sum += load(dy[p * hidden + h]);
    dtable[i] = store<T>(sum);
  }
}

constexpr int kLstmThreads = 256;

__device__ __forceinline__ float sigmoidOf(float v) {
  return 1.0f / (1.0f + expf(-v));
}

/// One direction's forward over all steps (one block): the gates of step
/// k (i, f, g, o activated) into gates[k 4E], cells into cells[k E], the
/// outputs into outputs[k E] when not null; h and c: E floats; z: 4E.
template <typename T>
__device__ void lstmDirection(const T *x, const T *wIh, const T *wHh,
                              const T *bias, int64_t steps, int64_t inputs,
                              int64_t E, int64_t d, T *y, float *h, float *c,
                              float *z, float *gates, float *cells,
                              float *outputs) {
  const int64_t G = 4 * E;
  const T *wi = wIh + d * G * inputs, *wh = wHh + d * G * E, *b = bias + d * G;
  for (int64_t j = threadIdx.x; j < E; j += blockDim.x)
    h[j] = 0.0f, c[j] = 0.0f;
  __syncthreads();
  for (int64_t k = 0; k < steps; ++k) {
    const int64_t t = d == 0 ? k : steps - 1 - k;
    for (int64_t g = threadIdx.x; g < G; g += blockDim.x) {
      float sum = load(b[g]);
      for (int64_t i = 0; i < inputs; ++i)
        sum += load(wi[g * inputs + i]) * load(x[t * inputs + i]);
      for (int64_t j = 0; j < E; ++j)
        sum += load(wh[g * E + j]) * h[j];
      z[g] = sum;
    }
    __syncthreads();
    for (int64_t j = threadIdx.x; j < E; j += blockDim.x) {
      const float ig = sigmoidOf(z[j]), fg = sigmoidOf(z[E + j]),
                  gg = tanhf(z[2 * E + j]), og = sigmoidOf(z[3 * E + j]);
      c[j] = fg * c[j] + ig * gg;
      const float hj = og * tanhf(c[j]);
      h[j] = hj;
      if (gates) {
        float *gk = gates + k * G;
        gk[j] = ig, gk[E + j] = fg, gk[2 * E + j] = gg, gk[3 * E + j] = og;
        cells[k * E + j] = c[j];
        outputs[k * E + j] = hj;
      }
      if (y)
        y[t * 2 * E + d * E + j] = store<T>(hj);
    }
    __syncthreads();
  }
}

template <typename T>
__global__ void __launch_bounds__(kLstmThreads)
    lstmForwardKernel(const T *x, const T *wIh, const T *wHh, const T *bias,
                      int64_t steps, int64_t inputs, int64_t E, T *y,
                      float *scratch) {
  float *h = scratch, *c = scratch + E;
  extern __shared__ float z[]; // 4E
  for (int64_t d = 0; d < 2; ++d)
    lstmDirection(x, wIh, wHh, bias, steps, inputs, E, d, y, h, c, z,
                  static_cast<float *>(nullptr), nullptr, nullptr);
}

/// The gradients, summed in a fixed order per element (each element is
/// owned by one thread): deterministic.
template <typename T>
__global__ void __launch_bounds__(kLstmThreads)
    lstmBackwardKernel(const T *x, const T *wIh, const T *wHh, const T *bias,
                       const T *dy, int64_t steps, int64_t inputs, int64_t E,
                       T *dx, T *dwIh, T *dwHh, T *dbias, float *scratch) {
  const int64_t G = 4 * E;
  float *gates = scratch, *cells = gates + steps * G,
        *outputs = cells + steps * E, *h = outputs + steps * E, *c = h + E,
        *dh = c + E, *dc = dh + E;
  extern __shared__ float dz[]; // 4E; also the forward's z
  // dx accumulates over both directions: zero it first.
  for (int64_t i = threadIdx.x; i < steps * inputs; i += blockDim.x)
    dx[i] = store<T>(0.0f);
  for (int64_t d = 0; d < 2; ++d) {
    lstmDirection(x, wIh, wHh, bias, steps, inputs, E, d,
                  static_cast<T *>(nullptr), h, c, dz, gates, cells, outputs);
    const T *wi = wIh + d * G * inputs, *wh = wHh + d * G * E;
    T *gwi = dwIh + d * G * inputs, *gwh = dwHh + d * G * E,
      *gb = dbias + d * G;
    for (int64_t i = threadIdx.x; i < G * inputs; i += blockDim.x)
      gwi[i] = store<T>(0.0f);
    for (int64_t i = threadIdx.x; i < G * E; i += blockDim.x)
      gwh[i] = store<T>(0.0f);
    for (int64_t g = threadIdx.x; g < G; g += blockDim.x)
      gb[g] = store<T>(0.0f);
    for (int64_t j = threadIdx.x; j < E; j += blockDim.x)
      dh[j] = 0.0f, dc[j] = 0.0f;
    __syncthreads();
    for (int64_t k = steps - 1; k >= 0; --k) {
      const int64_t t = d == 0 ? k : steps - 1 - k;
      const float *gk = gates + k * G;
      for (int64_t j = threadIdx.x; j < E; j += blockDim.x) {
        const float ig = gk[j], fg = gk[E + j], gg = gk[2 * E + j],
                    og = gk[3 * E + j];
        const float cPrev = k > 0 ? cells[(k - 1) * E + j] : 0.0f;
        const float tc = tanhf(cells[k * E + j]);
        const float dhj = load(dy[t * 2 * E + d * E + j]) + dh[j];
        const float dcj = dhj * og * (1.0f - tc * tc) + dc[j];
        dz[j] = dcj * gg * ig * (1.0f - ig);
        dz[E + j] = dcj * cPrev * fg * (1.0f - fg);
        dz[2 * E + j] = dcj * ig * (1.0f - gg * gg);
        dz[3 * E + j] = dhj * tc * og * (1.0f - og);
        dc[j] = dcj * fg;
      }
      __syncthreads();
      for (int64_t g = threadIdx.x; g < G; g += blockDim.x) {
        gb[g] = store<T>(load(gb[g]) + dz[g]);
        for (int64_t i = 0; i < inputs; ++i)
          gwi[g * inputs + i] = store<T>(load(gwi[g * inputs + i]) +
                                         dz[g] * load(x[t * inputs + i]));
        if (k > 0)
          for (int64_t j = 0; j < E; ++j)
            gwh[g * E + j] = store<T>(load(gwh[g * E + j]) +
                                      dz[g] * outputs[(k - 1) * E + j]);
      }
      for (int64_t i = threadIdx.x; i < inputs; i += blockDim.x) {
        float sum = 0.0f;
        for (int64_t g = 0; g < G; ++g)
          sum += load(wi[g * inputs + i]) * dz[g];
        dx[t * inputs + i] = store<T>(load(dx[t * inputs + i]) + sum);
      }
      for (int64_t j = threadIdx.x; j < E; j += blockDim.x) {
        float sum = 0.0f;
        for (int64_t g = 0; g < G; ++g)
          sum += load(wh[g * E + j]) * dz[g];
        dh[j] = sum;
      }
      __syncthreads();
    }
  }
}

} // namespace

template <typename T>
void lstmForward(const T *x, const T *wIh, const T *wHh, const T *bias,
                 int64_t steps, int64_t inputs, int64_t units, T *y,
                 float *scratch, cudaStream_t stream) {
  lstmForwardKernel<<<1, kLstmThreads, 4 * units * sizeof(float), stream>>>(
      x, wIh, wHh, bias, steps, inputs, units, y, scratch);
}

template <typename T>
void lstmBackward(const T *x, const T *wIh, const T *wHh, const T *bias,
                  const T *dy, int64_t steps, int64_t inputs, int64_t units,
                  T *dx, T *dwIh, T *dwHh, T *dbias, float *scratch,
                  cudaStream_t stream) {
  lstmBackwardKernel<<<1, kLstmThreads, 4 * units * sizeof(float), stream>>>(
      x, wIh, wHh, bias, dy, steps, inputs, units, dx, dwIh, dwHh, dbias,
      scratch);
}

template <typename T>
void insertVirtualTokens(const T *x, const T *table, const int32_t *vt,
                         int64_t positions, int64_t offset, int64_t rows,
                         int64_t hidden, T *y, cudaStream_t stream) {
  const int64_t n = positions * hidden;
  if (n > 0)
    insertKernel<<<gridFor(n), kThreads, 0, stream>>>(x, table, vt, offset,
                                                      rows, hidden, n, y);
}

template <typename T>
void maskVirtualTokens(const T *dy, const int32_t *vt, int64_t positions,
                       int64_t offset, int64_t rows, int64_t hidden, T *dx,
                       cudaStream_t stream) {
  const int64_t n = positions * hidden;
  if (n > 0)
    maskKernel<<<gridFor(n), kThreads, 0, stream>>>(dy, vt, offset, rows,
                                                    hidden, n, dx);
}

template <typename T>
void virtualTokenTableGrad(const T *dy, const int32_t *vt, int64_t positions,
                           int64_t offset, int64_t rows, int64_t hidden,
                           T *dtable, cudaStream_t stream) {
  const int64_t n = rows * hidden;
  if (n > 0)
    tableGradKernel<<<gridFor(n), kThreads, 0, stream>>>(
        dy, vt, positions, offset, hidden, n, dtable);
}

#define STRATA_INSTANTIATE(T)                                                  \
  template void insertVirtualTokens<T>(const T *, const T *, const int32_t *, \
                                       int64_t, int64_t, int64_t, int64_t,     \
                                       T *, cudaStream_t);                     \
  template void maskVirtualTokens<T>(const T *, const int32_t *, int64_t,      \
                                     int64_t, int64_t, int64_t, T *,           \
                                     cudaStream_t);                            \
  template void virtualTokenTableGrad<T>(const T *, const int32_t *, int64_t,  \
                                         int64_t, int64_t, int64_t, T *,       \
                                         cudaStream_t);                        \
  template void lstmForward<T>(const T *, const T *, const T *, const T *,    \
                               int64_t, int64_t, int64_t, T *, float *,        \
                               cudaStream_t);                                  \
  template void lstmBackward<T>(const T *, const T *, const T *, const T *,   \
                                const T *, int64_t, int64_t, int64_t, T *,     \
                                T *, T *, T *, float *, cudaStream_t);
STRATA_INSTANTIATE(float)
STRATA_INSTANTIATE(__nv_bfloat16)
STRATA_INSTANTIATE(__half)
#undef STRATA_INSTANTIATE

} // namespace strata::runtime::cuda::kernels
