//===- sequence_loss.h - next-token loss through decode ---------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The mean next-token cross-entropy of token rows computed by an inference
// artifact (`strata-run eval` on a `--mode infer` artifact): teacher
// forcing through `decode`, one position per call over the KV cache, so
// what is measured is the program generation runs (its quantized weights
// included, docs/quantization.md). Slower than a training artifact's
// `forward` (a call per position), meant for validation sets.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_INFERENCE_SEQUENCE_LOSS_H
#define STRATA_RUNTIME_INFERENCE_SEQUENCE_LOSS_H

#include "runtime/executor/executor.h"
#include "runtime/io/host_tensor.h"
#include "runtime/support/status.h"

#include <cstdint>

namespace strata::runtime::inference {

struct SequenceLoss {
  double loss = 0.0;    // mean over the predicted tokens
  int64_t tokens = 0;   // rows * (columns - 1)
};

/// |tokens| I32 or I64 [rows, S + 1]: row r's inputs are tokens[r, :S], its
/// labels tokens[r, 1:]. Rows go through decode |batch| at a time (the
/// artifact's batch; rows must be a multiple of it) at positions 0..S-1,
/// which must fit the KV cache. Errors name the artifact's limits.
StatusOr<SequenceLoss> decodeSequenceLoss(Executor &executor,
                                          const io::HostTensor &tokens);

} // namespace strata::runtime::inference

#endif // STRATA_RUNTIME_INFERENCE_SEQUENCE_LOSS_H
