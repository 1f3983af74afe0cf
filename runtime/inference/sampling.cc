//===- sampling.cc - choosing the next token from logits ------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/inference/sampling.h"

#include "runtime/kernels/cpu/philox.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace strata::runtime::inference {

Status SamplingOptions::validate() const {
  if (!(temperature >= 0.0) || !std::isfinite(temperature))
    return Status::invalidArgument("--temperature " +
                                   std::to_string(temperature) +
                                   " should be a finite value >= 0");
  if (topK < 0)
    return Status::invalidArgument("--top-k " + std::to_string(topK) +
                                   " should be >= 0 (0: no limit)");
  if (!(topP > 0.0 && topP <= 1.0))
    return Status::invalidArgument("--top-p " + std::to_string(topP) +
                                   " should be in (0, 1]");
  return Status::ok();
}

int32_t argmax(const float *values, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (values[i] > values[best])
      best = i;
  return static_cast<int32_t>(best);
}

int32_t sampleToken(const float *logits, int64_t vocab, int64_t allowed,
                    const SamplingOptions &options, uint64_t row,
                    uint64_t step) {
  const int64_t n = std::min(vocab, allowed > 0 ? allowed : vocab);
  if (options.temperature == 0.0)
    return argmax(logits, n);
  // Candidates by decreasing logit (ties: lower id first), cut to top-k.
  std::vector<int32_t> ids(static_cast<size_t>(n));
  std::iota(ids.begin(), ids.end(), 0);
  auto higher = [&](int32_t a, int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  };
  int64_t keep = options.topK > 0 ? std::min(options.topK, n) : n;
  std::partial_sort(ids.begin(), ids.begin() + keep, ids.end(), higher);
  ids.resize(static_cast<size_t>(keep));
  // Softmax over the candidates at the temperature, in double.
  std::vector<double> p(ids.size());
  const double maxLogit = logits[ids[0]];
  double total = 0.0;
  for (size_t i = 0; i < ids.size(); ++i) {
    p[i] = std::exp((double(logits[ids[i]]) - maxLogit) / options.temperature);
    total += p[i];
  }
  // Nucleus: the shortest prefix whose mass reaches top-p.
  if (options.topP < 1.0) {
    double mass = 0.0;
    size_t cut = 0;
    while (cut < p.size()) {
      mass += p[cut++] / total;
      if (mass >= options.topP)
        break;
    }
    p.resize(cut);
    total = std::accumulate(p.begin(), p.end(), 0.0);
  }
  // One uniform number per (seed, row, step).
  const uint32_t bits = cpu::philoxBits(options.seed, row, step);
  const double u = (double(bits) + 0.5) * 0x1p-32 * total;
  double acc = 0.0;
  for (size_t i = 0; i < p.size(); ++i) {
    acc += p[i];
    if (u < acc)
      return ids[i];
  }
  return ids[p.size() - 1];
}

} // namespace strata::runtime::inference
