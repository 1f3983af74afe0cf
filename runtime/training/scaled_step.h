//===- scaled_step.h - an optimizer step under f16 loss scaling -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// f16 programs (optimizer_step takes a loss scale) train under a
// DynamicLossScaler whose settings the artifact records from the model
// description; every other program trains unscaled. Both training entry
// points (the loop over a corpus and the --tokens numerics interface) take
// their steps here, so a skipped step means the same everywhere:
//   - the gradients overflowed on some rank (the global norm is not finite),
//     the optimizer left the parameters and moments as they were, and the
//     scaler lowered the scale (after its hysteresis);
//   - AdamW's step count (its bias correction) counts applied steps only, as
//     PyTorch's GradScaler, which skips optimizer.step(), does.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_TRAINING_SCALED_STEP_H
#define STRATA_RUNTIME_TRAINING_SCALED_STEP_H

#include "runtime/executor/model_program.h"
#include "runtime/training/loss_scaler.h"

#include <optional>

namespace strata::runtime::training {

/// The loss scaler settings of |executor|'s artifact (native_amp_init_scale,
/// native_amp_growth_interval, hysteresis in its configuration), with
/// |minScale|; nullopt when |program| does not scale its loss.
StatusOr<std::optional<LossScalerSettings>>
lossScalerSettingsOf(const Executor &executor, const ModelProgram &program,
                     double minScale = 1.0);

struct ScaledStep {
  StepResult result;
  /// The gradients overflowed: nothing was updated.
  bool skipped = false;
  /// The scale this step ran with (1 without a scaler).
  double lossScale = 1.0;
};

/// Optimizer step |step| (from 1) on |tokens|; under |scaler| when it is
/// not null, which it then updates (an overflow at its minimum scale is an
/// error).
StatusOr<ScaledStep> runScaledStep(ModelProgram &program,
                                   DynamicLossScaler *scaler,
                                   const io::HostTensor &tokens,
                                   const AdamWHyperparameters &hyper,
                                   int64_t step);
/// The same on a batch of explicit labels and virtual tokens.
StatusOr<ScaledStep> runScaledStep(ModelProgram &program,
                                   DynamicLossScaler *scaler,
                                   const TokenBatch &batch,
                                   const AdamWHyperparameters &hyper,
                                   int64_t step);

} // namespace strata::runtime::training

#endif // STRATA_RUNTIME_TRAINING_SCALED_STEP_H
