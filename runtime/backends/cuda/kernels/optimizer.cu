//===- optimizer.cu - gradient norms, clipping and AdamW on the GPU -------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The formulas are runtime/kernels/cpu/adamw.cc's: the step's scalars are
// formed in double (torch's Python floats) and rounded to float where they
// meet the tensors; the update is in float in torch's order.
//
// TODO(perf): AdamW is one launch per parameter (one instruction each); a
// multi-tensor launch over all parameters of a step (apex/torch's
// multi_tensor_apply) needs the instructions fused first. The norm too is
// one launch per tensor plus the final sum.
// Why not batch in the dispatch: Backend::run sees one descriptor, and
// optimizer_step (DeriveTraining.cpp) emits per parameter `adamw` then,
// under O2 (the GPU's bf16 case), `param_from_main`, so AdamWs are
// consecutive only in f32 programs; merging them in the shared preparation
// would change every backend to win only there. What the compiler would
// emit: one `tfm.adamw` over a list of parameters (trailing parameter
// indices in the instruction's ints, as GradNorm's already are, so the
// preparation fills OptimizerShape::parameters with all of them), sharing
// the scalar operands (lr, betas, eps, weight decay, step, coefficient,
// if_finite norm), and, under O2, the rounding into the 16-bit value done
// by the same instruction (a `main` flag per slot) instead of a
// `param_from_main` per parameter. The CUDA side is then one launch over a
// table of (value, grad, m, v, count, weight decay) chunks built once at
// load in the backend's own workspace, each block taking a fixed chunk, so
// results stay bitwise those of the per-parameter kernel.
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/kernels/numeric.cuh"
#include "runtime/backends/cuda/kernels/optimizer.h"
#include "runtime/backends/cuda/kernels/reduce.cuh"

