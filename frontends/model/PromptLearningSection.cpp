//===- PromptLearningSection.cpp - Reading prompt-learning and LoRA keys -===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Whether p_tuning and lora_tuning apply depends on another key of the
// same mapping (virtual_prompt_style, peft_scheme), which may come later in
// the file: only the text of that key is peeked at first; it is checked
// where it is read (an interpolation error is reported once either way).
//
//===----------------------------------------------------------------------===//
#include "frontends/model/PromptLearningSection.h"

#include <algorithm>

namespace strata::frontend {

namespace {

using EncoderType = PTuningSettings::EncoderType;

const Spellings<EncoderType> kEncoderTypes = {
    {"mlp", EncoderType::Mlp},
    {"tpmlp", EncoderType::Mlp}, // NeMo's tensor-parallel MLP: the same math
    {"lstm", EncoderType::Lstm},
    {"biglstm", std::nullopt},
};

/// NeMo's peft_scheme values (PEFT_CONFIG_MAP) that Strata does not build.
const std::vector<std::string_view> kOtherPeftSchemes = {
    "adapter", "ia3", "ptuning", "selective", "qlora"};

/// "a, b or c".
std::string listChoices(const std::vector<std::string_view> &choices) {
  std::string out;
  for (size_t i = 0; i < choices.size(); ++i)
    out += (i == 0                    ? ""
            : i + 1 == choices.size() ? " or "
                                      : ", ") +
           std::string(choices[i]);
  return out;
}

class PromptLearningReader {
public:
  PromptLearningReader(ValueReader &values, const YamlNode &model,
                       PromptLearningKeys &keys)
      : values(values), sink(values.diagnostics()), model(model), keys(keys) {}

  bool read(const std::string &key, const ResolvedValue &value);

private:
  void readStyle(const ResolvedValue &value);
  void readLanguageModelPath(const ResolvedValue &value);
  void readTaskTemplates(const ResolvedValue &value);
  void readTaskTemplate(const ResolvedValue &entry);
  void readPromptTemplate(const ResolvedValue &value, TaskTemplateKeys &t);
  void readPTuning(const ResolvedValue &value);
  void readPromptTuning(const ResolvedValue &value);
  void readPeft(const ResolvedValue &value);
  void readPeftScheme(const std::string &name, const ResolvedValue &value);
  void readLoraTuning(const ResolvedValue &value);
  void readTargetModules(const std::string &name, const ResolvedValue &value);

  /// |key| of |mapping| after interpolation, in lower case; "" when absent
  /// or not a scalar. Only decides which sections apply.
  std::string peek(const YamlNode &mapping, const std::string &key);
  std::optional<VirtualPromptStyle> peekStyle() {
    return parseVirtualPromptStyle(peek(model, "virtual_prompt_style"));
  }
  /// Keeps the mapping |value| of a section that does not apply as one
  /// recorded key.
  void recordWhole(Section section, const std::string &key,
                   const std::string &path, const ResolvedValue &value) {
    values.record(path, *findKey(section, key), *value);
  }

