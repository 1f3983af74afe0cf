//===- elementwise.cu - elementwise CUDA kernels --------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The formulas are runtime/kernels/cpu/kernel_util.h's (geluValue,
// geluDerivative, sigmoid), in f32 (activation.cuh).
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/kernels/elementwise.h"
#include "runtime/backends/cuda/kernels/activation.cuh"
#include "runtime/backends/cuda/kernels/numeric.cuh"

namespace strata::runtime::cuda::kernels {

namespace {

template <typename T>
__global__ void addKernel(const T *a, const T *b, T *out, int64_t n) {
  STRATA_GRID_STRIDE(i, n) { out[i] = store<T>(load(a[i]) + load(b[i])); }
}

template <typename T>
__global__ void accumulateKernel(const T *c, T *grad, int64_t n) {
  STRATA_GRID_STRIDE(i, n) { grad[i] = store<T>(load(grad[i]) + load(c[i])); }
}

template <typename T>
__global__ void biasAddKernel(const T *x, const T *bias, int64_t cols,
                              int64_t n, T *out) {
  STRATA_GRID_STRIDE(i, n) {
    out[i] = store<T>(load(x[i]) + load(bias[i % cols]));
  }
}

template <typename T>
__global__ void geluKernel(const T *x, T *out, int64_t n, bool tanh) {
  STRATA_GRID_STRIDE(i, n) { out[i] = store<T>(geluValue(load(x[i]), tanh)); }
}

template <typename T>
__global__ void geluGradKernel(const T *x, const T *dy, T *dx, int64_t n,
                               bool tanh) {
  STRATA_GRID_STRIDE(i, n) {
    dx[i] = store<T>(load(dy[i]) * geluDerivative(load(x[i]), tanh));
  }
}

template <typename T>
__global__ void siluKernel(const T *x, T *out, int64_t n) {
  STRATA_GRID_STRIDE(i, n) {
    const float v = load(x[i]);
    out[i] = store<T>(v * sigmoid(v));
  }
}

template <typename T>
__global__ void siluGradKernel(const T *x, const T *dy, T *dx, int64_t n) {
  STRATA_GRID_STRIDE(i, n) {
    const float v = load(x[i]);
    const float s = sigmoid(v);
    dx[i] = store<T>(load(dy[i]) * (s * (1.0f + v * (1.0f - s))));
  }
}

template <typename T> __global__ void reluKernel(const T *x, T *out, int64_t n) {
  STRATA_GRID_STRIDE(i, n) { out[i] = load(x[i]) > 0.0f ? x[i] : store<T>(0.0f); }
}

template <typename T>
__global__ void reluGradKernel(const T *x, const T *dy, T *dx, int64_t n) {
  STRATA_GRID_STRIDE(i, n) {
    dx[i] = load(x[i]) > 0.0f ? dy[i] : store<T>(0.0f);
  }
}

template <typename T>
__global__ void scaleKernel(const T *x, float factor, T *out, int64_t n) {
  STRATA_GRID_STRIDE(i, n) { out[i] = store<T>(load(x[i]) * factor); }
}

template <typename T>
__global__ void swigluKernel(const T *gate, const T *up, T *out, int64_t n) {
  STRATA_GRID_STRIDE(i, n) {
    const float g = load(gate[i]);
    out[i] = store<T>(g * sigmoid(g) * load(up[i]));
  }
}

template <typename T>
__global__ void swigluGradKernel(const T *gate, const T *up, const T *dy,
                                 T *dgate, T *dup, int64_t n) {
  STRATA_GRID_STRIDE(i, n) {
    // Every input read before either output is written (they may alias).
    const float g = load(gate[i]), u = load(up[i]), d = load(dy[i]);
    const float s = sigmoid(g);
    dgate[i] = store<T>(d * u * (s * (1.0f + g * (1.0f - s))));
    dup[i] = store<T>(d * (g * s));
  }
}

template <typename From, typename To>
__global__ void castKernel(const From *in, To *out, int64_t n) {
  STRATA_GRID_STRIDE(i, n) { out[i] = store<To>(load(in[i])); }
}

} // namespace

template <typename T>
void add(const T *a, const T *b, T *out, int64_t n, cudaStream_t stream) {
  addKernel<<<gridFor(n), kThreads, 0, stream>>>(a, b, out, n);
}
template <typename T>
void accumulate(const T *contribution, T *grad, int64_t n,
                cudaStream_t stream) {
  accumulateKernel<<<gridFor(n), kThreads, 0, stream>>>(contribution, grad, n);
}
template <typename T>
void biasAdd(const T *x, const T *bias, int64_t rows, int64_t cols, T *out,
             cudaStream_t stream) {
  const int64_t n = rows * cols;
  biasAddKernel<<<gridFor(n), kThreads, 0, stream>>>(x, bias, cols, n, out);
}
template <typename T>
void gelu(const T *x, T *out, int64_t n, bool tanh, cudaStream_t stream) {
  geluKernel<<<gridFor(n), kThreads, 0, stream>>>(x, out, n, tanh);
}
template <typename T>
void geluGrad(const T *x, const T *dy, T *dx, int64_t n, bool tanh,
              cudaStream_t stream) {
  geluGradKernel<<<gridFor(n), kThreads, 0, stream>>>(x, dy, dx, n, tanh);
}
template <typename T>
void silu(const T *x, T *out, int64_t n, cudaStream_t stream) {
  siluKernel<<<gridFor(n), kThreads, 0, stream>>>(x, out, n);
}
template <typename T>
void siluGrad(const T *x, const T *dy, T *dx, int64_t n, cudaStream_t stream) {
  siluGradKernel<<<gridFor(n), kThreads, 0, stream>>>(x, dy, dx, n);
}
template <typename T>
void relu(const T *x, T *out, int64_t n, cudaStream_t stream) {
  reluKernel<<<gridFor(n), kThreads, 0, stream>>>(x, out, n);
}
template <typename T>
void reluGrad(const T *x, const T *dy, T *dx, int64_t n, cudaStream_t stream) {
  reluGradKernel<<<gridFor(n), kThreads, 0, stream>>>(x, dy, dx, n);
}
template <typename T>
void scale(const T *x, float factor, T *out, int64_t n, cudaStream_t stream) {
  scaleKernel<<<gridFor(n), kThreads, 0, stream>>>(x, factor, out, n);
}
template <typename T>
void swiglu(const T *gate, const T *up, T *out, int64_t n,
            cudaStream_t stream) {
  swigluKernel<<<gridFor(n), kThreads, 0, stream>>>(gate, up, out, n);
}
template <typename T>
void swigluGrad(const T *gate, const T *up, const T *dy, T *dgate, T *dup,
                int64_t n, cudaStream_t stream) {
  swigluGradKernel<<<gridFor(n), kThreads, 0, stream>>>(gate, up, dy, dgate,
                                                        dup, n);
}
template <typename From, typename To>
void cast(const From *in, To *out, int64_t n, cudaStream_t stream) {
  castKernel<<<gridFor(n), kThreads, 0, stream>>>(in, out, n);
}

#define STRATA_INSTANTIATE(T)                                                  \
  template void add<T>(const T *, const T *, T *, int64_t, cudaStream_t);      \
  template void accumulate<T>(const T *, T *, int64_t, cudaStream_t);          \
  template void biasAdd<T>(const T *, const T *, int64_t, int64_t, T *,        \
                           cudaStream_t);                                      \
  template void gelu<T>(const T *, T *, int64_t, bool, cudaStream_t);          \
  template void geluGrad<T>(const T *, const T *, T *, int64_t, bool,          \
                            cudaStream_t);                                     \
  template void silu<T>(const T *, T *, int64_t, cudaStream_t);                \
  template void siluGrad<T>(const T *, const T *, T *, int64_t, cudaStream_t); \
  template void relu<T>(const T *, T *, int64_t, cudaStream_t);                \
  template void reluGrad<T>(const T *, const T *, T *, int64_t, cudaStream_t); \
  template void scale<T>(const T *, float, T *, int64_t, cudaStream_t);        \
  template void swiglu<T>(const T *, const T *, T *, int64_t, cudaStream_t);   \
  template void swigluGrad<T>(const T *, const T *, const T *, T *, T *,       \
                              int64_t, cudaStream_t);
STRATA_INSTANTIATE(float)
STRATA_INSTANTIATE(__nv_bfloat16)
STRATA_INSTANTIATE(__half)
#undef STRATA_INSTANTIATE

#define STRATA_CAST(From, To)                                                  \
  template void cast<From, To>(const From *, To *, int64_t, cudaStream_t);
#define STRATA_CASTS_FROM(From)                                                \
  STRATA_CAST(From, float)                                                     \
  STRATA_CAST(From, __nv_bfloat16)                                             \
  STRATA_CAST(From, __half)
STRATA_CASTS_FROM(float)
STRATA_CASTS_FROM(__nv_bfloat16)
STRATA_CASTS_FROM(__half)
#undef STRATA_CASTS_FROM
#undef STRATA_CAST

} // namespace strata::runtime::cuda::kernels