namespace strata::runtime::cuda::kernels {

namespace {

/// squareSumPartials: blocks of 256 threads, one block per 4096 elements up
/// to 1024 blocks (then each thread strides further). The grid depends on
/// the size alone, so the partial sums are the same on every GPU.
constexpr int kNormThreads = 256;
constexpr int64_t kNormElementsPerBlock = 4096;
constexpr int64_t kNormMaxBlocks = 1024;
/// The final sum's single block.
constexpr int kFinishThreads = 1024;

__global__ void __launch_bounds__(kNormThreads)
    squareSumPartialsKernel(const float *x, int64_t n, double *partials) {
  double sum = 0.0;
  STRATA_GRID_STRIDE(i, n) {
    const double v = double(x[i]);
    sum += v * v;
  }
  sum = blockSum(sum);
  if (threadIdx.x == 0)
    partials[blockIdx.x] = sum;
}

__global__ void __launch_bounds__(kFinishThreads)
    squareSumFinishKernel(const double *partials, int64_t count,
                          const float *plus, bool squareRoot, float *out) {
  double total = 0.0;
  for (int64_t i = threadIdx.x; i < count; i += blockDim.x)
    total += partials[i];
  total = blockSum(total);
  if (threadIdx.x == 0) {
    if (plus) // a sum of squares computed elsewhere (another stage's)
      total += double(*plus);
    *out = float(squareRoot ? sqrt(total) : total);
  }
}

__global__ void clipCoefficientKernel(const float *norm, const float *maxNorm,
                                      float *out) {
  // A max norm <= 0 means no clipping (NeMo's gradient_clip_val: 0). A NaN
  // coefficient is not < 1: the factor is 1, as on the CPU.
  const double m = double(*maxNorm);
  const double coef = m / (double(*norm) + 1e-6);
  *out = float(m > 0.0 ? (coef < 1.0 ? coef : 1.0) : 1.0);
}

__global__ void unscaleKernel(const float *value, const float *scale,
                              float *out) {
  *out = float(double(*value) / double(*scale));
}

/// One step's constants (the CPU's AdamWScalars<float>), formed in double.
struct AdamWConstants {
  float decay, beta1, oneMinusBeta1, beta2, oneMinusBeta2, stepSize,
      correction2Sqrt, epsilon;
  bool validStep;
};

__device__ AdamWConstants adamwConstants(const AdamWOperands &s,
                                         bool applyWeightDecay) {
  const double lr = double(*s.learningRate), beta1 = double(*s.beta1),
               beta2 = double(*s.beta2);
  const double step = trunc(double(*s.step)); // the CPU's int64_t(step)
  AdamWConstants k;
  k.decay = float(applyWeightDecay ? 1.0 - lr * double(*s.weightDecay) : 1.0);
  k.beta1 = float(beta1);
  k.oneMinusBeta1 = float(1.0 - beta1);
  k.beta2 = float(beta2);
  k.oneMinusBeta2 = float(1.0 - beta2);
  k.stepSize = float(lr / (1.0 - pow(beta1, step)));
  k.correction2Sqrt = float(sqrt(1.0 - pow(beta2, step)));
  k.epsilon = float(*s.epsilon);
  k.validStep = step >= 1.0;
  return k;
}

__global__ void adamwKernel(float *param, float *grad, float *expAvg,
                            float *expAvgSq, int64_t n, AdamWOperands s,
                            bool applyWeightDecay) {
  // f16 loss scaling: a non-finite norm (an overflow anywhere, the same on
  // every rank) skips the step. Every thread reads the same value, so the
  // whole block returns together, before the barrier below.
  if (s.finite && !isfinite(*s.finite))
    return;
  __shared__ AdamWConstants k;
  if (threadIdx.x == 0)
    k = adamwConstants(s, applyWeightDecay);
  __syncthreads();
  if (!k.validStep) {
    STRATA_GRID_STRIDE(i, n) { param[i] = CUDART_NAN_F; }
    return;
  }
  const float scale = *s.gradScale;
  STRATA_GRID_STRIDE(i, n) {
    float g = grad[i];
    if (scale != 1.0f) {
      g *= scale;
      grad[i] = g;
    }
    float m = expAvg[i], v = expAvgSq[i];
    const float p = param[i] * k.decay;
    m = m * k.beta1 + g * k.oneMinusBeta1;
    v = v * k.beta2 + g * g * k.oneMinusBeta2;
    const float denom = sqrtf(v) / k.correction2Sqrt + k.epsilon;
    expAvg[i] = m;
    expAvgSq[i] = v;
    param[i] = p - k.stepSize * (m / denom);
  }
}

} // namespace

int64_t squareSumBlocks(int64_t n) {
  const int64_t blocks =
      (n + kNormElementsPerBlock - 1) / kNormElementsPerBlock;
  return blocks < 1 ? 1 : (blocks > kNormMaxBlocks ? kNormMaxBlocks : blocks);
}

void squareSumPartials(const float *x, int64_t n, double *partials,
                       cudaStream_t stream) {
  squareSumPartialsKernel<<<unsigned(squareSumBlocks(n)), kNormThreads, 0,
                            stream>>>(x, n, partials);
}

void squareSumFinish(const double *partials, int64_t count, const float *plus,
                     bool squareRoot, float *out, cudaStream_t stream) {
  squareSumFinishKernel<<<1, kFinishThreads, 0, stream>>>(partials, count, plus,
                                                          squareRoot, out);
}

void clipCoefficient(const float *norm, const float *maxNorm, float *out,
                     cudaStream_t stream) {
  clipCoefficientKernel<<<1, 1, 0, stream>>>(norm, maxNorm, out);
}

void unscale(const float *value, const float *scale, float *out,
             cudaStream_t stream) {
  unscaleKernel<<<1, 1, 0, stream>>>(value, scale, out);
}

void adamw(float *param, float *grad, float *expAvg, float *expAvgSq, int64_t n,
           const AdamWOperands &operands, bool applyWeightDecay,
           cudaStream_t stream) {
  adamwKernel<<<gridFor(n), kThreads, 0, stream>>>(
      param, grad, expAvg, expAvgSq, n, operands, applyWeightDecay);
}

} // namespace strata::runtime::cuda::kernels