  ValueReader &values;
  DiagnosticSink &sink;
  const YamlNode &model;
  PromptLearningKeys &keys;
};

bool PromptLearningReader::read(const std::string &key,
                                const ResolvedValue &value) {
  if (key == "virtual_prompt_style")
    readStyle(value);
  else if (key == "language_model_path")
    readLanguageModelPath(value);
  else if (key == "existing_tasks")
    values.readStringList(key, value, keys.existingTasks);
  else if (key == "new_tasks")
    values.readStringList(key, value, keys.newTasks);
  else if (key == "task_templates")
    readTaskTemplates(value);
  else if (key == "p_tuning")
    readPTuning(value);
  else if (key == "prompt_tuning")
    readPromptTuning(value);
  else if (key == "peft")
    readPeft(value);
  else
    return false;
  return true;
}

std::string PromptLearningReader::peek(const YamlNode &mapping,
                                       const std::string &key) {
  const YamlEntry *entry = mapping.find(key);
  if (!entry)
    return "";
  std::optional<ResolvedValue> value = values.resolve(*entry->value);
  if (!value || !(*value)->isScalar())
    return "";
  return toLower((*value)->text);
}

//===----------------------------------------------------------------------===//
// Virtual prompts
//===----------------------------------------------------------------------===//

void PromptLearningReader::readStyle(const ResolvedValue &v) {
  const std::string name = "virtual_prompt_style";
  Given<VirtualPromptStyle> &out = keys.style;
  if (!ValueReader::begin(v, out))
    return;
  if (!v->isScalar()) {
    sink.error(v.location, name + " must be a string, got " + describeNode(*v));
    return;
  }
  const std::string text = toLower(v->text);
  if (std::optional<VirtualPromptStyle> style = parseVirtualPromptStyle(text)) {
    out.value = *style;
    return;
  }
  if (text == "inference") {
    sink.error(v.location,
               name + " inference is not a style to compile: an inference "
                      "compile of a tuned model is `strata-compile --mode "
                      "infer` with the style it was trained with "
                      "(prompt-tuning or p-tuning)");
    return;
  }
  if (text == "no-prompts") {
    sink.error(v.location, name + " no-prompts is not needed: leave "
                                  "virtual_prompt_style out for a model "
                                  "without virtual tokens");
    return;
  }
  std::string message = "unknown " + name + " '" + v->text +
                        "'; expected prompt-tuning or p-tuning";
  std::string close = closestMatch(text, {"prompt-tuning", "p-tuning"});
  if (!close.empty())
    message += "; did you mean '" + close + "'?";
  sink.error(v.location, message);
}

void PromptLearningReader::readLanguageModelPath(const ResolvedValue &v) {
  const std::string name = "language_model_path";
  values.readString(name, v, keys.languageModelPath);
  if (keys.languageModelPath.has() && keys.languageModelPath->empty()) {
    sink.error(v.location, name + " must be a non-empty path");
    keys.languageModelPath.value.reset();
  }
}

void PromptLearningReader::readTaskTemplates(const ResolvedValue &v) {
  keys.hasTaskTemplates = true;
  if (v->isNull())
    return;
  if (!v->isSequence()) {
    sink.error(v.location, "task_templates must be a list of mappings, got " +
                               describeNode(*v));
    return;
  }
  for (const auto &item : v->items)
    if (std::optional<ResolvedValue> entry =
            values.resolveUsed("task_templates", *item))
      readTaskTemplate(*entry);
}

void PromptLearningReader::readTaskTemplate(const ResolvedValue &entry) {
  if (!entry->isMapping()) {
    sink.error(entry.location,
               "task_templates entries must be mappings with a taskname and "
               "a prompt_template, got " +
                   describeNode(*entry));
    return;
  }
  TaskTemplateKeys t;
  t.location = entry.location;
  values.readSection(Section::TaskTemplate, "", *entry,
                     [&](const std::string &key, const std::string &name,
                         const ResolvedValue &v) {
                       if (key == "taskname") {
                         values.readString(name, v, t.taskname);
                         if (t.taskname.has() && t.taskname->empty()) {
                           sink.error(v.location, "taskname must not be empty");
                           t.taskname.value.reset();
                         }
                       } else if (key == "prompt_template") {
                         readPromptTemplate(v, t);
                       } else if (key == "prompt_template_fields") {
                         values.readStringList(name, v, t.promptTemplateFields);
                       } else if (key == "total_virtual_tokens") {
                         // 0 is a task of LoRA alone; whether the
                         // description's style needs more is a rule
                         // (PromptLearningRules), not the value's own.
                         values.readInt(name, v, t.totalVirtualTokens,
                                        IntRange::NonNegative);
                       } else if (key == "virtual_token_splits") {
                         values.readIntList(name, v, t.virtualTokenSplits);
                       } else if (key == "truncate_field") {
                         values.readString(name, v, t.truncateField);
                       } else if (key == "answer_only_loss") {
                         values.readBool(name, v, t.answerOnlyLoss);
                       } else if (key == "answer_field") {
                         values.readString(name, v, t.answerField);
                       }
                     });
  keys.templates.push_back(std::move(t));
}

void PromptLearningReader::readPromptTemplate(const ResolvedValue &v,
                                              TaskTemplateKeys &t) {
  values.readString("prompt_template", v, t.promptTemplate);
  if (!t.promptTemplate.has())
    return;
  Checked<PromptTemplate> parsed = parsePromptTemplate(*t.promptTemplate);
  if (parsed.isOk())
    t.parsed = *parsed;
  else
    sink.error(v.location, parsed.error());
}

void PromptLearningReader::readPTuning(const ResolvedValue &v) {
  // NeMo's prompt-learning configs carry p_tuning whichever style they use.
  if (peekStyle() != VirtualPromptStyle::PTuning) {
    recordWhole(Section::Model, "p_tuning", "model.p_tuning", v);
    return;
  }
  if (v->isNull() || !values.expectMapping("p_tuning", v))
    return;
  PTuningKeys &p = keys.pTuning;
  values.readSection(
      Section::PTuning, "p_tuning.", *v,
      [&](const std::string &key, const std::string &name,
          const ResolvedValue &value) {
        if (key == "encoder_type")
          values.readEnum(name, value, kEncoderTypes, p.encoderType);
        else if (key == "num_layers")
          values.readInt(name, value, p.numLayers);
        else if (key == "encoder_hidden")
          values.readInt(name, value, p.encoderHidden);
        else if (key == "dropout")
          values.readFloat(name, value, FloatRange::Probability, p.dropout);
      });
}

void PromptLearningReader::readPromptTuning(const ResolvedValue &v) {
  if (v->isNull() || !values.expectMapping("prompt_tuning", v))
    return;
  // Every key is recorded; the callback sees none.
  values.readSection(
      Section::PromptTuning, "prompt_tuning.", *v,
      [](const std::string &, const std::string &, const ResolvedValue &) {});
  if (peekStyle() != VirtualPromptStyle::PromptTuning)
    return;
  const YamlEntry *methods = v->find("new_prompt_init_methods");
  if (!methods || !methods->value->isSequence())
    return;
  for (const auto &method : methods->value->items)
    if (method->isScalar() && toLower(method->text) == "text") {
      sink.warning(method->location,
                   "prompt_tuning.new_prompt_init_methods text is not "
                   "implemented and is ignored; Strata initializes every "
                   "prompt table randomly, N(0, init_method_std)");
      return;
    }
}

//===----------------------------------------------------------------------===//
// PEFT
//===----------------------------------------------------------------------===//

void PromptLearningReader::readPeft(const ResolvedValue &v) {
  if (v->isNull() || !values.expectMapping("peft", v))
    return;
  // NeMo's PEFT configs carry lora_tuning whichever scheme they use.
  const bool isLora = peek(*v, "peft_scheme") == "lora";
  values.readSection(Section::Peft, "peft.", *v,
                     [&](const std::string &key, const std::string &name,
                         const ResolvedValue &value) {
                       if (key == "peft_scheme")
                         readPeftScheme(name, value);
                       else if (key == "lora_tuning" && !isLora)
                         recordWhole(Section::Peft, key, "model." + name,
                                     value);
                       else if (key == "lora_tuning" && !value->isNull() &&
                                values.expectMapping(name, value))
                         readLoraTuning(value);
                     });
}

void PromptLearningReader::readPeftScheme(const std::string &name,
                                          const ResolvedValue &v) {
  Given<bool> &out = keys.lora.scheme;
  if (!ValueReader::begin(v, out))
    return; // null: no PEFT
  if (!v->isScalar()) {
    sink.error(v.location, name + " must be a string, got " + describeNode(*v));
    return;
  }
  const std::string text = toLower(v->text);
  if (text == "lora" || text == "none") {
    out.value = text == "lora";
    return;
  }
  const std::string supported = "Strata supports lora (or none)";
  if (text.find(',') != std::string::npos) {
    sink.error(v.location,
               name + " " + v->text +
                   " combines schemes, which is not supported yet; " +
                   supported +
                   ", and virtual tokens through virtual_prompt_style");
    return;
  }
  if (text == "ptuning") {
    sink.error(v.location,
               name + " ptuning is not supported yet; " + supported +
                   ". For p-tuning set virtual_prompt_style p-tuning with "
                   "task_templates and new_tasks");
    return;
  }
  for (std::string_view other : kOtherPeftSchemes)
    if (text == other) {
      sink.error(v.location,
                 name + " " + v->text + " is not supported yet; " + supported);
      return;
    }
  std::vector<std::string_view> all = {"lora", "none"};
  all.insert(all.end(), kOtherPeftSchemes.begin(), kOtherPeftSchemes.end());
  std::string message =
      "unknown " + name + " '" + v->text + "'; expected lora or none";
  std::string close = closestMatch(text, all);
  if (!close.empty())
    message += "; did you mean '" + close + "'?";
  sink.error(v.location, message);
}

void PromptLearningReader::readLoraTuning(const ResolvedValue &v) {
  LoraKeys &lora = keys.lora;
  values.readSection(Section::LoraTuning, "peft.lora_tuning.", *v,
                     [&](const std::string &key, const std::string &name,
                         const ResolvedValue &value) {
                       if (key == "target_modules")
                         readTargetModules(name, value);
                       else if (key == "adapter_dim")
                         values.readInt(name, value, lora.adapterDim);
                       else if (key == "alpha")
                         values.readFloat(name, value, FloatRange::Positive,
                                          lora.alpha);
                       else if (key == "adapter_dropout")
                         values.readFloat(name, value, FloatRange::Probability,
                                          lora.adapterDropout);
                     });
}

void PromptLearningReader::readTargetModules(const std::string &name,
                                             const ResolvedValue &v) {
  Given<std::vector<ListItem>> &out = keys.lora.targetModules;
  values.readStringList(name, v, out);
  if (!out.has())
    return;
  const std::vector<std::string_view> &targets = loraTargetNames();
  bool ok = true;
  for (const ListItem &item : *out) {
    if (std::find(targets.begin(), targets.end(), item.text) != targets.end())
      continue;
    ok = false;
    std::string message = "unknown " + name + " entry '" + item.text +
                          "'; expected " + listChoices(targets);
    std::string close = closestMatch(item.text, targets);
    if (!close.empty())
      message += "; did you mean '" + close + "'?";
    sink.error(item.location, message);
  }
  if (!ok)
    out.value.reset();
}

} // namespace

bool readPromptLearningKey(ValueReader &values, const YamlNode &model,
                           const std::string &key, const ResolvedValue &value,
                           PromptLearningKeys &keys) {
  return PromptLearningReader(values, model, keys).read(key, value);
}

const std::vector<std::string_view> &loraTargetNames() {
  static const std::vector<std::string_view> names = {"attention_qkv",
                                                      "attention_dense",
                                                      "mlp_fc1",
                                                      "mlp_fc2",
                                                      "attention",
                                                      "mlp",
                                                      "all"};
  return names;
}

} // namespace strata::frontend
