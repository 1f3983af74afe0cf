//===- TrainingRules.h - Training keys that relate -----------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Internal to the model-description frontend: the rules NeMo applies when it
// builds the optimizer and the scheduler (Adam's coupled weight decay,
// warmup_steps or warmup_ratio, constant steps only with CosineAnnealing,
// min_lr <= lr), and the resulting ModelDescription::trainingSettings. A
// warm-up as long as the run is no error: NeMo then warms up throughout.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_FRONTENDS_MODEL_TRAININGRULES_H
#define STRATA_FRONTENDS_MODEL_TRAININGRULES_H

#include "frontends/model/DiagnosticSink.h"
#include "frontends/model/Settings.h"

namespace strata::frontend {

void applyTrainingRules(const Settings &settings, DiagnosticSink &sink,
                        ModelDescription &description);

} // namespace strata::frontend

#endif // STRATA_FRONTENDS_MODEL_TRAININGRULES_H
