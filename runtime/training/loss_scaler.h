//===- loss_scaler.h - dynamic loss scaling for f16 training ----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// f16 has 5 exponent bits: small gradients flush to zero unless the loss is
// multiplied by a scale S before the backward pass (and the gradients by
// 1/S before the update). Too large an S overflows instead. The dynamic
// scaler of NeMo's GradScaler and Megatron's DynamicGradScaler searches for
// the largest S that does not overflow:
//   - a step whose gradients hold an inf or NaN (on any rank: the global
//     gradient norm is not finite) is skipped, and after |hysteresis| such
//     steps in a row (counting from the last growth) S is halved;
//   - after |growthInterval| finite steps in a row S is doubled.
// The settings come from the model description (native_amp_init_scale,
// native_amp_growth_interval, hysteresis), recorded in the artifact.
//
// S never falls below |minScale| (Megatron's min_loss_scale, 1): a step that
// overflows there is an error, since lowering S cannot help: the model
// diverges in f16.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_TRAINING_LOSS_SCALER_H
#define STRATA_RUNTIME_TRAINING_LOSS_SCALER_H

#include "runtime/support/status.h"

#include <cstdint>
#include <string>

namespace strata::runtime::training {

struct LossScalerSettings {
  double initialScale = 4294967296.0; // 2^32, NeMo's native_amp_init_scale
  int64_t growthInterval = 1000;
  int64_t hysteresis = 2;
  double minScale = 1.0;
  double growthFactor = 2.0;
  double backoffFactor = 0.5;

  /// An error naming the setting at fault.
  Status validate() const;
};

/// What a checkpoint keeps of the scaler, so that a resumed run scales as an
/// uninterrupted one would.
struct LossScalerState {
  double scale = 0.0;
  /// Finite steps since the last growth or overflow.
  int64_t growthTracker = 0;
  /// Overflows left before the scale is lowered.
  int64_t hysteresisTracker = 0;
  /// Steps skipped so far in this run's history.
  int64_t skippedSteps = 0;
};

class DynamicLossScaler {
public:
  explicit DynamicLossScaler(const LossScalerSettings &settings);

  double scale() const { return state_.scale; }
  int64_t skippedSteps() const { return state_.skippedSteps; }
  const LossScalerSettings &settings() const { return settings_; }
  const LossScalerState &state() const { return state_; }
  /// The state of a checkpoint; an error when it is not one this scaler
  /// could reach (a scale that is not positive and finite, ...).
  Status restore(const LossScalerState &state);

  /// Records optimizer step |step|'s outcome (|finite|: the gradients held
  /// no inf or NaN, the step was applied). An overflow at the minimum
  /// scale is an error.
  Status update(bool finite, int64_t step);

private:
  LossScalerSettings settings_;
  LossScalerState state_;
};

} // namespace strata::runtime::training

#endif // STRATA_RUNTIME_TRAINING_LOSS_SCALER_H
