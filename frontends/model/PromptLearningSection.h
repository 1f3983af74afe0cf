//===- PromptLearningSection.h - Reading prompt-learning and LoRA keys ---===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Internal to the model-description frontend: the `model:` keys of NeMo's
// prompt learning (virtual_prompt_style, language_model_path,
// existing_tasks, new_tasks, task_templates, p_tuning, prompt_tuning) and
// PEFT (peft), each value checked on its own. Sections a NeMo config
// carries for another style or scheme (p_tuning with prompt-tuning,
// lora_tuning with another peft_scheme) are recorded, not checked.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_FRONTENDS_MODEL_PROMPTLEARNINGSECTION_H
#define STRATA_FRONTENDS_MODEL_PROMPTLEARNINGSECTION_H

#include "frontends/model/PromptLearningKeys.h"
#include "frontends/model/ValueReader.h"

#include <string>

namespace strata::frontend {

/// Reads |value|, the resolved value of |key| in the `model:` mapping
/// |model|, into |keys| if |key| is a prompt-learning or PEFT key; returns
/// whether it was one.
bool readPromptLearningKey(ValueReader &values, const YamlNode &model,
                           const std::string &key, const ResolvedValue &value,
                           PromptLearningKeys &keys);

/// The LoRA targets NeMo's target_modules may name, groups included.
const std::vector<std::string_view> &loraTargetNames();

} // namespace strata::frontend

#endif // STRATA_FRONTENDS_MODEL_PROMPTLEARNINGSECTION_H
