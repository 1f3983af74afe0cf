//===- KeyTable.h - The keys a model description may contain -------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Internal to the model-description frontend: every key Strata knows, per
// section, and whether the compiler uses it or only records it. Anything
// else is an error with a "did you mean" suggestion.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_FRONTENDS_MODEL_KEYTABLE_H
#define STRATA_FRONTENDS_MODEL_KEYTABLE_H

#include <string>
#include <string_view>
#include <vector>

namespace strata::frontend {

enum class Section {
  TopLevel,
  Trainer,
  Model,
  Tokenizer,
  TaskTemplate, // an entry of model.task_templates
  PTuning,      // model.p_tuning
  PromptTuning, // model.prompt_tuning
  Peft,         // model.peft
  LoraTuning,   // model.peft.lora_tuning
  Optim,        // model.optim
  OptimSched,   // model.optim.sched
};

enum class KeyUse {
  /// Maps to a ModelDescription field.
  Used,
  /// A known NeMo/Lightning key that does not change the program yet; kept
  /// in ModelDescription::recordedKeys.
  Recorded,
};

struct KeyInfo {
  std::string_view name;
  KeyUse use;
  /// Recorded keys that would change the model's math: the only value
  /// Strata implements ("true", "pre_ln", "null"...). Any other value is
  /// recorded with a warning. Empty: every value is fine to ignore.
  std::string_view implemented = {};
  /// Any other value than |implemented| is an error ("not supported yet"),
  /// not a warning: for keys that would change what is trained.
  bool strict = false;
};

/// The key |name| of |section|, or null when unknown.
const KeyInfo *findKey(Section section, std::string_view name);

/// All key names of |section|, in table order (for suggestions and docs).
const std::vector<std::string_view> &keyNames(Section section);

/// How messages name a section: "top level", "trainer", "model",
/// "model.tokenizer", "model.peft.lora_tuning"...
const char *sectionName(Section section);

/// "unknown key 'hiden_size' in model; did you mean 'hidden_size'?", or a
/// hint when the key belongs to another section ("'devices' belongs in
/// trainer, not model").
std::string unknownKeyMessage(Section section, std::string_view key);

} // namespace strata::frontend

#endif // STRATA_FRONTENDS_MODEL_KEYTABLE_H
