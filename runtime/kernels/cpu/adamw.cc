//===- adamw.cc - AdamW and gradient clipping ----------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/adamw.h"

#include "runtime/kernels/cpu/kernel_util.h"

namespace strata::runtime::cpu {

template <typename T>
void adamwStep(T *param, const T *grad, T *expAvg, T *expAvgSq, int64_t n,
               const AdamWConfig &config, int64_t step, bool applyWeightDecay) {
  const double lr = config.learningRate;
  // Scalars as torch forms them: Python floats (double), rounded to T where
  // they meet the tensor.
  const T decay = T(applyWeightDecay ? 1.0 - lr * config.weightDecay : 1.0);
  const T beta1 = T(config.beta1), oneMinusBeta1 = T(1.0 - config.beta1);
  const T beta2 = T(config.beta2), oneMinusBeta2 = T(1.0 - config.beta2);
  const double biasCorrection1 = 1.0 - std::pow(config.beta1, double(step));
  const double biasCorrection2 = 1.0 - std::pow(config.beta2, double(step));
  const T stepSize = T(lr / biasCorrection1);
  const T correction2Sqrt = T(std::sqrt(biasCorrection2));
  const T eps = T(config.epsilon);
  detail::parallelChunks(n, detail::kElementwiseGrain, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i) {
      const T g = grad[i];
      const T p = param[i] * decay;
      const T m = expAvg[i] * beta1 + g * oneMinusBeta1;
      const T v = expAvgSq[i] * beta2 + g * g * oneMinusBeta2;
      const T denom = std::sqrt(v) / correction2Sqrt + eps;
      expAvg[i] = m;
      expAvgSq[i] = v;
      param[i] = p - stepSize * (m / denom);
    }
  });
}

template <typename T>
double globalNormSquared(const T *const *tensors, const int64_t *sizes,
                         int64_t count) {
  constexpr int64_t kChunk = 1 << 16;
  constexpr int64_t kGroup = 64; // chunks per parallel pass
  double total = 0.0;
  for (int64_t t = 0; t < count; ++t) {
    const T *x = tensors[t];
    const int64_t n = sizes[t];
    const int64_t chunks = (n + kChunk - 1) / kChunk;
    for (int64_t c0 = 0; c0 < chunks; c0 += kGroup) {
      const int64_t group = std::min(kGroup, chunks - c0);
      double partial[kGroup];
#pragma omp parallel for schedule(static) if (group > 1)
      for (int64_t c = 0; c < group; ++c) {
        const int64_t b = (c0 + c) * kChunk, e = std::min(n, b + kChunk);
        double acc[8] = {};
        int64_t i = b;
        for (; i + 8 <= e; i += 8)
          for (int j = 0; j < 8; ++j)
            acc[j] += double(x[i + j]) * double(x[i + j]);
        for (int j = 0; i < e; ++i, ++j)
          acc[j] += double(x[i]) * double(x[i]);
        partial[c] = detail::combineLanes(acc);
      }
      for (int64_t c = 0; c < group; ++c)
        total += partial[c];
    }
  }
  return total;
}

double clipGradNormCoefficient(double totalNorm, double maxNorm) {
  const double coef = maxNorm / (totalNorm + 1e-6);
  return coef < 1.0 ? coef : 1.0;
}

#define STRATA_INSTANTIATE(T)                                                  \
  template void adamwStep<T>(T *, const T *, T *, T *, int64_t,                \
                             const AdamWConfig &, int64_t, bool);              \
  template double globalNormSquared<T>(const T *const *, const int64_t *,      \
                                       int64_t);
STRATA_INSTANTIATE(float)
STRATA_INSTANTIATE(double)
#undef STRATA_INSTANTIATE

} // namespace strata::runtime::cpu
