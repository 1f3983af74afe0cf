//===- paged_model.h - what the engine needs of a model ---------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The engine's view of a paged inference artifact: its two functions and
// their shapes. One implementation runs them on this process's executor
// (model_step_model.h); under tensor parallelism the first rank's
// implementation also sends each call's inputs to the other ranks, which
// run the same call (rank_worker.h).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_SERVING_PAGED_MODEL_H
#define STRATA_RUNTIME_SERVING_PAGED_MODEL_H

#include "runtime/serving/step_inputs.h"
#include "runtime/support/status.h"

namespace strata::runtime::serving {

class PagedModel {
public:
  virtual ~PagedModel() = default;
  virtual CallShape prefillShape() const = 0;
  virtual CallShape decodeShape() const = 0;
  virtual int64_t vocabSize() const = 0;
  virtual int64_t blockSize() const = 0;
  virtual int64_t numBlocks() const = 0;
  /// Prefill takes each position's virtual row (a prompt-learning model).
  virtual bool takesVirtualTokens() const { return false; }
  /// Runs a call; the result is each row's logits at its last token,
  /// [batch, vocab] f32, valid until the next call.
  virtual StatusOr<const float *> prefill(const CallInputs &inputs) = 0;
  virtual StatusOr<const float *> decode(const CallInputs &inputs) = 0;
  /// Called about once a second while there is nothing to run.
  virtual Status idle() { return Status::ok(); }
  /// The engine stopped: no call follows.
  virtual Status close() { return Status::ok(); }
};

} // namespace strata::runtime::serving

#endif // STRATA_RUNTIME_SERVING_PAGED_MODEL_H
