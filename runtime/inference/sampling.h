//===- sampling.h - choosing the next token from logits ---------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Greedy (temperature 0) takes the argmax (the lowest id among ties).
// Otherwise the logits are divided by the temperature, restricted to the
// top-k ids (k > 0) and then to the smallest set whose probability reaches
// top-p (p < 1), renormalized, and sampled with a counter-based generator:
// the draw for (seed, row, step) is fixed, so a batch of prompts samples
// each row as it would alone, and a run is reproducible from its seed.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_INFERENCE_SAMPLING_H
#define STRATA_RUNTIME_INFERENCE_SAMPLING_H

#include "runtime/support/status.h"

#include <cstdint>
#include <vector>

namespace strata::runtime::inference {

struct SamplingOptions {
  /// 0: greedy.
  double temperature = 1.0;
  /// Keep the k most likely ids (0: all).
  int64_t topK = 0;
  /// Keep the most likely ids up to this cumulative probability (1: all).
  double topP = 1.0;
  uint64_t seed = 0;

  /// Errors naming the flag for a negative temperature or k, p outside (0, 1].
  Status validate() const;
};

/// The next token from |logits| (|vocab| values; ids >= |allowed| are
/// never chosen: the padded part of a vocabulary), for batch row |row| at
/// generation step |step|.
int32_t sampleToken(const float *logits, int64_t vocab, int64_t allowed,
                    const SamplingOptions &options, uint64_t row,
                    uint64_t step);

/// The index of the largest of |n| values (the first among equal ones).
int32_t argmax(const float *values, int64_t n);

} // namespace strata::runtime::inference

#endif // STRATA_RUNTIME_INFERENCE_SAMPLING_H
