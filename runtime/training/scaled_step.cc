//===- scaled_step.cc - an optimizer step under f16 loss scaling ----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/training/scaled_step.h"

#include <nlohmann/json.hpp>

#include <cmath>

namespace strata::runtime::training {

StatusOr<std::optional<LossScalerSettings>>
lossScalerSettingsOf(const Executor &executor, const ModelProgram &program,
                     double minScale) {
  if (!program.scalesLoss())
    return std::optional<LossScalerSettings>();
  const auto *text = executor.root().config_json();
  const nlohmann::json config =
      nlohmann::json::parse(text ? text->str() : std::string("{}"), nullptr,
                            /*allow_exceptions=*/false);
  const std::string path = executor.artifact().path();
  if (!config.is_object())
    return Status::dataLoss(path +
                            ": the model configuration is not a JSON object");
  LossScalerSettings settings;
  auto number = [&](const char *key, auto &into) -> Status {
    auto it = config.find(key);
    if (it == config.end())
      return Status::ok(); // NeMo's default
    if (!it->is_number())
      return Status::dataLoss(path + ": configuration key " + key +
                              " is not a number: " + it->dump());
    into = it->get<std::remove_reference_t<decltype(into)>>();
    return Status::ok();
  };
  STRATA_RETURN_IF_ERROR(number("native_amp_init_scale", settings.initialScale));
  STRATA_RETURN_IF_ERROR(
      number("native_amp_growth_interval", settings.growthInterval));
  STRATA_RETURN_IF_ERROR(number("hysteresis", settings.hysteresis));
  settings.minScale = minScale;
  if (Status valid = settings.validate(); !valid.isOk())
    return valid.withContext(path);
  return std::optional<LossScalerSettings>(settings);
}

namespace {

/// The step on |batch| (a token file's rows or a TokenBatch).
template <typename Batch>
StatusOr<ScaledStep> scaledStep(ModelProgram &program,
                                DynamicLossScaler *scaler, const Batch &batch,
                                const AdamWHyperparameters &hyper,
                                int64_t step) {
  ScaledStep out;
  if (!scaler) {
    STRATA_ASSIGN_OR_RETURN(out.result, program.trainStep(batch, hyper, step));
    return out;
  }
  out.lossScale = scaler->scale();
  const int64_t applied = step - scaler->skippedSteps();
  STRATA_ASSIGN_OR_RETURN(
      out.result, program.trainStep(batch, hyper, applied, out.lossScale));
  out.skipped = !std::isfinite(out.result.gradNorm);
  STRATA_RETURN_IF_ERROR(scaler->update(!out.skipped, step));
  return out;
}

} // namespace

StatusOr<ScaledStep> runScaledStep(ModelProgram &program,
                                   DynamicLossScaler *scaler,
                                   const io::HostTensor &tokens,
                                   const AdamWHyperparameters &hyper,
                                   int64_t step) {
  return scaledStep(program, scaler, tokens, hyper, step);
}

StatusOr<ScaledStep> runScaledStep(ModelProgram &program,
                                   DynamicLossScaler *scaler,
                                   const TokenBatch &batch,
                                   const AdamWHyperparameters &hyper,
                                   int64_t step) {
  return scaledStep(program, scaler, batch, hyper, step);
}

} // namespace strata::runtime::training
