//===- adamw.cc - AdamW and gradient clipping ----------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/adamw.h"

#include "runtime/kernels/cpu/kernel_util.h"

namespace strata::runtime::cpu {
namespace {

/// One step's scalars as torch forms them: Python floats (double), rounded
/// to A (the arithmetic type) where they meet the tensor.
template <typename A>
struct AdamWScalars {
  A decay, beta1, oneMinusBeta1, beta2, oneMinusBeta2, stepSize,
      correction2Sqrt, eps;

  AdamWScalars(const AdamWConfig &config, int64_t step, bool applyWeightDecay) {
    const double lr = config.learningRate;
    decay = A(applyWeightDecay ? 1.0 - lr * config.weightDecay : 1.0);
    beta1 = A(config.beta1);
    oneMinusBeta1 = A(1.0 - config.beta1);
    beta2 = A(config.beta2);
    oneMinusBeta2 = A(1.0 - config.beta2);
    const double biasCorrection1 = 1.0 - std::pow(config.beta1, double(step));
    const double biasCorrection2 = 1.0 - std::pow(config.beta2, double(step));
    stepSize = A(lr / biasCorrection1);
    correction2Sqrt = A(std::sqrt(biasCorrection2));
    eps = A(config.epsilon);
  }

  /// The update of one element: m and v in place, the new parameter
  /// returned.
  STRATA_ALWAYS_INLINE A update(A param, A g, A &m, A &v) const {
    const A p = param * decay;
    m = m * beta1 + g * oneMinusBeta1;
    v = v * beta2 + g * g * oneMinusBeta2;
    const A denom = std::sqrt(v) / correction2Sqrt + eps;
    return p - stepSize * (m / denom);
  }
};

} // namespace

template <typename T>
void adamwStep(T *param, const T *grad, T *expAvg, T *expAvgSq, int64_t n,
               const AdamWConfig &config, int64_t step, bool applyWeightDecay) {
  using A = AccumulatorOf<T>;
  const AdamWScalars<A> k(config, step, applyWeightDecay);
  detail::parallelChunks(n, detail::kElementwiseGrain, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i) {
      A m = A(expAvg[i]), v = A(expAvgSq[i]);
      const A p = k.update(A(param[i]), A(grad[i]), m, v);
      expAvg[i] = T(m);
      expAvgSq[i] = T(v);
      param[i] = T(p);
    }
  });
}

template <typename T>
void adamwStepMixed(float *mainParam, const float *grad, float *expAvg,
                    float *expAvgSq, int64_t n, const AdamWConfig &config,
                    int64_t step, bool applyWeightDecay, T *modelParam) {
  const AdamWScalars<float> k(config, step, applyWeightDecay);
  detail::parallelChunks(n, detail::kElementwiseGrain, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i) {
      float m = expAvg[i], v = expAvgSq[i];
      const float p = k.update(mainParam[i], grad[i], m, v);
      expAvg[i] = m;
      expAvgSq[i] = v;
      mainParam[i] = p;
      modelParam[i] = T(p);
    }
  });
}

template <typename T>
double globalNormSquared(const T *const *tensors, const int64_t *sizes,
                         int64_t count) {
  constexpr int64_t kChunk = 1 << 16;
  constexpr int64_t kGroup = 64; // chunks per parallel pass
  auto widen = [](T x) { return double(AccumulatorOf<T>(x)); };
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
            acc[j] += widen(x[i + j]) * widen(x[i + j]);
        for (int j = 0; i < e; ++i, ++j)
          acc[j] += widen(x[i]) * widen(x[i]);
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
STRATA_FOR_EACH_ELEMENT_TYPE(STRATA_INSTANTIATE)
#undef STRATA_INSTANTIATE

#define STRATA_INSTANTIATE(T)                                                  \
  template void adamwStepMixed<T>(float *, const float *, float *, float *,    \
                                  int64_t, const AdamWConfig &, int64_t, bool, \
                                  T *);
STRATA_INSTANTIATE(float)
STRATA_INSTANTIATE(bf16)
STRATA_INSTANTIATE(f16)
#undef STRATA_INSTANTIATE

} // namespace strata::runtime::cpu
