//===- model_step_model.h - the engine's model on this rank -----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// PagedModel over this process's executor (inference::ModelStep). Serving
// needs a paged artifact (strata-compile --mode infer --kv-block-size N)
// whose prefill selects each row's last position; a prompt-learning
// model's prefill gets no virtual tokens here (every position is real).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_SERVING_MODEL_STEP_MODEL_H
#define STRATA_RUNTIME_SERVING_MODEL_STEP_MODEL_H

#include "runtime/inference/model_step.h"
#include "runtime/serving/paged_model.h"

namespace strata::runtime::serving {

class ModelStepModel : public PagedModel {
public:
  /// Errors naming |artifactPath| and the compile flag when |step| is not
  /// paged or does not select the last positions.
  static StatusOr<std::unique_ptr<ModelStepModel>>
  create(inference::ModelStep step, const std::string &artifactPath);

  CallShape prefillShape() const override;
  CallShape decodeShape() const override;
  int64_t vocabSize() const override { return step_.vocabSize(); }
  int64_t blockSize() const override { return step_.blockSize(); }
  int64_t numBlocks() const override { return step_.numBlocks(); }
  bool takesVirtualTokens() const override {
    return step_.takesVirtualTokens();
  }
  StatusOr<const float *> prefill(const CallInputs &inputs) override;
  StatusOr<const float *> decode(const CallInputs &inputs) override;

private:
  explicit ModelStepModel(inference::ModelStep step)
      : step_(std::move(step)) {}
  inference::ModelStep step_;
};

} // namespace strata::runtime::serving

#endif // STRATA_RUNTIME_SERVING_MODEL_STEP_MODEL_H
