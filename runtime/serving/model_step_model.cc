//===- model_step_model.cc - the engine's model on this rank --------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/serving/model_step_model.h"

namespace strata::runtime::serving {

StatusOr<std::unique_ptr<ModelStepModel>>
ModelStepModel::create(inference::ModelStep step,
                       const std::string &artifactPath) {
  if (!step.paged())
    return Status::failedPrecondition(
        artifactPath + " keeps one KV-cache row per batch row; serving "
                       "shares a paged cache between requests: compile it "
                       "with strata-compile --mode infer --kv-block-size 16");
  if (!step.selectsLast())
    return Status::failedPrecondition(
        artifactPath + ": its prefill returns the logits of every position; "
                       "serving needs one per row (the `last` argument of "
                       "strata-compile --mode infer)");
  return std::unique_ptr<ModelStepModel>(new ModelStepModel(std::move(step)));
}

CallShape ModelStepModel::prefillShape() const {
  return CallShape{step_.prefillBatchSize(), step_.prefillLength(),
                   step_.contextLength(), step_.tableWidth(),
                   static_cast<int32_t>(step_.numBlocks() - 1)};
}

CallShape ModelStepModel::decodeShape() const {
  CallShape shape = prefillShape();
  shape.batch = step_.batchSize();
  shape.length = 1;
  return shape;
}

StatusOr<const float *> ModelStepModel::prefill(const CallInputs &in) {
  return step_.prefill(in.tokens, in.positions, &in.last, &in.blockTable,
                       step_.takesVirtualTokens() ? &in.virtualTokens
                                                  : nullptr);
}

StatusOr<const float *> ModelStepModel::decode(const CallInputs &in) {
  return step_.decode(in.tokens, in.positions, &in.blockTable);
}

} // namespace strata::runtime::serving
