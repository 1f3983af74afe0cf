//===- PromptLearningRules.h - Prompt-learning and LoRA across keys ------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Internal to the model-description frontend: turns the prompt-learning and
// PEFT keys (each already checked on its own) into the ModelDescription's
// virtualPromptStyle, promptTasks, languageModelPath, pTuning and lora,
// checking the rules that relate them: each template against its own keys,
// the task lists against task_templates, the style against the tasks.
// Messages point at the value to fix and name the other key with its line.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_FRONTENDS_MODEL_PROMPTLEARNINGRULES_H
#define STRATA_FRONTENDS_MODEL_PROMPTLEARNINGRULES_H

#include "frontends/model/DiagnosticSink.h"
#include "frontends/model/Settings.h"

namespace strata::frontend {

/// Fills |out|'s prompt-learning and LoRA fields from |settings|; |out|'s
/// hiddenSize must be set (the default encoder_hidden).
void applyPromptLearningRules(const Settings &settings, DiagnosticSink &sink,
                              ModelDescription &out);

} // namespace strata::frontend

#endif // STRATA_FRONTENDS_MODEL_PROMPTLEARNINGRULES_H
