//===- PromptLearningParserTest.cpp - Prompt-learning and LoRA values ----===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Each prompt-learning and PEFT value on its own: a good description, the
// spellings, types and ranges, recorded keys, sections of another style or
// scheme. The rules that relate keys are in PromptLearningRulesTest.cpp.
//
//===----------------------------------------------------------------------===//
#include "frontends/model/ParserTestSupport.h"

namespace strata::frontend {
namespace {

using namespace strata::frontend::testing;

/// One new task 'moby' whose template is at line 12, then |extra| model
/// keys from line 14:
///   8   virtual_prompt_style: <style>
///   9   new_tasks: [moby]
///  10   task_templates:
///  11   - taskname: moby
///  12     prompt_template: "<|VIRTUAL_PROMPT_0|> {context} Continue: {answer}"
///  13     total_virtual_tokens: 10
std::string oneTask(std::string_view style, std::string_view extra = "") {
  return baseModel("  virtual_prompt_style: " + std::string(style) +
                   "\n"
                   "  new_tasks: [moby]\n"
                   "  task_templates:\n"
                   "  - taskname: moby\n"
                   "    prompt_template: \"<|VIRTUAL_PROMPT_0|> {context} "
                   "Continue: {answer}\"\n"
                   "    total_virtual_tokens: 10\n" +
                   std::string(extra));
}

/// LoRA with |extra| lora_tuning keys from line 11:
///   8   peft:
///   9     peft_scheme: lora
///  10     lora_tuning:
std::string lora(std::string_view extra) {
  return baseModel("  peft:\n    peft_scheme: lora\n    lora_tuning:\n" +
                   std::string(extra));
}

std::vector<std::string> recordedPaths(const ModelDescription &d) {
  std::vector<std::string> paths;
  for (const RecordedKey &key : d.recordedKeys)
    paths.push_back(key.path);
  return paths;
}

//===----------------------------------------------------------------------===//
// A good description
//===----------------------------------------------------------------------===//

TEST(PromptLearningParserTest, EveryKeyReachesItsField) {
  ModelDescription d = parseOk(baseModel(R"(  virtual_prompt_style: p-tuning
  language_model_path: /runs/base/step-2000
  existing_tasks: [moby]
  new_tasks: [union]
  task_templates:
  - taskname: moby
    prompt_template: "<|VIRTUAL_PROMPT_0|> {context} Continue: {answer}"
    prompt_template_fields: [context, answer]
    total_virtual_tokens: 10
    virtual_token_splits: [10]
    truncate_field: context
    answer_only_loss: true
    answer_field: answer
  - taskname: union
    prompt_template: "<|VIRTUAL_PROMPT_0|> Speech: {context} <|VIRTUAL_PROMPT_1|> Next: {answer}"
    total_virtual_tokens: 12
    virtual_token_splits: [8, 4]
    truncate_field: null
  p_tuning:
    encoder_type: lstm
    num_layers: 1
    encoder_hidden: 64
    dropout: 0.1
  peft:
    peft_scheme: lora
    lora_tuning:
      adapter_dim: 8
      alpha: 16
      adapter_dropout: 0.05
      target_modules: [attention_dense, mlp_fc2]
)"));
  ASSERT_TRUE(d.virtualPromptStyle.has_value());
  EXPECT_EQ(*d.virtualPromptStyle, VirtualPromptStyle::PTuning);
  EXPECT_EQ(d.languageModelPath, "/runs/base/step-2000");
  ASSERT_EQ(d.promptTasks.tasks.size(), 2u);
  const PromptTask &moby = d.promptTasks.tasks[0];
  EXPECT_EQ(moby.name, "moby");
  EXPECT_EQ(moby.templateText,
            "<|VIRTUAL_PROMPT_0|> {context} Continue: {answer}");
  EXPECT_EQ(moby.parsed.fields(),
            (std::vector<std::string>{"context", "answer"}));
  EXPECT_EQ(moby.totalVirtualTokens, 10);
  EXPECT_EQ(moby.virtualTokenSplits, std::vector<int64_t>{10});
  EXPECT_EQ(moby.truncateField, "context");
  EXPECT_TRUE(moby.answerOnlyLoss);
  EXPECT_EQ(moby.answerField, "answer");
  EXPECT_FALSE(moby.trained);
  const PromptTask &speech = d.promptTasks.tasks[1];
  EXPECT_EQ(speech.name, "union");
  EXPECT_EQ(speech.virtualTokenSplits, (std::vector<int64_t>{8, 4}));
  EXPECT_EQ(speech.parsed.virtualMarkers(), 2);
  EXPECT_EQ(speech.truncateField, "");
  EXPECT_FALSE(speech.answerOnlyLoss);
  EXPECT_EQ(speech.answerField, "");
  EXPECT_TRUE(speech.trained);
  EXPECT_EQ(d.promptTasks.offsetOf(1), 10);
  EXPECT_EQ(d.promptTasks.totalVirtualTokens(), 22);

  EXPECT_EQ(d.pTuning.encoderType, PTuningSettings::EncoderType::Lstm);
  EXPECT_EQ(d.pTuning.numLayers, 1);
  EXPECT_EQ(d.pTuning.encoderHidden, 64);
  EXPECT_EQ(d.pTuning.dropout, 0.1);

  EXPECT_TRUE(d.lora.enabled);
  EXPECT_EQ(d.lora.adapterDim, 8);
  EXPECT_EQ(d.lora.alpha, 16.0);
  EXPECT_EQ(d.lora.adapterDropout, 0.05);
  EXPECT_FALSE(d.lora.attentionQkv);
  EXPECT_TRUE(d.lora.attentionDense);
  EXPECT_FALSE(d.lora.mlpFc1);
  EXPECT_TRUE(d.lora.mlpFc2);
  EXPECT_TRUE(d.freezesBase());
  EXPECT_EQ(recordedPaths(d), std::vector<std::string>{"model.tokenizer.type"});
}

// LoRA alone on NeMo-style task data (PEFT/SFT): templates with fields and
// no virtual tokens; total_virtual_tokens and virtual_token_splits may be 0
// and [] or absent.
TEST(PromptLearningParserTest, LoraAloneWithTaskTemplates) {
  ModelDescription d = parseOk(baseModel(R"(  peft:
    peft_scheme: lora
    lora_tuning: {adapter_dim: 4, target_modules: [attention_qkv]}
  new_tasks: [moby, union]
  task_templates:
  - taskname: moby
    prompt_template: "{context} Continue: {answer}"
    total_virtual_tokens: 0
    virtual_token_splits: []
    truncate_field: context
    answer_only_loss: true
    answer_field: answer
  - taskname: union
    prompt_template: "Speech: {context} Next: {answer}"
)"));
  EXPECT_FALSE(d.virtualPromptStyle.has_value());
  EXPECT_TRUE(d.lora.enabled);
  ASSERT_EQ(d.promptTasks.tasks.size(), 2u);
  const PromptTask &moby = d.promptTasks.tasks[0];
  EXPECT_EQ(moby.name, "moby");
  EXPECT_EQ(moby.templateText, "{context} Continue: {answer}");
  EXPECT_EQ(moby.parsed.virtualMarkers(), 0);
  EXPECT_EQ(moby.totalVirtualTokens, 0);
  EXPECT_TRUE(moby.virtualTokenSplits.empty());
  EXPECT_EQ(moby.truncateField, "context");
  EXPECT_TRUE(moby.answerOnlyLoss);
  EXPECT_EQ(moby.answerField, "answer");
  EXPECT_TRUE(moby.trained);
  const PromptTask &speech = d.promptTasks.tasks[1];
  EXPECT_EQ(speech.totalVirtualTokens, 0);
  EXPECT_TRUE(speech.virtualTokenSplits.empty());
  EXPECT_EQ(speech.parsed.fields(),
            (std::vector<std::string>{"context", "answer"}));
  EXPECT_EQ(d.promptTasks.totalVirtualTokens(), 0);
  EXPECT_TRUE(d.freezesBase());
}

TEST(PromptLearningParserTest, WithoutTheKeysNothingChanges) {
  ModelDescription d = parseOk(baseModel());
  EXPECT_FALSE(d.virtualPromptStyle.has_value());
  EXPECT_TRUE(d.promptTasks.tasks.empty());
  EXPECT_EQ(d.languageModelPath, "");
  EXPECT_FALSE(d.lora.enabled);
  EXPECT_FALSE(d.freezesBase());
  EXPECT_EQ(d.pTuning.encoderType, PTuningSettings::EncoderType::Mlp);
  EXPECT_EQ(d.pTuning.numLayers, 2);
  EXPECT_EQ(d.pTuning.encoderHidden, 128);
}

//===----------------------------------------------------------------------===//
// virtual_prompt_style, language_model_path, the task lists
//===----------------------------------------------------------------------===//

TEST(PromptLearningParserTest, Styles) {
  EXPECT_EQ(*parseOk(oneTask("prompt-tuning")).virtualPromptStyle,
            VirtualPromptStyle::PromptTuning);
  EXPECT_EQ(*parseOk(oneTask("'P-Tuning'")).virtualPromptStyle,
            VirtualPromptStyle::PTuning);
  EXPECT_FALSE(parseOk(baseModel("  virtual_prompt_style: null\n"))
                   .virtualPromptStyle.has_value());
}

TEST(PromptLearningParserTest, InferenceStyleNamesModeInfer) {
  ParseResult r = parse(oneTask("inference"));
  EXPECT_TRUE(hasError(r, 8,
                       "virtual_prompt_style inference is not a style "
                       "to compile: an inference compile of a tuned "
                       "model is `strata-compile --mode infer` with the "
                       "style it was trained with (prompt-tuning or "
                       "p-tuning)",
                       25));
  EXPECT_EQ(errorCount(r), 1u) << dump(r);
  EXPECT_TRUE(hasError(parse(oneTask("no-prompts")), 8,
                       "leave virtual_prompt_style out"));
}

TEST(PromptLearningParserTest, UnknownStyleSuggests) {
  EXPECT_TRUE(hasError(parse(oneTask("p-tunning")), 8,
                       "unknown virtual_prompt_style 'p-tunning'; expected "
                       "prompt-tuning or p-tuning; did you mean 'p-tuning'?"));
  EXPECT_TRUE(
      hasError(parse(oneTask("[a]")), 8,
               "virtual_prompt_style must be a string, got a sequence"));
}

TEST(PromptLearningParserTest, LanguageModelPathIsRelativeToTheDescription) {
  const std::string text =
      oneTask("prompt-tuning", "  language_model_path: runs/base\n");
  ParseResult r = parseModelDescription(text, "/work/models/pt.yaml");
  ASSERT_TRUE(r.succeeded()) << dump(r);
  EXPECT_EQ(r.description->languageModelPath, "/work/models/runs/base");
  EXPECT_EQ(parseOk(text).languageModelPath, "runs/base");
  ParseResult absolute = parseModelDescription(
      oneTask("prompt-tuning", "  language_model_path: /abs/base\n"),
      "/work/models/pt.yaml");
  ASSERT_TRUE(absolute.succeeded()) << dump(absolute);
  EXPECT_EQ(absolute.description->languageModelPath, "/abs/base");
  EXPECT_TRUE(
      hasError(parse(oneTask("p-tuning", "  language_model_path: \"\"\n")), 14,
               "language_model_path must be a non-empty path"));
  EXPECT_TRUE(
      hasError(parse(oneTask("p-tuning", "  language_model_path: ???\n")), 14,
               "language_model_path is '\?\?\?', a value that "
               "must be given"));
}

TEST(PromptLearningParserTest, TaskListsAreListsOfNames) {
  ParseResult r = parse(baseModel("  virtual_prompt_style: p-tuning\n"
                                  "  new_tasks: moby\n"
                                  "  existing_tasks: [[a], \"\"]\n"));
  EXPECT_TRUE(hasError(r, 9, "new_tasks must be a list of names, got moby"));
  EXPECT_TRUE(hasError(r, 10,
                       "existing_tasks entries must be names, got a "
                       "sequence",
                       20));
  EXPECT_TRUE(hasError(r, 10,
                       "existing_tasks entries must be names, got the "
                       "string \"\"",
                       25));
}

//===----------------------------------------------------------------------===//
// task_templates
//===----------------------------------------------------------------------===//

TEST(PromptLearningParserTest, TaskTemplatesAreMappings) {
  EXPECT_TRUE(hasError(parse(baseModel("  task_templates: moby\n")), 8,
                       "task_templates must be a list of mappings, got moby"));
  EXPECT_TRUE(hasError(parse(baseModel("  task_templates:\n  - moby\n")), 9,
                       "task_templates entries must be mappings with a "
                       "taskname and a prompt_template, got moby"));
}

TEST(PromptLearningParserTest, UnknownTemplateKeySuggests) {
  ParseResult r = parse(oneTask("p-tuning", "    total_virtual_token: 3\n"));
  EXPECT_TRUE(hasError(r, 14,
                       "unknown key 'total_virtual_token' in "
                       "model.task_templates; did you mean "
                       "'total_virtual_tokens'?",
                       5));
}

TEST(PromptLearningParserTest, TemplateErrorsPointAtTheTemplate) {
  ParseResult r =
      parse(baseModel("  virtual_prompt_style: p-tuning\n"
                      "  new_tasks: [moby]\n"
                      "  task_templates:\n"
                      "  - taskname: moby\n"
                      "    prompt_template: \"{context} {answer}\"\n"
                      "    total_virtual_tokens: 10\n"));
  EXPECT_TRUE(hasError(r, 12,
                       "prompt template \"{context} {answer}\" has no "
                       "<|VIRTUAL_PROMPT_0|>: it says where the "
                       "virtual tokens go",
                       22));
  EXPECT_EQ(errorCount(r), 1u) << dump(r);
  EXPECT_TRUE(hasError(parse(baseModel("  task_templates:\n"
                                       "  - prompt_template: \"<|VIRTUAL_"
                                       "PROMPT_0|> {context\"\n")),
                       9,
                       "prompt template: '{' at character 21 has no "
                       "closing '}'"));
  EXPECT_TRUE(hasError(parse(baseModel("  task_templates:\n"
                                       "  - prompt_template: [a]\n")),
                       9, "prompt_template must be a string, got a sequence"));
}

TEST(PromptLearningParserTest, TemplateValues) {
  ParseResult r = parse(oneTask("p-tuning", "    virtual_token_splits: [0]\n"
                                            "    answer_only_loss: yes\n"
                                            "    truncate_field: [x]\n"
                                            "    prompt_template_fields: x\n"));
  EXPECT_TRUE(hasError(r, 14,
                       "virtual_token_splits entries must be positive, "
                       "got 0"));
  EXPECT_TRUE(
      hasError(r, 15, "answer_only_loss must be true or false, got yes"));
  EXPECT_TRUE(
      hasError(r, 16, "truncate_field must be a string, got a sequence"));
  EXPECT_TRUE(hasError(r, 17,
                       "prompt_template_fields must be a list of names, "
                       "got x"));
  // 0 is a value of its own (LoRA alone); whether the style needs more is
  // a rule (PromptLearningRulesTest).
  EXPECT_TRUE(hasError(parse(baseModel("  task_templates:\n"
                                       "  - total_virtual_tokens: -1\n"
                                       "    taskname: \"\"\n"
                                       "    virtual_token_splits: 3\n")),
                       9, "total_virtual_tokens must be 0 or more, got -1"));
  ParseResult more = parse(baseModel("  task_templates:\n"
                                     "  - taskname: \"\"\n"
                                     "    virtual_token_splits: 3\n"));
  EXPECT_TRUE(hasError(more, 9, "taskname must not be empty"));
  EXPECT_TRUE(hasError(more, 10,
                       "virtual_token_splits must be a list of "
                       "integers, got 3"));
}

TEST(PromptLearningParserTest, InterpolatedTemplateValues) {
  ModelDescription d = parseOk(oneTask(
      "p-tuning", "    virtual_token_splits:\n"
                  "    - ${model.task_templates.0.total_virtual_tokens}\n"
                  "  p_tuning:\n"
                  "    encoder_hidden: ${model.hidden_size}\n"));
  ASSERT_EQ(d.promptTasks.tasks.size(), 1u);
  EXPECT_EQ(d.promptTasks.tasks[0].virtualTokenSplits,
            std::vector<int64_t>{10});
  EXPECT_EQ(d.pTuning.encoderHidden, 128);
}

//===----------------------------------------------------------------------===//
// p_tuning and prompt_tuning
//===----------------------------------------------------------------------===//

TEST(PromptLearningParserTest, EncoderTypes) {
  auto encoder = [](const std::string &type) {
    return parseOk(oneTask("p-tuning",
                           "  p_tuning:\n    encoder_type: " + type + "\n"))
        .pTuning.encoderType;
  };
  EXPECT_EQ(encoder("mlp"), PTuningSettings::EncoderType::Mlp);
  EXPECT_EQ(encoder("tpmlp"), PTuningSettings::EncoderType::Mlp);
  EXPECT_EQ(encoder("LSTM"), PTuningSettings::EncoderType::Lstm);
  EXPECT_TRUE(
      hasError(parse(oneTask("p-tuning", "  p_tuning:\n"
                                         "    encoder_type: biglstm\n")),
               15,
               "p_tuning.encoder_type biglstm is not supported yet; "
               "use mlp, tpmlp or lstm"));
  EXPECT_TRUE(hasError(parse(oneTask("p-tuning", "  p_tuning:\n"
                                                 "    encoder_type: lstn\n")),
                       15,
                       "unknown p_tuning.encoder_type 'lstn'; expected "
                       "mlp, tpmlp or lstm; did you mean 'lstm'?"));
  EXPECT_STREQ(toString(PTuningSettings::EncoderType::Lstm), "lstm");
}

TEST(PromptLearningParserTest, PTuningValues) {
  ParseResult r = parse(oneTask("p-tuning", "  p_tuning:\n"
                                            "    dropout: 1.0\n"
                                            "    encoder_hidden: 0\n"
                                            "    num_layers: two\n"
                                            "    init_std: 0.023\n"
                                            "    hidden: 3\n"));
  EXPECT_TRUE(hasError(r, 15, "p_tuning.dropout must be in [0, 1), got 1.0"));
  EXPECT_TRUE(
      hasError(r, 16, "p_tuning.encoder_hidden must be positive, got 0"));
  EXPECT_TRUE(
      hasError(r, 17, "p_tuning.num_layers must be an integer, got two"));
  EXPECT_TRUE(hasError(r, 19, "unknown key 'hidden' in model.p_tuning"));
  EXPECT_EQ(errorCount(r), 4u) << dump(r);
  EXPECT_TRUE(hasError(parse(oneTask("p-tuning", "  p_tuning: 3\n")), 14,
                       "p_tuning must be a mapping, got 3"));
}

TEST(PromptLearningParserTest, PTuningInitStdIsRecorded) {
  ModelDescription d = parseOk(oneTask("p-tuning", "  p_tuning:\n"
                                                   "    init_std: 0.023\n"));
  EXPECT_EQ(recordedPaths(d),
            (std::vector<std::string>{"model.tokenizer.type",
                                      "model.p_tuning.init_std"}));
}

TEST(PromptLearningParserTest, PTuningWithPromptTuningIsRecordedUnchecked) {
  // NeMo's configs carry p_tuning whatever the style; the style may come
  // after it.
  ParseResult r = parse(baseModel("  p_tuning:\n"
                                  "    encoder_type: biglstm\n"
                                  "    whatever: 1\n"
                                  "  new_tasks: [moby]\n"
                                  "  task_templates:\n"
                                  "  - taskname: moby\n"
                                  "    prompt_template: \"<|VIRTUAL_PROMPT_0|>"
                                  "{x}\"\n"
                                  "    total_virtual_tokens: 4\n"
                                  "  virtual_prompt_style: prompt-tuning\n"));
  ASSERT_TRUE(r.succeeded()) << dump(r);
  EXPECT_TRUE(r.diagnostics.empty()) << dump(r);
  const ModelDescription &d = *r.description;
  ASSERT_EQ(d.recordedKeys.size(), 2u);
  EXPECT_EQ(d.recordedKeys[1].path, "model.p_tuning");
  EXPECT_EQ(d.recordedKeys[1].value, "{encoder_type: biglstm, whatever: 1}");
  EXPECT_EQ(d.recordedKeys[1].location.line, 9);
  EXPECT_EQ(d.pTuning.encoderType, PTuningSettings::EncoderType::Mlp);
}

TEST(PromptLearningParserTest, PromptTuningKeysAreRecorded) {
  ParseResult r =
      parse(oneTask("prompt-tuning", "  prompt_tuning:\n"
                                     "    new_prompt_init_methods: ['random']\n"
                                     "    new_prompt_init_text: [null]\n"));
  ASSERT_TRUE(r.succeeded()) << dump(r);
  EXPECT_TRUE(r.diagnostics.empty()) << dump(r);
  EXPECT_EQ(
      recordedPaths(*r.description),
      (std::vector<std::string>{"model.tokenizer.type",
                                "model.prompt_tuning.new_prompt_init_methods",
                                "model.prompt_tuning.new_prompt_init_text"}));
  EXPECT_TRUE(hasError(
      parse(oneTask("prompt-tuning", "  prompt_tuning:\n"
                                     "    new_prompt_init_method: [text]\n")),
      15,
      "unknown key 'new_prompt_init_method' in "
      "model.prompt_tuning; did you mean "
      "'new_prompt_init_methods'?"));
}

TEST(PromptLearningParserTest, TextInitializationWarns) {
  const std::string extra = "  prompt_tuning:\n"
                            "    new_prompt_init_methods: ['text']\n";
  ParseResult r = parse(oneTask("prompt-tuning", extra));
  ASSERT_TRUE(r.succeeded()) << dump(r);
  EXPECT_TRUE(hasWarning(r, 15,
                         "prompt_tuning.new_prompt_init_methods text "
                         "is not implemented and is ignored; Strata "
                         "initializes every prompt table randomly, "
                         "N(0, init_method_std)"));
  // With p-tuning, prompt_tuning is not used at all.
  ParseResult p = parse(oneTask("p-tuning", extra));
  ASSERT_TRUE(p.succeeded()) << dump(p);
  EXPECT_TRUE(p.diagnostics.empty()) << dump(p);
}

//===----------------------------------------------------------------------===//
// peft
//===----------------------------------------------------------------------===//

TEST(PromptLearningParserTest, LoraDefaults) {
  ModelDescription d = parseOk(baseModel("  peft:\n    peft_scheme: lora\n"));
  EXPECT_TRUE(d.lora.enabled);
  EXPECT_EQ(d.lora.adapterDim, 32);
  EXPECT_EQ(d.lora.alpha, 32.0);
  EXPECT_EQ(d.lora.adapterDropout, 0.0);
  EXPECT_TRUE(d.lora.attentionQkv);
  EXPECT_FALSE(d.lora.attentionDense || d.lora.mlpFc1 || d.lora.mlpFc2);
  EXPECT_FALSE(d.virtualPromptStyle.has_value());
  EXPECT_TRUE(d.freezesBase());
  // alpha follows adapter_dim, NeMo's default.
  EXPECT_EQ(parseOk(lora("      adapter_dim: 8\n")).lora.alpha, 8.0);
  EXPECT_EQ(
      parseOk(lora("      adapter_dim: 8\n"
                   "      alpha: ${model.peft.lora_tuning.adapter_dim}\n"))
          .lora.alpha,
      8.0);
}

TEST(PromptLearningParserTest, NoPeftScheme) {
  for (const char *scheme : {"none", "null", "NONE"}) {
    ParseResult r =
        parse(baseModel(std::string("  peft:\n    peft_scheme: ") + scheme +
                        "\n    lora_tuning:\n      alpha: -1\n"));
    ASSERT_TRUE(r.succeeded()) << scheme << "\n" << dump(r);
    EXPECT_FALSE(r.description->lora.enabled) << scheme;
    EXPECT_EQ(recordedPaths(*r.description).back(), "model.peft.lora_tuning");
  }
}

TEST(PromptLearningParserTest, OtherPeftSchemesSayWhatStrataSupports) {
  for (const char *scheme : {"adapter", "ia3", "selective", "qlora"})
    EXPECT_TRUE(hasError(parse(baseModel(std::string("  peft:\n    peft_"
                                                     "scheme: ") +
                                         scheme + "\n")),
                         9,
                         std::string("peft.peft_scheme ") + scheme +
                             " is not supported yet; Strata supports lora "
                             "(or none)"))
        << scheme;
  EXPECT_TRUE(hasError(parse(baseModel("  peft:\n    peft_scheme: ptuning\n")),
                       9, "For p-tuning set virtual_prompt_style p-tuning"));
  EXPECT_TRUE(hasError(parse(baseModel("  peft:\n    peft_scheme: "
                                       "ptuning,lora\n")),
                       9, "peft.peft_scheme ptuning,lora combines schemes"));
  EXPECT_TRUE(hasError(parse(baseModel("  peft:\n    peft_scheme: lroa\n")), 9,
                       "unknown peft.peft_scheme 'lroa'; expected lora or "
                       "none; did you mean 'lora'?",
                       18));
}

TEST(PromptLearningParserTest, LoraValues) {
  ParseResult r = parse(lora("      adapter_dim: 0\n"
                             "      alpha: 0\n"
                             "      adapter_dropout: 1\n"
                             "      target_module: [mlp]\n"));
  EXPECT_TRUE(hasError(r, 11,
                       "peft.lora_tuning.adapter_dim must be positive, "
                       "got 0"));
  EXPECT_TRUE(
      hasError(r, 12, "peft.lora_tuning.alpha must be positive, got 0"));
  EXPECT_TRUE(hasError(r, 13,
                       "peft.lora_tuning.adapter_dropout must be in "
                       "[0, 1), got 1"));
  EXPECT_TRUE(hasError(r, 14,
                       "unknown key 'target_module' in "
                       "model.peft.lora_tuning; did you mean "
                       "'target_modules'?"));
  EXPECT_TRUE(hasError(parse(baseModel("  peft: lora\n")), 8,
                       "peft must be a mapping, got lora"));
}

TEST(PromptLearningParserTest, UnknownTargetModuleSuggests) {
  ParseResult r = parse(lora("      target_modules: [attention_qkv, "
                             "attention_qvk, mlp_fc3, projection]\n"));
  EXPECT_TRUE(hasError(r, 11,
                       "unknown peft.lora_tuning.target_modules entry "
                       "'attention_qvk'; expected attention_qkv, "
                       "attention_dense, mlp_fc1, mlp_fc2, attention, "
                       "mlp or all; did you mean 'attention_qkv'?",
                       39));
  EXPECT_TRUE(hasError(r, 11,
                       "entry 'mlp_fc3'; expected attention_qkv, "
                       "attention_dense, mlp_fc1, mlp_fc2, attention, "
                       "mlp or all; did you mean 'mlp_fc1'?"));
  EXPECT_TRUE(hasError(r, 11, "entry 'projection'; expected"));
  EXPECT_EQ(errorCount(r), 3u) << dump(r);
}

TEST(PromptLearningParserTest, NeMoLoraKeysAreRecorded) {
  ParseResult r = parse(lora("      variant: nemo\n"
                             "      column_init_method: 'xavier'\n"
                             "      row_init_method: 'zero'\n"
                             "      layer_selection: null\n"
                             "      weight_tying: False\n"
                             "      position_embedding_strategy: null\n"));
  ASSERT_TRUE(r.succeeded()) << dump(r);
  EXPECT_TRUE(r.diagnostics.empty()) << dump(r);
  EXPECT_EQ(recordedPaths(*r.description),
            (std::vector<std::string>{
                "model.tokenizer.type", "model.peft.lora_tuning.variant",
                "model.peft.lora_tuning.column_init_method",
                "model.peft.lora_tuning.row_init_method",
                "model.peft.lora_tuning.layer_selection",
                "model.peft.lora_tuning.weight_tying",
                "model.peft.lora_tuning.position_embedding_strategy"}));
}

TEST(PromptLearningParserTest, UnsupportedLoraLayoutsAreErrors) {
  ParseResult r = parse(lora("      layer_selection: [1, 12]\n"
                             "      weight_tying: true\n"
                             "      variant: canonical\n"
                             "      column_init_method: normal\n"));
  EXPECT_TRUE(hasError(r, 11,
                       "layer_selection [1, 12] is not supported yet; "
                       "Strata supports only layer_selection null"));
  EXPECT_TRUE(hasError(r, 12,
                       "weight_tying true is not supported yet; Strata "
                       "supports only weight_tying false"));
  EXPECT_TRUE(hasError(r, 13, "variant canonical is not supported yet"));
  EXPECT_TRUE(hasWarning(r, 14,
                         "column_init_method normal is not implemented "
                         "and is ignored; Strata builds the model with "
                         "column_init_method xavier"));
  EXPECT_EQ(errorCount(r), 3u) << dump(r);
}

TEST(PromptLearningParserTest, OtherSchemesSectionsAreRecorded) {
  ParseResult r = parse(lora("      adapter_dim: 4\n"
                             "    restore_from_path: null\n"
                             "    adapter_tuning:\n"
                             "      type: parallel_adapter\n"
                             "    p_tuning:\n"
                             "      virtual_tokens: 10\n"
                             "    ia3_tuning:\n"
                             "      layer_selection: null\n"
                             "    selective_tuning:\n"
                             "      tunable_base_param_names: [x]\n"));
  ASSERT_TRUE(r.succeeded()) << dump(r);
  EXPECT_EQ(recordedPaths(*r.description),
            (std::vector<std::string>{
                "model.tokenizer.type", "model.peft.restore_from_path",
                "model.peft.adapter_tuning", "model.peft.p_tuning",
                "model.peft.ia3_tuning", "model.peft.selective_tuning"}));
}

TEST(PromptLearningParserTest, KeysInTheWrongSection) {
  EXPECT_TRUE(hasError(parse(baseModel("  adapter_dim: 8\n")), 8,
                       "unknown key 'adapter_dim' in model; 'adapter_dim' "
                       "belongs in model.peft.lora_tuning"));
  EXPECT_TRUE(hasError(parse(baseModel("  peft:\n    target_modules: [all]\n")),
                       9,
                       "unknown key 'target_modules' in model.peft; "
                       "'target_modules' belongs in model.peft.lora_tuning"));
}

//===----------------------------------------------------------------------===//
// NeMo's own configs
//===----------------------------------------------------------------------===//

TEST(PromptLearningParserTest, NeMoPromptLearningConfigReads) {
  // The model keys of NeMo's megatron_gpt_prompt_learning_config.yaml on top
  // of a base model.
  ParseResult r = parse(R"(name: megatron_virtual_prompt_gpt
trainer:
  devices: 1
  precision: 16
  resume_from_checkpoint: null
model:
  seed: 1234
  nemo_path: ${name}.nemo
  virtual_prompt_style: 'p-tuning'
  tensor_model_parallel_size: 1
  pipeline_model_parallel_size: 1
  global_batch_size: 8
  micro_batch_size: 4
  validation_global_batch_size: ${model.global_batch_size}
  validation_micro_batch_size: ${model.micro_batch_size}
  validation_drop_last: False
  report_validation_metric: False
  validation_metric: accuracy
  restore_path: null
  language_model_path: models/megatron_125M_gpt.nemo
  save_nemo_on_validation_end: True
  existing_tasks: []
  new_tasks: ['rte']
  task_templates:
  - taskname: "boolq"
    prompt_template: "<|VIRTUAL_PROMPT_0|> Passage: {passage} <|VIRTUAL_PROMPT_1|> \nQuestion: {question} \nAnswer: {answer}"
    total_virtual_tokens: 30
    virtual_token_splits: [20, 10]
    truncate_field: "passage"
    answer_only_loss: True
    answer_field: "answer"
  - taskname: "intent_and_slot"
    prompt_template: "<|VIRTUAL_PROMPT_0|> intent options: {intent_options} <|VIRTUAL_PROMPT_1|> slot options: {slot_options} <|VIRTUAL_PROMPT_2|> {utterance} \nintent: {intent} \nslot: {slot}"
    total_virtual_tokens: 30
    answer_only_loss: False
    virtual_token_splits: [15, 10, 5]
    truncate_field: null
  - taskname: "rte"
    prompt_template: "<|VIRTUAL_PROMPT_0|>{premise}\n{hypothesis}\nAnswer: {answer}"
    total_virtual_tokens: 9
    virtual_token_splits: [9]
    truncate_field: null
    answer_only_loss: True
    answer_field: "answer"
  prompt_tuning:
    new_prompt_init_methods: ['text']
    new_prompt_init_text: ['some init text goes here']
  p_tuning:
    dropout: 0.0
    num_layers: 2
  data:
    train_ds: [data/rte_train.jsonl,]
  optim:
    name: fused_adam
    lr: 1e-4
  num_layers: 12
  hidden_size: 768
  num_attention_heads: 12
  encoder_seq_length: 1024
  tokenizer:
    type: GPT2BPETokenizer
)");
  ASSERT_TRUE(r.succeeded()) << dump(r);
  EXPECT_TRUE(r.diagnostics.empty()) << dump(r);
  const ModelDescription &d = *r.description;
  ASSERT_EQ(d.promptTasks.tasks.size(), 1u);
  EXPECT_EQ(d.promptTasks.tasks[0].name, "rte");
  EXPECT_TRUE(d.promptTasks.tasks[0].trained);
  EXPECT_EQ(d.pTuning.encoderHidden, 768);
  EXPECT_EQ(d.languageModelPath, "models/megatron_125M_gpt.nemo");
}

} // namespace
} // namespace strata::frontend
