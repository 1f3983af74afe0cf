//===- TrainingSection.h - Reading model.optim and trainer keys ----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Internal to the model-description frontend: NeMo's `model.optim` mapping
// (name, lr, betas, eps, weight_decay, sched) and the trainer keys that set
// the training loop, each value checked on its own: types, ranges, and the
// optimizer and scheduler names NeMo knows, with the subset Strata runs.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_FRONTENDS_MODEL_TRAININGSECTION_H
#define STRATA_FRONTENDS_MODEL_TRAININGSECTION_H

#include "frontends/model/TrainingKeys.h"
#include "frontends/model/ValueReader.h"

#include <string>
#include <string_view>
#include <vector>

namespace strata::frontend {

/// Reads the resolved `model.optim` value |optim| into |keys|, the
/// optimizer's name into |optimizerName|.
void readOptim(ValueReader &values, const ResolvedValue &optim,
               TrainingKeys &keys, Given<std::string> &optimizerName);

/// Reads |value| of trainer key |key| into |keys| if it is one of the
/// training loop's keys; returns whether it was.
bool readTrainerTrainingKey(ValueReader &values, const std::string &key,
                            const ResolvedValue &value, TrainingKeys &keys);

/// Optimizer names Strata trains with (AdamW; `adam` only without weight
/// decay, where Adam and AdamW agree).
const std::vector<std::string_view> &supportedOptimizerNames();
/// Scheduler names Strata runs (model.optim.sched.name).
const std::vector<std::string_view> &supportedSchedulerNames();

} // namespace strata::frontend

#endif // STRATA_FRONTENDS_MODEL_TRAININGSECTION_H
