//===- PromptLearningRules.cpp - Prompt-learning and LoRA across keys ----===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The template rules follow NeMo's GPTPromptLearningDataset: one split of
// virtual tokens per <|VIRTUAL_PROMPT_N|> marker, summing to
// total_virtual_tokens; the truncated and the answer fields are fields of the
// template, and the answer is its last piece (answer-only loss and
// generation both take the answer as what follows everything else).
//
// Whether a template has virtual tokens depends on the description, not on
// the template alone: with virtual_prompt_style every task has them; with
// LoRA alone (NeMo's PEFT on task data) none has, as nothing would produce
// their embeddings. The key readers accept both (a template without
// markers, total_virtual_tokens 0); these rules hold each template to the
// description's style.
//
//===----------------------------------------------------------------------===//
#include "frontends/model/PromptLearningRules.h"

#include "frontends/model/EditDistance.h"

#include <algorithm>
#include <filesystem>
#include <unordered_map>

namespace strata::frontend {

namespace {

/// "[a, b]".
std::string bracketed(const std::vector<std::string> &names) {
  std::string out = "[";
  for (size_t i = 0; i < names.size(); ++i)
    out += (i ? ", " : "") + names[i];
  return out + "]";
}

/// "line 5", or "the command line" for an override.
std::string lineOf(const SourceLocation &location) {
  return location.line > 0 ? "line " + std::to_string(location.line)
                           : std::string("the command line");
}

/// "1 entry", "2 entries".
std::string count(int64_t n, const std::string &one, const std::string &many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

/// Whether |t| itself says its task has virtual tokens: a marker, a
/// positive total or a split.
bool writesVirtualTokens(const TaskTemplateKeys &t) {
  return (t.parsed && t.parsed->virtualMarkers() > 0) ||
         t.totalVirtualTokens.valueOr(0) > 0 ||
         (t.virtualTokenSplits.has() && !t.virtualTokenSplits->empty());
}

std::string describePiece(const PromptPiece &piece) {
  switch (piece.kind) {
  case PromptPiece::Kind::Text:
    return "the text \"" + piece.text + "\"";
  case PromptPiece::Kind::Field:
    return "{" + piece.text + "}";
  case PromptPiece::Kind::Virtual:
    return "<|VIRTUAL_PROMPT_" + std::to_string(piece.virtualIndex) + "|>";
  }
  return "?";
}

/// What the description asks of its templates' virtual tokens.
enum class VirtualTokenRule {
  /// virtual_prompt_style: every template has markers and tokens.
  Required,
  /// peft_scheme lora without a style: no template has any.
  Forbidden,
  /// Neither: each template is checked as what it says, with or without
  /// virtual tokens. Tasks, if any list names them, are an error of their
  /// own (style()).
  AsWritten,
};

class PromptLearningRules {
public:
  PromptLearningRules(const Settings &s, DiagnosticSink &sink,
                      ModelDescription &d)
      : keys(s.promptLearning), fileName(s.fileName), sink(sink), d(d),
        rule(virtualTokenRule(s.promptLearning)) {}

  void run() {
    templates();
    tasks();
    style();
    pTuning();
    lora();
    languageModelPath();
  }

private:
  // The rules run after every value read without error: a style or scheme
  // that is given has its value.
  static VirtualTokenRule virtualTokenRule(const PromptLearningKeys &keys) {
    if (keys.style.has())
      return VirtualTokenRule::Required;
    return keys.lora.scheme.valueOr(false) ? VirtualTokenRule::Forbidden
                                           : VirtualTokenRule::AsWritten;
  }
  void templates();
  std::optional<PromptTask> checkTemplate(const TaskTemplateKeys &t);
  std::optional<std::vector<int64_t>>
  checkVirtualTokens(const TaskTemplateKeys &t);
  void checkNoVirtualTokens(const TaskTemplateKeys &t);
  void checkFieldName(const Given<std::string> &given, const std::string &key,
                      const TaskTemplateKeys &t);
  void tasks();
  void checkTaskList(const Given<std::vector<ListItem>> &list,
                     const std::string &key);
  void style();
  void pTuning();
  void lora();
  void languageModelPath();

  const PromptLearningKeys &keys;
  const std::string &fileName;
  DiagnosticSink &sink;
  ModelDescription &d;
  const VirtualTokenRule rule;
  /// Each template that passed its rules, in file order.
  std::vector<PromptTask> checked;
  std::unordered_map<std::string, const TaskTemplateKeys *> byName;
  std::vector<std::string_view> templateNames;
};

//===----------------------------------------------------------------------===//
// Templates
//===----------------------------------------------------------------------===//

void PromptLearningRules::templates() {
  for (const TaskTemplateKeys &t : keys.templates) {
    if (!t.taskname.has()) {
      sink.error(t.taskname.present ? t.taskname.location : t.location,
                 "task_templates entry without a taskname; every template "
                 "names its task");
      continue;
    }
    const std::string &name = *t.taskname;
    auto [first, inserted] = byName.emplace(name, &t);
    if (!inserted) {
      sink.error(t.taskname.location,
                 "taskname '" + name +
                     "' is already the name of the "
                     "task_templates entry at " +
                     lineOf(first->second->taskname.location) +
                     "; tasknames must be unique");
      continue;
    }
    templateNames.push_back(first->first);
    if (std::optional<PromptTask> task = checkTemplate(t))
      checked.push_back(std::move(*task));
  }
}

std::optional<PromptTask>
PromptLearningRules::checkTemplate(const TaskTemplateKeys &t) {
  const std::string task = "task '" + *t.taskname + "'";
  const size_t errorsBefore = sink.errorCount();
  const bool hasTemplate = t.promptTemplate.has() && t.parsed;
  if (!hasTemplate)
    sink.error(t.promptTemplate.present ? t.promptTemplate.location
                                        : t.taskname.location,
               task + " has no prompt_template");
  const bool virtualTokens =
      rule == VirtualTokenRule::Required ||
      (rule == VirtualTokenRule::AsWritten && writesVirtualTokens(t));
  if (virtualTokens && !t.totalVirtualTokens.has())
    sink.error(t.totalVirtualTokens.present ? t.totalVirtualTokens.location
                                            : t.taskname.location,
               task + " has no total_virtual_tokens");
  if (sink.errorCount() != errorsBefore)
    return std::nullopt;

  const PromptTemplate &parsed = *t.parsed;
  const std::string templateLine =
      "prompt_template" + describeLine(t.promptTemplate.location);
  const std::vector<std::string> fields = parsed.fields();

  if (t.promptTemplateFields.has()) {
    std::vector<std::string> listed;
    for (const ListItem &item : *t.promptTemplateFields)
      listed.push_back(item.text);
    if (listed != fields)
      sink.error(t.promptTemplateFields.location,
                 "prompt_template_fields " + bracketed(listed) +
                     " does not match the fields of " + templateLine + ", " +
                     bracketed(fields));
  }

  std::vector<int64_t> splits;
  if (virtualTokens) {
    std::optional<std::vector<int64_t>> checkedSplits = checkVirtualTokens(t);
    if (checkedSplits)
      splits = std::move(*checkedSplits);
  } else {
    checkNoVirtualTokens(t);
  }

  checkFieldName(t.truncateField, "truncate_field", t);
  checkFieldName(t.answerField, "answer_field", t);
  const bool answerOnlyLoss = t.answerOnlyLoss.valueOr(false);
  if (t.answerField.has() &&
      std::find(fields.begin(), fields.end(), *t.answerField) != fields.end()) {
    const PromptPiece &last = parsed.pieces.back();
    if (last.kind != PromptPiece::Kind::Field || last.text != *t.answerField)
      sink.error(t.answerField.location,
                 "answer_field '" + *t.answerField +
                     "' must be the last piece of " + templateLine +
                     " (the answer follows everything else), but it ends "
                     "with " +
                     describePiece(last));
  }
  if (answerOnlyLoss && !t.answerField.has())
    sink.error(t.answerOnlyLoss.location,
               "answer_only_loss true needs answer_field: the template field "
               "that holds the answer, its last piece");

  if (sink.errorCount() != errorsBefore)
    return std::nullopt;
  PromptTask out;
  out.name = *t.taskname;
  out.templateText = *t.promptTemplate;
  out.parsed = parsed;
  out.totalVirtualTokens = virtualTokens ? *t.totalVirtualTokens : 0;
  out.virtualTokenSplits = std::move(splits);
  out.truncateField = t.truncateField.valueOr("");
  out.answerOnlyLoss = answerOnlyLoss;
  out.answerField = t.answerField.valueOr("");
  return out;
}

/// The virtual tokens of |t|, whose description gives every task some (or,
/// without a style, whose template says it has some): at least one marker,
/// a positive total, one split per marker summing to it. Returns the
/// splits; nullopt after an error.
std::optional<std::vector<int64_t>>
PromptLearningRules::checkVirtualTokens(const TaskTemplateKeys &t) {
  const PromptTemplate &parsed = *t.parsed;
  const std::string templateLine =
      "prompt_template" + describeLine(t.promptTemplate.location);
  const int64_t markers = parsed.virtualMarkers();
  const int64_t total = *t.totalVirtualTokens;
  if (markers == 0) {
    sink.error(t.promptTemplate.location,
               "prompt template \"" + *t.promptTemplate +
                   "\" has no <|VIRTUAL_PROMPT_0|>: it says where the "
                   "virtual tokens go");
    return std::nullopt;
  }
  if (total == 0) {
    sink.error(t.totalVirtualTokens.location,
               "total_virtual_tokens must be positive, got " +
                   t.totalVirtualTokens.text + ": " +
                   (keys.style.has()
                        ? "virtual_prompt_style " + keys.style.text +
                              describeLine(keys.style.location) +
                              " gives every task virtual tokens"
                        : templateLine + " has <|VIRTUAL_PROMPT_N|> markers"));
    return std::nullopt;
  }

  const std::string totalText = "total_virtual_tokens " +
                                std::to_string(total) +
                                describeLine(t.totalVirtualTokens.location);
  if (t.virtualTokenSplits.has()) {
    const std::vector<int64_t> &splits = *t.virtualTokenSplits;
    int64_t sum = 0;
    for (int64_t n : splits)
      sum += n; // at most 2^18 entries of at most 2^40: no overflow
    if (static_cast<int64_t>(splits.size()) != markers) {
      sink.error(t.virtualTokenSplits.location,
                 "virtual_token_splits " + t.virtualTokenSplits.text + " has " +
                     count(splits.size(), "entry", "entries") + ", but " +
                     templateLine + " has " +
                     count(markers, "<|VIRTUAL_PROMPT_N|> marker",
                           "<|VIRTUAL_PROMPT_N|> markers") +
                     "; give one count per marker");
      return std::nullopt;
    }
    if (sum != total) {
      sink.error(t.virtualTokenSplits.location,
                 "virtual_token_splits " + t.virtualTokenSplits.text +
                     " sums to " + std::to_string(sum) + ", not " + totalText);
      return std::nullopt;
    }
    return splits;
  }
  if (markers == 1)
    return std::vector<int64_t>{total};
  sink.error(t.promptTemplate.location,
             "prompt_template has " + std::to_string(markers) +
                 " <|VIRTUAL_PROMPT_N|> markers; give virtual_token_splits "
                 "with one count per marker, summing to " +
                 totalText);
  return std::nullopt;
}

/// |t| has no virtual tokens: no marker, total_virtual_tokens 0 or absent,
/// no splits. Under LoRA alone one error per template, for the first key
/// that has some (a virtual-token template copied into a LoRA description
/// says so in all three).
void PromptLearningRules::checkNoVirtualTokens(const TaskTemplateKeys &t) {
  if (rule != VirtualTokenRule::Forbidden)
    return; // AsWritten: the template said it has none
  const std::string need =
      "virtual tokens need virtual_prompt_style prompt-tuning or p-tuning; "
      "with peft.peft_scheme lora" +
      describeLine(keys.lora.scheme.location) + " alone ";
  if (t.parsed->virtualMarkers() > 0)
    sink.error(t.promptTemplate.location,
               "prompt template \"" + *t.promptTemplate +
                   "\" has <|VIRTUAL_PROMPT_0|>: " + need +
                   "a template has fields and text only");
  else if (t.totalVirtualTokens.valueOr(0) > 0)
    sink.error(t.totalVirtualTokens.location,
               "total_virtual_tokens " + t.totalVirtualTokens.text + ": " +
                   need + "a task has none (0, or leave it out)");
  else if (t.virtualTokenSplits.has() && !t.virtualTokenSplits->empty())
    sink.error(t.virtualTokenSplits.location,
               "virtual_token_splits " + t.virtualTokenSplits.text + ": " +
                   need + "leave it out (or [])");
}

/// |given| (truncate_field or answer_field), if set, names a field of the
/// template.
void PromptLearningRules::checkFieldName(const Given<std::string> &given,
                                         const std::string &key,
                                         const TaskTemplateKeys &t) {
  if (!given.has())
    return;
  const std::vector<std::string> fields = t.parsed->fields();
  if (std::find(fields.begin(), fields.end(), *given) != fields.end())
    return;
  std::vector<std::string_view> candidates(fields.begin(), fields.end());
  std::string message = key + " '" + *given + "' is not a field of " +
                        "prompt_template" +
                        describeLine(t.promptTemplate.location) +
                        ", whose fields are " + bracketed(fields);
  std::string close = closestMatch(*given, candidates);
  if (!close.empty())
    message += "; did you mean '" + close + "'?";
  sink.error(given.location, message);
}

//===----------------------------------------------------------------------===//
// Tasks and the style
//===----------------------------------------------------------------------===//

void PromptLearningRules::checkTaskList(
    const Given<std::vector<ListItem>> &list, const std::string &key) {
  if (!list.has())
    return;
  std::unordered_map<std::string, const ListItem *> seen;
  for (const ListItem &item : *list) {
    auto [first, inserted] = seen.emplace(item.text, &item);
    if (!inserted) {
      sink.error(item.location, key + " names '" + item.text +
                                    "' twice (first at " +
                                    lineOf(first->second->location) + ")");
      continue;
    }
    if (byName.count(item.text))
      continue;
    std::string message = key + " names '" + item.text +
                          "', which has no entry in task_templates";
    if (templateNames.empty())
      message += keys.hasTaskTemplates
                     ? std::string(" (it is empty)")
                     : std::string(" (there is no task_templates)");
    std::string close = closestMatch(item.text, templateNames);
    if (!close.empty())
      message += "; did you mean '" + close + "'?";
    sink.error(item.location, message);
  }
}

void PromptLearningRules::tasks() {
  checkTaskList(keys.existingTasks, "existing_tasks");
  checkTaskList(keys.newTasks, "new_tasks");
  auto names = [](const Given<std::vector<ListItem>> &list) {
    std::unordered_map<std::string, const ListItem *> out;
    if (list.has())
      for (const ListItem &item : *list)
        out.emplace(item.text, &item);
    return out;
  };
  const auto existing = names(keys.existingTasks);
  const auto trained = names(keys.newTasks);
  if (keys.newTasks.has())
    for (const ListItem &item : *keys.newTasks) {
      auto other = existing.find(item.text);
      if (other != existing.end() && trained.at(item.text) == &item)
        sink.error(item.location,
                   "task '" + item.text +
                       "' is in both new_tasks and existing_tasks" +
                       describeLine(other->second->location) +
                       "; a task is either trained now (new) or already "
                       "tuned and frozen (existing)");
    }
  for (PromptTask &task : checked) {
    const bool isNew = trained.count(task.name) != 0;
    if (!isNew && !existing.count(task.name))
      continue; // a template no task list names: not used
    task.trained = isNew;
    d.promptTasks.tasks.push_back(task);
  }
}

void PromptLearningRules::style() {
  const bool hasTasks =
      (keys.existingTasks.has() && !keys.existingTasks->empty()) ||
      (keys.newTasks.has() && !keys.newTasks->empty());
  if (keys.style.has()) {
    d.virtualPromptStyle = *keys.style;
    if (!hasTasks)
      sink.error(keys.style.location,
                 "virtual_prompt_style " + keys.style.text +
                     " needs at least one task in new_tasks or existing_tasks");
    // The pipeline's stage programs take tokens, positions and labels only.
    if (d.pipelineParallelSize > 1)
      sink.error(keys.style.location,
                 "virtual_prompt_style " + keys.style.text +
                     " is not supported under pipeline_model_parallel_size " +
                     std::to_string(d.pipelineParallelSize) +
                     " yet: pipeline stages do not take the virtual_tokens "
                     "input (use tensor or data parallelism)");
    return;
  }
  // LoRA alone trains its adapters on tasks without virtual tokens.
  if (!hasTasks || keys.lora.scheme.valueOr(false))
    return;
  const Given<std::vector<ListItem>> &list =
      keys.newTasks.has() && !keys.newTasks->empty() ? keys.newTasks
                                                     : keys.existingTasks;
  const std::string key =
      &list == &keys.newTasks ? "new_tasks" : "existing_tasks";
  // Name the setting the tasks' templates ask for.
  bool virtualTokens = false;
  for (const Given<std::vector<ListItem>> *named :
       {&keys.newTasks, &keys.existingTasks})
    if (named->has())
      for (const ListItem &item : **named) {
        auto t = byName.find(item.text);
        virtualTokens |= t != byName.end() && writesVirtualTokens(*t->second);
      }
  if (virtualTokens)
    sink.error(list.location,
               key + " names tasks with virtual tokens, which need "
                     "virtual_prompt_style prompt-tuning or p-tuning");
  else
    sink.error(list.location,
               key + " names tasks, which need peft.peft_scheme lora (its "
                     "adapters train on tasks without virtual tokens) or "
                     "virtual_prompt_style prompt-tuning or p-tuning (tasks "
                     "with virtual tokens); with neither nothing is tuned "
                     "per task");
}

//===----------------------------------------------------------------------===//
// P-tuning, LoRA, the base
//===----------------------------------------------------------------------===//

void PromptLearningRules::pTuning() {
  const PTuningKeys &p = keys.pTuning;
  PTuningSettings &out = d.pTuning;
  out.encoderType = p.encoderType.valueOr(out.encoderType);
  out.numLayers = p.numLayers.valueOr(out.numLayers);
  out.encoderHidden = p.encoderHidden.valueOr(d.hiddenSize);
  out.dropout = p.dropout.valueOr(out.dropout);
  if (out.encoderType == PTuningSettings::EncoderType::Mlp && out.numLayers < 2)
    sink.error(
        p.numLayers.location,
        "p_tuning.num_layers " + std::to_string(out.numLayers) +
            " is too few for encoder_type " +
            (p.encoderType.has()
                 ? p.encoderType.text + describeLine(p.encoderType.location)
                 : std::string("mlp (default)")) +
            ": the MLP needs at least 2 layers, hidden -> "
            "encoder_hidden -> hidden");
}

void PromptLearningRules::lora() {
  const LoraKeys &k = keys.lora;
  LoraSettings &out = d.lora;
  out.enabled = k.scheme.valueOr(false);
  if (!out.enabled)
    return;
  out.adapterDim = k.adapterDim.valueOr(out.adapterDim);
  out.alpha = k.alpha.valueOr(static_cast<double>(out.adapterDim));
  out.adapterDropout = k.adapterDropout.valueOr(out.adapterDropout);
  if (!k.targetModules.has()) {
    out.attentionQkv = true; // NeMo's default: [attention_qkv]
    return;
  }
  if (k.targetModules->empty()) {
    sink.error(k.targetModules.location,
               "peft.lora_tuning.target_modules is empty; name at least one "
               "of attention_qkv, attention_dense, mlp_fc1, mlp_fc2 (or the "
               "groups attention, mlp, all)");
    return;
  }
  for (const ListItem &item : *k.targetModules) {
    const std::string &t = item.text;
    const bool all = t == "all";
    out.attentionQkv |= all || t == "attention" || t == "attention_qkv";
    out.attentionDense |= all || t == "attention" || t == "attention_dense";
    out.mlpFc1 |= all || t == "mlp" || t == "mlp_fc1";
    out.mlpFc2 |= all || t == "mlp" || t == "mlp_fc2";
  }
}

void PromptLearningRules::languageModelPath() {
  const Given<std::string> &given = keys.languageModelPath;
  if (!given.has())
    return;
  // Relative to the description's directory, as tokenizer.vocab_file is.
  std::filesystem::path path(*given);
  if (path.is_relative() && !fileName.empty())
    path = std::filesystem::path(fileName).parent_path() / path;
  d.languageModelPath = path.string();
  if (!d.freezesBase())
    sink.warning(given.location,
                 "language_model_path is ignored without virtual_prompt_style "
                 "or peft.peft_scheme lora: it names the frozen base model of "
                 "prompt learning and LoRA");
}

} // namespace

void applyPromptLearningRules(const Settings &settings, DiagnosticSink &sink,
                              ModelDescription &out) {
  PromptLearningRules(settings, sink, out).run();
}

} // namespace strata::frontend
