//===- optimizer.h - gradient norms, clipping, AdamW ------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Launchers of runtime/kernels/cpu/adamw.h's computations on f32 slots (the
// optimizer runs in F32 only: mixed precision keeps f32 main parameters,
// gradients and moments). Every scalar operand (the learning rate, the
// step, the gradient scale, a norm) stays on the device: the kernels read
// it there, so a step never waits for the GPU. In particular AdamW's
// decisions to skip are made on the device: with |finite| set, every block
// returns before touching anything when *finite is not finite (f16 loss
// scaling's overflow).
//
// The norm is a deterministic two-pass reduction in double (as the CPU's
// globalNormSquared): squareSumPartials writes one partial sum per block of
// a grid whose size depends on the tensor's size alone, and squareSumFinish
// adds every partial in order in one block.
//
// Usage (GradNorm over tensors t of counts n[t]):
//   int64_t at = 0;
//   for (t...) { squareSumPartials(x[t], n[t], partials + at, s);
//                at += squareSumBlocks(n[t]); }
//   squareSumFinish(partials, at, plus, /*squareRoot=*/true, out, s);
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_OPTIMIZER_H
#define STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_OPTIMIZER_H

#include <cuda_runtime_api.h>

#include <cstdint>

namespace strata::runtime::cuda::kernels {

/// The partial sums squareSumPartials writes for a tensor of |n| elements
/// (at least 1, at most 1024).
int64_t squareSumBlocks(int64_t n);

/// partials[b] = the sum over block b's elements of x[i]^2 (in double),
/// b < squareSumBlocks(n).
void squareSumPartials(const float *x, int64_t n, double *partials,
                       cudaStream_t stream);

/// *out = s or sqrt(s) (|squareRoot|), s = the sum of partials[0, count) in
/// a fixed order, plus *plus when |plus| is not null, rounded to float.
void squareSumFinish(const double *partials, int64_t count, const float *plus,
                     bool squareRoot, float *out, cudaStream_t stream);

/// *out = torch's clip_grad_norm_ factor min(maxNorm / (norm + 1e-6), 1),
/// or 1 when *maxNorm <= 0 (no clipping), computed in double.
void clipCoefficient(const float *norm, const float *maxNorm, float *out,
                     cudaStream_t stream);

/// *out = *value / *scale (in double, rounded to float).
void unscale(const float *value, const float *scale, float *out,
             cudaStream_t stream);

/// AdamW's scalar operands, device pointers to one float each, in the
/// instruction's order; |finite| (the eighth operand) may be null.
struct AdamWOperands {
  const float *learningRate, *beta1, *beta2, *epsilon, *weightDecay, *step,
      *gradScale, *finite;
};

/// One torch.optim.AdamW step (cpu::adamwStep<float>) on |n| elements of
/// |param|, in place with the moments |expAvg|, |expAvgSq|; decoupled
/// weight decay only when |applyWeightDecay|. |step| is truncated to an
/// integer as the CPU does; a step below 1 (which the CPU refuses with an
/// error) sets the parameters to NaN instead of guessing. When *gradScale
/// is not 1 the gradient is first scaled in place (the CPU's
/// scaleInPlace: the slot keeps the scaled gradient).
void adamw(float *param, float *grad, float *expAvg, float *expAvgSq, int64_t n,
           const AdamWOperands &operands, bool applyWeightDecay,
           cudaStream_t stream);

} // namespace strata::runtime::cuda::kernels

#endif // STRATA_RUNTIME_BACKENDS_CUDA_KERNELS_OPTIMIZER_H
