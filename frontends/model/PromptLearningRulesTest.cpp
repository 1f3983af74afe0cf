//===- PromptLearningRulesTest.cpp - Prompt-learning rules across keys ---===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// One good and one bad case per rule that relates prompt-learning or LoRA
// keys; bad cases check the message, the line it points at and the line it
// names for the other key.
//
//===----------------------------------------------------------------------===//
#include "frontends/model/ParserTestSupport.h"

namespace strata::frontend {
namespace {

using namespace strata::frontend::testing;

/// A p-tuning description with task 'moby' (new) and |templateKeys| in its
/// template from line 12, then |extra| model keys:
///   8   virtual_prompt_style: p-tuning
///   9   new_tasks: [moby]
///  10   task_templates:
///  11   - taskname: moby
///  12.. templateKeys
std::string oneTemplate(std::string_view templateKeys,
                        std::string_view extra = "") {
  return baseModel("  virtual_prompt_style: p-tuning\n"
                   "  new_tasks: [moby]\n"
                   "  task_templates:\n"
                   "  - taskname: moby\n" +
                   std::string(templateKeys) + std::string(extra));
}

/// The keys of a good template at lines 12 and 13.
constexpr const char *kMoby =
    "    prompt_template: \"<|VIRTUAL_PROMPT_0|> {context} Continue: "
    "{answer}\"\n"
    "    total_virtual_tokens: 10\n";

/// Two markers, at line 12; total_virtual_tokens 12 at line 13.
constexpr const char *kUnion =
    "    prompt_template: \"<|VIRTUAL_PROMPT_0|> Speech: {context} "
    "<|VIRTUAL_PROMPT_1|> Next: {answer}\"\n"
    "    total_virtual_tokens: 12\n";

/// Templates a, b, c (lines 9-14, one line per key) and |lists| from line 15.
std::string threeTemplates(std::string_view lists) {
  std::string out = baseModel("  task_templates:\n");
  for (const char *name : {"a", "b", "c"})
    out += std::string("  - taskname: ") + name +
           "\n    prompt_template: \"<|VIRTUAL_PROMPT_0|> {x}\"\n"
           "    total_virtual_tokens: 2\n";
  // Lines 9-17; the lists start at line 18.
  return out + std::string(lists);
}

//===----------------------------------------------------------------------===//
// task_templates entries
//===----------------------------------------------------------------------===//

TEST(PromptLearningRulesTest, TasknamesAreUnique) {
  ParseResult r = parse(oneTemplate(kMoby, "  - taskname: moby\n"
                                           "    prompt_template: \"<|VIRTUAL_"
                                           "PROMPT_0|>{y}\"\n"
                                           "    total_virtual_tokens: 2\n"));
  EXPECT_TRUE(hasError(r, 14,
                       "taskname 'moby' is already the name of the "
                       "task_templates entry at line 11; tasknames "
                       "must be unique",
                       15));
  EXPECT_EQ(errorCount(r), 1u) << dump(r);
}

TEST(PromptLearningRulesTest, TemplatesNeedATasknameATemplateAndTokens) {
  ParseResult r = parse(baseModel("  virtual_prompt_style: p-tuning\n"
                                  "  existing_tasks: [c]\n"
                                  "  task_templates:\n"
                                  "  - prompt_template: \"<|VIRTUAL_PROMPT_0|>"
                                  "{x}\"\n"
                                  "    total_virtual_tokens: 3\n"
                                  "  - taskname: b\n"
                                  "  - taskname: c\n"
                                  "    total_virtual_tokens: null\n"
                                  "    prompt_template: null\n"));
  EXPECT_TRUE(hasError(r, 11, "task_templates entry without a taskname"));
  EXPECT_TRUE(hasError(r, 13, "task 'b' has no prompt_template"));
  EXPECT_TRUE(hasError(r, 13, "task 'b' has no total_virtual_tokens"));
  EXPECT_TRUE(hasError(r, 15, "task 'c' has no total_virtual_tokens"));
  EXPECT_TRUE(hasError(r, 16, "task 'c' has no prompt_template"));
  EXPECT_EQ(errorCount(r), 5u) << dump(r);
  // LoRA alone needs no total_virtual_tokens: its tasks have none.
  ParseResult lora = parse(baseModel("  peft:\n    peft_scheme: lora\n"
                                     "  task_templates:\n"
                                     "  - taskname: b\n"));
  EXPECT_TRUE(hasError(lora, 11, "task 'b' has no prompt_template"));
  EXPECT_EQ(errorCount(lora), 1u) << dump(lora);
}

//===----------------------------------------------------------------------===//
// Virtual tokens follow the style
//===----------------------------------------------------------------------===//

TEST(PromptLearningRulesTest, StyleNeedsVirtualTokens) {
  // A template without markers is NeMo's PEFT format; with a style it is a
  // mistake (an acceptance point of issue 14).
  ParseResult marker = parse(oneTemplate("    prompt_template: \"{context} "
                                         "Continue: {answer}\"\n"
                                         "    total_virtual_tokens: 10\n"));
  EXPECT_TRUE(hasError(marker, 12,
                       "prompt template \"{context} Continue: {answer}\" "
                       "has no <|VIRTUAL_PROMPT_0|>: it says where the "
                       "virtual tokens go",
                       22));
  EXPECT_EQ(errorCount(marker), 1u) << dump(marker);
  ParseResult zero =
      parse(oneTemplate("    prompt_template: \"<|VIRTUAL_PROMPT_0|> {x}\"\n"
                        "    total_virtual_tokens: 0\n"));
  EXPECT_TRUE(hasError(zero, 13,
                       "total_virtual_tokens must be positive, got 0: "
                       "virtual_prompt_style p-tuning (line 8) gives every "
                       "task virtual tokens",
                       27));
  EXPECT_EQ(errorCount(zero), 1u) << dump(zero);
  EXPECT_TRUE(hasError(
      parse(oneTemplate("    prompt_template: \"{x}\"\n")), 11,
      "task 'moby' has no total_virtual_tokens"));
}

/// A LoRA description (no style) with task 'moby' (new) and |templateKeys|
/// in its template from line 14:
///   8   peft:
///   9     peft_scheme: lora
///  10   new_tasks: [moby]
///  11   task_templates:
///  12   - taskname: moby
///  13     prompt_template: "{context} Continue: {answer}"  (unless replaced)
std::string loraTemplate(std::string_view templateKeys,
                         std::string_view promptTemplate =
                             "\"{context} Continue: {answer}\"") {
  return baseModel("  peft:\n"
                   "    peft_scheme: lora\n"
                   "  new_tasks: [moby]\n"
                   "  task_templates:\n"
                   "  - taskname: moby\n"
                   "    prompt_template: " +
                   std::string(promptTemplate) + "\n" +
                   std::string(templateKeys));
}

TEST(PromptLearningRulesTest, LoraAloneHasNoVirtualTokens) {
  for (const char *keys :
       {"", "    total_virtual_tokens: 0\n",
        "    total_virtual_tokens: null\n    virtual_token_splits: null\n",
        "    total_virtual_tokens: 0\n    virtual_token_splits: []\n"}) {
    ParseResult r = parse(loraTemplate(keys));
    ASSERT_TRUE(r.succeeded()) << keys << dump(r);
    ASSERT_EQ(r.description->promptTasks.tasks.size(), 1u);
    EXPECT_EQ(r.description->promptTasks.tasks[0].totalVirtualTokens, 0);
    EXPECT_TRUE(r.description->promptTasks.tasks[0].virtualTokenSplits.empty());
  }
  // One error per template, at the first key that has virtual tokens: a
  // prompt-learning template copied into a LoRA description has all three.
  ParseResult copied = parse(loraTemplate("    total_virtual_tokens: 10\n"
                                          "    virtual_token_splits: [10]\n",
                                          "\"<|VIRTUAL_PROMPT_0|> {context}\""));
  EXPECT_TRUE(hasError(copied, 13,
                       "prompt template \"<|VIRTUAL_PROMPT_0|> {context}\" "
                       "has <|VIRTUAL_PROMPT_0|>: virtual tokens need "
                       "virtual_prompt_style prompt-tuning or p-tuning; with "
                       "peft.peft_scheme lora (line 9) alone a template has "
                       "fields and text only",
                       22));
  EXPECT_EQ(errorCount(copied), 1u) << dump(copied);
  ParseResult total = parse(loraTemplate("    total_virtual_tokens: 10\n"));
  EXPECT_TRUE(hasError(total, 14,
                       "total_virtual_tokens 10: virtual tokens need "
                       "virtual_prompt_style prompt-tuning or p-tuning; with "
                       "peft.peft_scheme lora (line 9) alone a task has none "
                       "(0, or leave it out)",
                       27));
  EXPECT_EQ(errorCount(total), 1u) << dump(total);
  ParseResult splits = parse(loraTemplate("    virtual_token_splits: [4]\n"));
  EXPECT_TRUE(hasError(splits, 14,
                       "virtual_token_splits [4]: virtual tokens need "
                       "virtual_prompt_style prompt-tuning or p-tuning; with "
                       "peft.peft_scheme lora (line 9) alone leave it out "
                       "(or [])",
                       27));
  // The field rules are the same with or without virtual tokens.
  EXPECT_TRUE(hasError(parse(loraTemplate("    truncate_field: contxt\n")), 14,
                       "truncate_field 'contxt' is not a field of "
                       "prompt_template (line 13)"));
  EXPECT_TRUE(hasError(parse(loraTemplate("    answer_only_loss: true\n")), 14,
                       "answer_only_loss true needs answer_field"));
}

TEST(PromptLearningRulesTest, LoraWithAStyleKeepsTheVirtualTokenRules) {
  ParseResult r = parse(oneTemplate("    prompt_template: \"{context}\"\n"
                                    "    total_virtual_tokens: 4\n",
                                    "  peft:\n    peft_scheme: lora\n"));
  EXPECT_TRUE(hasError(r, 12, "has no <|VIRTUAL_PROMPT_0|>"));
  EXPECT_EQ(errorCount(r), 1u) << dump(r);
}

//===----------------------------------------------------------------------===//
// virtual_token_splits
//===----------------------------------------------------------------------===//

TEST(PromptLearningRulesTest, OneMarkerTakesEveryToken) {
  ModelDescription d = parseOk(oneTemplate(kMoby));
  ASSERT_EQ(d.promptTasks.tasks.size(), 1u);
  EXPECT_EQ(d.promptTasks.tasks[0].virtualTokenSplits,
            std::vector<int64_t>{10});
}

TEST(PromptLearningRulesTest, SplitsMustSumToTheTotal) {
  ModelDescription d =
      parseOk(oneTemplate(kUnion, "    virtual_token_splits: [8, 4]\n"));
  EXPECT_EQ(d.promptTasks.tasks[0].virtualTokenSplits,
            (std::vector<int64_t>{8, 4}));
  ParseResult r =
      parse(oneTemplate(kUnion, "    virtual_token_splits: [8, 5]\n"));
  EXPECT_TRUE(hasError(r, 14,
                       "virtual_token_splits [8, 5] sums to 13, not "
                       "total_virtual_tokens 12 (line 13)",
                       27));
  EXPECT_EQ(errorCount(r), 1u) << dump(r);
}

TEST(PromptLearningRulesTest, OneSplitPerMarker) {
  ParseResult r =
      parse(oneTemplate(kUnion, "    virtual_token_splits: [12]\n"));
  EXPECT_TRUE(hasError(r, 14,
                       "virtual_token_splits [12] has 1 entry, but "
                       "prompt_template (line 12) has 2 "
                       "<|VIRTUAL_PROMPT_N|> markers; give one count "
                       "per marker"));
  EXPECT_TRUE(
      hasError(parse(oneTemplate(kMoby, "    virtual_token_splits: "
                                        "[5, 5]\n")),
               14,
               "has 2 entries, but prompt_template (line 12) has "
               "1 <|VIRTUAL_PROMPT_N|> marker; give one count per marker"));
}

TEST(PromptLearningRulesTest, SeveralMarkersNeedSplits) {
  ParseResult r = parse(oneTemplate(kUnion));
  EXPECT_TRUE(hasError(r, 12,
                       "prompt_template has 2 <|VIRTUAL_PROMPT_N|> "
                       "markers; give virtual_token_splits with one "
                       "count per marker, summing to "
                       "total_virtual_tokens 12 (line 13)",
                       22));
}

//===----------------------------------------------------------------------===//
// Fields
//===----------------------------------------------------------------------===//

TEST(PromptLearningRulesTest, ListedFieldsMatchTheTemplate) {
  EXPECT_EQ(parseOk(oneTemplate(kMoby, "    prompt_template_fields: "
                                       "[context, answer]\n"))
                .promptTasks.tasks.size(),
            1u);
  ParseResult r = parse(oneTemplate(kMoby, "    prompt_template_fields: "
                                           "[answer, context]\n"));
  EXPECT_TRUE(hasError(r, 14,
                       "prompt_template_fields [answer, context] does "
                       "not match the fields of prompt_template (line "
                       "12), [context, answer]",
                       29));
}

TEST(PromptLearningRulesTest, TruncateFieldIsAField) {
  EXPECT_EQ(parseOk(oneTemplate(kMoby, "    truncate_field: context\n"))
                .promptTasks.tasks[0]
                .truncateField,
            "context");
  EXPECT_EQ(parseOk(oneTemplate(kMoby, "    truncate_field: null\n"))
                .promptTasks.tasks[0]
                .truncateField,
            "");
  ParseResult r = parse(oneTemplate(kMoby, "    truncate_field: contxt\n"));
  EXPECT_TRUE(hasError(r, 14,
                       "truncate_field 'contxt' is not a field of "
                       "prompt_template (line 12), whose fields are "
                       "[context, answer]; did you mean 'context'?",
                       21));
}

TEST(PromptLearningRulesTest, AnswerFieldIsTheLastPiece) {
  ModelDescription d =
      parseOk(oneTemplate(kMoby, "    answer_field: answer\n"));
  EXPECT_EQ(d.promptTasks.tasks[0].answerField, "answer");
  EXPECT_FALSE(d.promptTasks.tasks[0].answerOnlyLoss);
  EXPECT_TRUE(hasError(parse(oneTemplate(kMoby, "    answer_field: answr\n")),
                       14,
                       "answer_field 'answr' is not a field of "
                       "prompt_template (line 12), whose fields are "
                       "[context, answer]; did you mean 'answer'?"));
  ParseResult r = parse(oneTemplate(kMoby, "    answer_field: context\n"));
  EXPECT_TRUE(hasError(r, 14,
                       "answer_field 'context' must be the last piece "
                       "of prompt_template (line 12) (the answer "
                       "follows everything else), but it ends with "
                       "{answer}"));
  ParseResult text =
      parse(oneTemplate("    prompt_template: \"<|VIRTUAL_PROMPT_0|> Q: "
                        "{question} A: {answer}.\"\n"
                        "    total_virtual_tokens: 3\n"
                        "    answer_field: answer\n"));
  EXPECT_TRUE(hasError(text, 14, "but it ends with the text \".\""));
}

TEST(PromptLearningRulesTest, AnswerOnlyLossNeedsAnAnswerField) {
  ModelDescription d =
      parseOk(oneTemplate(kMoby, "    answer_only_loss: true\n"
                                 "    answer_field: answer\n"));
  EXPECT_TRUE(d.promptTasks.tasks[0].answerOnlyLoss);
  ParseResult r = parse(oneTemplate(kMoby, "    answer_only_loss: true\n"));
  EXPECT_TRUE(hasError(r, 14,
                       "answer_only_loss true needs answer_field: the "
                       "template field that holds the answer, its last "
                       "piece",
                       23));
  EXPECT_EQ(parseOk(oneTemplate(kMoby, "    answer_only_loss: false\n"))
                .promptTasks.tasks[0]
                .answerField,
            "");
}

//===----------------------------------------------------------------------===//
// existing_tasks, new_tasks and the style
//===----------------------------------------------------------------------===//

TEST(PromptLearningRulesTest, TasksFollowTheTemplatesOrder) {
  ModelDescription d =
      parseOk(threeTemplates("  virtual_prompt_style: prompt-tuning\n"
                             "  new_tasks: [c, a]\n"
                             "  existing_tasks: [b]\n"));
  ASSERT_EQ(d.promptTasks.tasks.size(), 3u);
  EXPECT_EQ(d.promptTasks.tasks[0].name, "a");
  EXPECT_TRUE(d.promptTasks.tasks[0].trained);
  EXPECT_EQ(d.promptTasks.tasks[1].name, "b");
  EXPECT_FALSE(d.promptTasks.tasks[1].trained);
  EXPECT_EQ(d.promptTasks.tasks[2].name, "c");
  EXPECT_EQ(d.promptTasks.offsetOf(2), 4);
  // A template no list names is not a task.
  ModelDescription one = parseOk(threeTemplates(
      "  virtual_prompt_style: prompt-tuning\n  new_tasks: [b]\n"));
  ASSERT_EQ(one.promptTasks.tasks.size(), 1u);
  EXPECT_EQ(one.promptTasks.tasks[0].name, "b");
}

TEST(PromptLearningRulesTest, EveryTaskHasATemplate) {
  ParseResult r = parse(threeTemplates("  virtual_prompt_style: p-tuning\n"
                                       "  new_tasks: [a, bb]\n"
                                       "  existing_tasks:\n"
                                       "  - zebra\n"));
  EXPECT_TRUE(hasError(r, 19,
                       "new_tasks names 'bb', which has no entry in "
                       "task_templates; did you mean 'b'?",
                       18));
  EXPECT_TRUE(hasError(r, 21,
                       "existing_tasks names 'zebra', which has no "
                       "entry in task_templates",
                       5));
  EXPECT_EQ(errorCount(r), 2u) << dump(r);
  EXPECT_TRUE(hasError(parse(baseModel("  virtual_prompt_style: p-tuning\n"
                                       "  new_tasks: [moby]\n")),
                       9,
                       "new_tasks names 'moby', which has no entry in "
                       "task_templates (there is no task_templates)"));
  EXPECT_TRUE(hasError(parse(baseModel("  virtual_prompt_style: p-tuning\n"
                                       "  new_tasks: [moby]\n"
                                       "  task_templates: []\n")),
                       9, "(it is empty)"));
}

TEST(PromptLearningRulesTest, TaskNamedTwice) {
  ParseResult r = parse(threeTemplates("  virtual_prompt_style: p-tuning\n"
                                       "  new_tasks: [a, b, a]\n"));
  EXPECT_TRUE(
      hasError(r, 19, "new_tasks names 'a' twice (first at line 19)", 21));
}

TEST(PromptLearningRulesTest, TaskIsNewOrExisting) {
  ParseResult r = parse(threeTemplates("  virtual_prompt_style: p-tuning\n"
                                       "  existing_tasks: [a, b]\n"
                                       "  new_tasks: [c, b]\n"));
  EXPECT_TRUE(hasError(r, 20,
                       "task 'b' is in both new_tasks and "
                       "existing_tasks (line 19); a task is either "
                       "trained now (new) or already tuned and frozen "
                       "(existing)",
                       18));
  EXPECT_EQ(errorCount(r), 1u) << dump(r);
}

TEST(PromptLearningRulesTest, StyleNeedsTasks) {
  for (const char *lists : {"", "  new_tasks: []\n  existing_tasks: null\n"}) {
    ParseResult r = parse(threeTemplates(
        std::string("  virtual_prompt_style: prompt-tuning\n") + lists));
    EXPECT_TRUE(hasError(r, 18,
                         "virtual_prompt_style prompt-tuning needs at "
                         "least one task in new_tasks or "
                         "existing_tasks",
                         25))
        << lists;
  }
  // Frozen tasks only (for example to compile them for inference).
  EXPECT_EQ(parseOk(threeTemplates("  virtual_prompt_style: p-tuning\n"
                                   "  existing_tasks: [a]\n"))
                .promptTasks.tasks.size(),
            1u);
}

TEST(PromptLearningRulesTest, TasksNeedAStyleOrLora) {
  ParseResult r = parse(threeTemplates("  existing_tasks: [a]\n"
                                       "  new_tasks: [b]\n"));
  EXPECT_TRUE(hasError(r, 19,
                       "new_tasks names tasks with virtual tokens, "
                       "which need virtual_prompt_style prompt-tuning "
                       "or p-tuning",
                       14));
  EXPECT_EQ(errorCount(r), 1u) << dump(r);
  EXPECT_TRUE(hasError(parse(threeTemplates("  existing_tasks: [a]\n")), 18,
                       "existing_tasks names tasks with virtual tokens"));
  // Templates alone (a LoRA config that carries them) are fine.
  EXPECT_TRUE(
      parseOk(threeTemplates("  new_tasks: []\n")).promptTasks.tasks.empty());
  // Tasks without virtual tokens: the message names LoRA first. Without a
  // style or LoRA a template is checked as what it says, so the missing
  // setting is the only error.
  ParseResult plain = parse(baseModel("  new_tasks: [moby]\n"
                                      "  task_templates:\n"
                                      "  - taskname: moby\n"
                                      "    prompt_template: \"{context}\"\n"));
  EXPECT_TRUE(hasError(plain, 8,
                       "new_tasks names tasks, which need peft.peft_scheme "
                       "lora (its adapters train on tasks without virtual "
                       "tokens) or virtual_prompt_style prompt-tuning or "
                       "p-tuning (tasks with virtual tokens); with neither "
                       "nothing is tuned per task",
                       14));
  EXPECT_EQ(errorCount(plain), 1u) << dump(plain);
  // Without a style, a template that says it has virtual tokens is held to
  // their rules even when no list names it.
  EXPECT_TRUE(hasError(parse(baseModel("  task_templates:\n"
                                       "  - taskname: moby\n"
                                       "    prompt_template: \"{context}\"\n"
                                       "    total_virtual_tokens: 3\n")),
                       10, "has no <|VIRTUAL_PROMPT_0|>"));
}

//===----------------------------------------------------------------------===//
// p-tuning, LoRA, the base
//===----------------------------------------------------------------------===//

TEST(PromptLearningRulesTest, MlpEncoderNeedsTwoLayers) {
  ParseResult r = parse(oneTemplate(kMoby, "  p_tuning:\n"
                                           "    num_layers: 1\n"));
  EXPECT_TRUE(hasError(r, 15,
                       "p_tuning.num_layers 1 is too few for "
                       "encoder_type mlp (default): the MLP needs at "
                       "least 2 layers, hidden -> encoder_hidden -> "
                       "hidden",
                       17));
  ParseResult tp = parse(oneTemplate(kMoby, "  p_tuning:\n"
                                            "    encoder_type: tpmlp\n"
                                            "    num_layers: 1\n"));
  EXPECT_TRUE(hasError(tp, 16, "encoder_type tpmlp (line 15)"));
  ModelDescription d = parseOk(oneTemplate(kMoby, "  p_tuning:\n"
                                                  "    encoder_type: lstm\n"
                                                  "    num_layers: 1\n"));
  EXPECT_EQ(d.pTuning.numLayers, 1);
  EXPECT_EQ(d.pTuning.encoderHidden, 128); // hidden_size
}

TEST(PromptLearningRulesTest, LoraTargetGroups) {
  auto targets = [](const std::string &list) {
    LoraSettings l = parseOk(baseModel("  peft:\n    peft_scheme: lora\n"
                                       "    lora_tuning:\n"
                                       "      target_modules: " +
                                       list + "\n"))
                         .lora;
    return std::string(l.attentionQkv ? "q" : "-") +
           (l.attentionDense ? "d" : "-") + (l.mlpFc1 ? "1" : "-") +
           (l.mlpFc2 ? "2" : "-");
  };
  EXPECT_EQ(targets("[attention_qkv]"), "q---");
  EXPECT_EQ(targets("[attention]"), "qd--");
  EXPECT_EQ(targets("[mlp]"), "--12");
  EXPECT_EQ(targets("[all]"), "qd12");
  EXPECT_EQ(targets("[mlp_fc1, attention_dense, mlp_fc1]"), "-d1-");
  EXPECT_EQ(targets("null"), "q---"); // NeMo's default
  ParseResult r = parse(baseModel("  peft:\n    peft_scheme: lora\n"
                                  "    lora_tuning:\n"
                                  "      target_modules: []\n"));
  EXPECT_TRUE(hasError(r, 11,
                       "peft.lora_tuning.target_modules is empty; name "
                       "at least one of attention_qkv, attention_dense, "
                       "mlp_fc1, mlp_fc2 (or the groups attention, mlp, "
                       "all)"));
}

TEST(PromptLearningRulesTest, LoraWithVirtualTokens) {
  ModelDescription d = parseOk(oneTemplate(kMoby, "  peft:\n"
                                                  "    peft_scheme: lora\n"));
  EXPECT_TRUE(d.lora.enabled);
  EXPECT_EQ(d.promptTasks.tasks.size(), 1u);
}

TEST(PromptLearningRulesTest, LanguageModelPathWithoutTuningWarns) {
  ParseResult r = parse(baseModel("  language_model_path: base.nemo\n"));
  ASSERT_TRUE(r.succeeded()) << dump(r);
  EXPECT_TRUE(hasWarning(r, 8,
                         "language_model_path is ignored without "
                         "virtual_prompt_style or peft.peft_scheme lora: "
                         "it names the frozen base model of prompt "
                         "learning and LoRA"));
  ParseResult lora = parse(baseModel("  language_model_path: base.nemo\n"
                                     "  peft:\n    peft_scheme: lora\n"));
  ASSERT_TRUE(lora.succeeded()) << dump(lora);
  EXPECT_TRUE(lora.diagnostics.empty()) << dump(lora);
  EXPECT_EQ(lora.description->languageModelPath, "base.nemo");
}

} // namespace
} // namespace strata::frontend
