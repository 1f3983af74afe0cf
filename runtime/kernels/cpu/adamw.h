//===- adamw.h - AdamW and gradient clipping ----------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// torch.optim.AdamW (torch 1.13, single-tensor path, amsgrad=False,
// maximize=False) one tensor at a time, and torch.nn.utils.clip_grad_norm_
// split into a deterministic norm and an in-place scale.
//
// Usage (one optimizer step over all parameters):
//   double sq = globalNormSquared(grads, sizes, count);
//   double coef = clipGradNormCoefficient(std::sqrt(sq), maxNorm);
//   if (coef < 1.0)
//     for (...) scaleInPlace(grad[i], size[i], float(coef));
//   for (...) adamwStep(param[i], grad[i], m[i], v[i], size[i], config,
//                       step, /*applyWeightDecay=*/!isBiasOrNorm[i]);
//
// Mixed precision (NeMo/Megatron megatron_amp_O2): bf16 (or f16) model
// parameters, f32 main parameters, f32 gradients (accumulated over
// micro-batches with accumulateCast, mixed_precision.h) and f32 moments:
//   adamwStepMixed(main[i], grad32[i], m[i], v[i], size[i], config, step,
//                  !isBiasOrNorm[i], modelBf16[i]);
// updates the f32 main parameter exactly as adamwStep<float> does and
// writes its rounding into the bf16 model parameter in the same pass.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_KERNELS_CPU_ADAMW_H
#define STRATA_RUNTIME_KERNELS_CPU_ADAMW_H

#include "runtime/kernels/cpu/elementwise.h"

#include <cstdint>

namespace strata::runtime::cpu {

/// torch.optim.AdamW's hyperparameters (same defaults).
struct AdamWConfig {
  double learningRate = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double epsilon = 1e-8;
  double weightDecay = 1e-2;
};

/// One AdamW step on a tensor of |n| elements, |step| = 1 for the first
/// step (torch's state['step'] after its increment). In torch's order:
///   p  *= 1 - lr * wd                   (only when |applyWeightDecay|)
///   m   = beta1 * m + (1 - beta1) * g
///   v   = beta2 * v + (1 - beta2) * g^2
///   p  -= lr / (1 - beta1^step) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps)
/// |param|, |expAvg| (m) and |expAvgSq| (v) are updated in place; m and v
/// start at zero. T = float, double, bf16 or f16 (16-bit tensors updated in
/// float, each rounded once; mixed precision keeps f32 state instead, see
/// adamwStepMixed).
template <typename T>
void adamwStep(T *param, const T *grad, T *expAvg, T *expAvgSq, int64_t n,
               const AdamWConfig &config, int64_t step, bool applyWeightDecay);

/// adamwStep<float> on the f32 main parameter |mainParam| (bitwise the
/// same), |grad|, |expAvg| and |expAvgSq|, also writing |modelParam|[i] =
/// T(mainParam[i]) (round to nearest even), the model's copy of the
/// updated parameter. T = bf16, f16 (or float).
template <typename T>
void adamwStepMixed(float *mainParam, const float *grad, float *expAvg,
                    float *expAvgSq, int64_t n, const AdamWConfig &config,
                    int64_t step, bool applyWeightDecay, T *modelParam);

/// sum over tensors t < |count| and i < sizes[t] of tensors[t][i]^2,
/// accumulated in double in an order fixed by the sizes alone (chunks of
/// 2^16 elements summed in parallel, the chunk sums then added in order).
/// Any element type (16-bit values widened exactly).
template <typename T>
double globalNormSquared(const T *const *tensors, const int64_t *sizes,
                         int64_t count);

/// torch.nn.utils.clip_grad_norm_'s factor: max_norm / (total_norm + 1e-6),
/// capped at 1 (1 means: leave the gradients alone). |totalNorm| is the L2
/// norm, sqrt(globalNormSquared(...)).
double clipGradNormCoefficient(double totalNorm, double maxNorm);

} // namespace strata::runtime::cpu

#endif // STRATA_RUNTIME_KERNELS_CPU_ADAMW_H
