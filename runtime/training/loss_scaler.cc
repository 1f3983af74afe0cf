//===- loss_scaler.cc - dynamic loss scaling for f16 training -------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/training/loss_scaler.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace strata::runtime::training {

namespace {

std::string number(double value) {
  char text[40];
  std::snprintf(text, sizeof(text), "%.10g", value);
  return text;
}

} // namespace

Status LossScalerSettings::validate() const {
  if (!(minScale > 0.0) || !std::isfinite(minScale))
    return Status::invalidArgument("the minimum loss scale " +
                                   number(minScale) +
                                   " should be positive and finite");
  if (!(initialScale >= minScale) || !std::isfinite(initialScale))
    return Status::invalidArgument(
        "the initial loss scale " + number(initialScale) +
        " should be finite and at least the minimum loss scale " +
        number(minScale));
  if (growthInterval < 1)
    return Status::invalidArgument("native_amp_growth_interval " +
                                   std::to_string(growthInterval) +
                                   " should be at least 1");
  if (hysteresis < 1)
    return Status::invalidArgument("hysteresis " + std::to_string(hysteresis) +
                                   " should be at least 1");
  if (!(growthFactor > 1.0) || !(backoffFactor > 0.0 && backoffFactor < 1.0))
    return Status::invalidArgument(
        "the loss scale's growth factor " + number(growthFactor) +
        " should exceed 1 and its backoff factor " + number(backoffFactor) +
        " lie in (0, 1)");
  return Status::ok();
}

DynamicLossScaler::DynamicLossScaler(const LossScalerSettings &settings)
    : settings_(settings) {
  state_.scale = settings.initialScale;
  state_.hysteresisTracker = settings.hysteresis;
}

Status DynamicLossScaler::restore(const LossScalerState &state) {
  if (!(state.scale >= settings_.minScale) || !std::isfinite(state.scale) ||
      state.growthTracker < 0 || state.growthTracker >= settings_.growthInterval ||
      state.hysteresisTracker < 1 ||
      state.hysteresisTracker > settings_.hysteresis || state.skippedSteps < 0)
    return Status::dataLoss(
        "a loss scaler state out of range: scale " + number(state.scale) +
        ", growth tracker " + std::to_string(state.growthTracker) +
        ", hysteresis tracker " + std::to_string(state.hysteresisTracker) +
        ", skipped steps " + std::to_string(state.skippedSteps) +
        " (minimum scale " + number(settings_.minScale) + ", growth interval " +
        std::to_string(settings_.growthInterval) + ", hysteresis " +
        std::to_string(settings_.hysteresis) + ")");
  state_ = state;
  return Status::ok();
}

Status DynamicLossScaler::update(bool finite, int64_t step) {
  if (finite) {
    if (++state_.growthTracker == settings_.growthInterval) {
      state_.growthTracker = 0;
      state_.hysteresisTracker = settings_.hysteresis;
      const double grown = state_.scale * settings_.growthFactor;
      if (std::isfinite(grown))
        state_.scale = grown;
    }
    return Status::ok();
  }
  ++state_.skippedSteps;
  state_.growthTracker = 0;
  if (--state_.hysteresisTracker > 0)
    return Status::ok();
  if (state_.scale <= settings_.minScale)
    return Status::failedPrecondition(
        "step " + std::to_string(step) +
        ": the gradients overflow f16 even at the minimum loss scale " +
        number(settings_.minScale) + " (" +
        std::to_string(state_.skippedSteps) +
        " steps skipped so far): the model diverges in f16; train in "
        "bf16-mixed, or lower --lr, or clip with --clip-grad");
  state_.scale = std::max(state_.scale * settings_.backoffFactor,
                          settings_.minScale);
  // Megatron keeps lowering on every further overflow until a growth
  // resets the hysteresis.
  state_.hysteresisTracker = 1;
  return Status::ok();
}

} // namespace strata::runtime::training
