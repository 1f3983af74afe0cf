//===- ConsistencyRules.h - Defaults and rules across keys ---------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Internal to the model-description frontend: turns Settings (each value
// already checked on its own) into a ModelDescription, applying defaults
// that depend on other keys and every rule that relates keys (head counts,
// parallel sizes, recomputation, batch sizes, vocabulary padding). Messages
// point at the value to fix and name the other key with its line.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_FRONTENDS_MODEL_CONSISTENCYRULES_H
#define STRATA_FRONTENDS_MODEL_CONSISTENCYRULES_H

#include "frontends/model/DiagnosticSink.h"
#include "frontends/model/Settings.h"

namespace strata::frontend {

/// Fills |out| (all but name, sourcePath and sourceText) from |settings|.
/// Returns false when an error was reported, now or before.
bool buildDescription(const Settings &settings, DiagnosticSink &sink,
                      ModelDescription &out);

} // namespace strata::frontend

#endif // STRATA_FRONTENDS_MODEL_CONSISTENCYRULES_H
