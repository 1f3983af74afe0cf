//===- PromptLearningKeys.h - Prompt-learning and LoRA keys as written ---===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Internal to the model-description frontend: what a description says about
// prompt learning and LoRA (NeMo's virtual_prompt_style, task_templates,
// existing_tasks / new_tasks, p_tuning and peft keys;
// docs/prompt-learning.md), each value checked on its own and located.
// PromptLearningRules turns them into the ModelDescription's fields.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_FRONTENDS_MODEL_PROMPTLEARNINGKEYS_H
#define STRATA_FRONTENDS_MODEL_PROMPTLEARNINGKEYS_H

#include "frontends/model/Given.h"

#include "common/prompt_tasks.h"

#include <optional>
#include <string>
#include <vector>

namespace strata::frontend {

/// One entry of model.task_templates.
struct TaskTemplateKeys {
  SourceLocation location; // of the entry (a mapping)
  Given<std::string> taskname, promptTemplate, truncateField, answerField;
  /// promptTemplate parsed, when it parsed.
  std::optional<PromptTemplate> parsed;
  Given<std::vector<ListItem>> promptTemplateFields;
  Given<int64_t> totalVirtualTokens;
  Given<std::vector<int64_t>> virtualTokenSplits;
  Given<bool> answerOnlyLoss;
};

/// model.p_tuning, read only with virtual_prompt_style p-tuning (NeMo
/// configs carry it with prompt-tuning too; then it is recorded).
struct PTuningKeys {
  Given<PTuningSettings::EncoderType> encoderType;
  Given<int64_t> numLayers, encoderHidden;
  Given<double> dropout;
};

/// model.peft; lora_tuning is read only with peft_scheme lora.
struct LoraKeys {
  /// peft_scheme lora: true; null or none: false.
  Given<bool> scheme;
  Given<int64_t> adapterDim;
  Given<double> alpha, adapterDropout;
  Given<std::vector<ListItem>> targetModules;
};

struct PromptLearningKeys {
  Given<VirtualPromptStyle> style;
  Given<std::string> languageModelPath;
  Given<std::vector<ListItem>> existingTasks, newTasks;
  bool hasTaskTemplates = false;
  /// The entries of task_templates that are mappings, in order.
  std::vector<TaskTemplateKeys> templates;
  PTuningKeys pTuning;
  LoraKeys lora;
};

} // namespace strata::frontend

#endif // STRATA_FRONTENDS_MODEL_PROMPTLEARNINGKEYS_H
