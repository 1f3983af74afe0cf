//===- TrainingKeys.h - Training hyperparameters as written --------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Internal to the model-description frontend: what a description says about
// training (NeMo's model.optim and the trainer's max_steps,
// val_check_interval, limit_val_batches, gradient_clip_val,
// log_every_n_steps), each value checked on its own and located.
// TrainingRules checks the keys that relate and turns them into
// ModelDescription::trainingSettings, the defaults of `strata-run train`.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_FRONTENDS_MODEL_TRAININGKEYS_H
#define STRATA_FRONTENDS_MODEL_TRAININGKEYS_H

#include "frontends/model/Given.h"

#include <cstdint>
#include <string>
#include <vector>

namespace strata::frontend {

struct TrainingKeys {
  // model.optim (its name is Settings::optimizerName: the compiler reads it).
  bool hasOptim = false;
  SourceLocation optimLocation; // of the `optim:` value
  Given<double> lr, eps, weightDecay;
  Given<std::vector<double>> betas;
  // model.optim.sched
  bool hasSched = false;
  SourceLocation schedLocation;
  Given<std::string> schedName;
  Given<int64_t> warmupSteps, constantSteps, schedMaxSteps;
  Given<double> warmupRatio, constantRatio, minLr;
  // trainer
  Given<int64_t> maxSteps, valCheckInterval, limitValBatches, logEveryNSteps;
  Given<double> gradientClipVal;
};

} // namespace strata::frontend

#endif // STRATA_FRONTENDS_MODEL_TRAININGKEYS_H
