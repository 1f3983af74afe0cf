//===- prompt_samples_test.cc - one prompt-learning sample ----------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Expected ids are OpenAI's encoder.py's (tests/tokenizer/
// reference_encoder.py): " Call me Ishmael." = 4889 502 1148 21720 417 13,
// " Continue:" = 10054 25, " Some years ago" = 2773 812 2084,
// "Speech:" = 5248 3055 25, " We the people" = 775 262 661,
// "\nTopic:" = 198 33221 25, " unity" = 14111; end-of-text is 50256.
//
//===----------------------------------------------------------------------===//
#include "runtime/data/prompt_samples.h"

#include "runtime/data/prompt_test_tasks.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace strata::runtime::data {
namespace {

using testing::gpt2;
using testing::kEot;
using testing::makeTask;
using testing::mobyAndUnion;
using Ids = std::vector<int32_t>;
using Flags = std::vector<uint8_t>;

constexpr int32_t E = kEot;

const PromptFields kMoby = {{"context", "Call me Ishmael."},
                            {"answer", "Some years ago"}};
const PromptFields kUnion = {{"speech", "We the people"}, {"topic", "unity"}};

PromptSample build(const PromptTaskSet &tasks, size_t task,
                   const PromptFields &fields) {
  StatusOr<PromptSample> s = buildTrainingSample(tasks, task, fields, gpt2());
  EXPECT_TRUE(s.isOk()) << s.status().toString();
  return s.isOk() ? *s : PromptSample();
}

std::string trainingError(const PromptTaskSet &tasks, size_t task,
                          const PromptFields &fields) {
  StatusOr<PromptSample> s = buildTrainingSample(tasks, task, fields, gpt2());
  EXPECT_FALSE(s.isOk());
  return s.status().message();
}

struct Row {
  Ids tokens, labels, virtualTokens;
};

Row row(const PromptSample &s, bool answerOnlyLoss, int64_t seq) {
  Row r{Ids(seq, 7), Ids(seq, 7), Ids(seq, 7)};
  writePromptRow(s, answerOnlyLoss, seq, kEot, r.tokens.data(), r.labels.data(),
                 r.virtualTokens.data());
  return r;
}

TEST(PromptSampleTest, VirtualRowsCountAcrossMarkersFromTheTaskOffset) {
  const PromptTaskSet tasks = mobyAndUnion();
  const PromptSample moby = build(tasks, 0, kMoby);
  EXPECT_EQ(moby.task, 0u);
  EXPECT_EQ(moby.ids, (Ids{E, E, E, 4889, 502, 1148, 21720, 417, 13, 10054, 25,
                           E, E, 2773, 812, 2084, E}));
  EXPECT_EQ(moby.virtualRows, (Ids{0, 1, 2, -1, -1, -1, -1, -1, -1, -1, -1, 3,
                                   4, -1, -1, -1, -1}));
  EXPECT_EQ(moby.inAnswer,
            (Flags{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1}));
  EXPECT_EQ(moby.truncateBegin, 3);
  EXPECT_EQ(moby.truncateEnd, 9);

  // union follows moby's 5 rows.
  const PromptSample speech = build(tasks, 1, kUnion);
  EXPECT_EQ(speech.task, 1u);
  EXPECT_EQ(speech.ids, (Ids{E, 5248, 3055, 25, 775, 262, 661, E, E, E, 198,
                             33221, 25, 14111, E}));
  EXPECT_EQ(speech.virtualRows,
            (Ids{5, -1, -1, -1, -1, -1, -1, 6, 7, 8, -1, -1, -1, -1, -1}));
  EXPECT_EQ(speech.inAnswer,
            (Flags{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1}));
  EXPECT_EQ(speech.truncateBegin, speech.truncateEnd);
}

TEST(PromptSampleTest, RealTokensAreThoseOfTheFilledInTemplate) {
  // The space before {context} and {answer} goes with the value, so the ids
  // between the markers are the tokenizer's ids of the whole text there.
  const PromptSample moby = build(mobyAndUnion(), 0, kMoby);
  Ids expected = {E, E, E};
  for (int32_t id : gpt2().encode(" Call me Ishmael. Continue:"))
    expected.push_back(id);
  expected.insert(expected.end(), {E, E});
  for (int32_t id : gpt2().encode(" Some years ago"))
    expected.push_back(id);
  expected.push_back(E);
  EXPECT_EQ(moby.ids, expected);
}

TEST(PromptSampleTest, PiecesWithoutASpaceBetweenThemAreTokenizedApart) {
  // NeMo's tokenizer would merge "ab" + "cd" into one token; Strata keeps
  // field boundaries exact, as the answer mask and truncation need.
  PromptTaskSet tasks;
  tasks.tasks = {makeTask("t", "<|VIRTUAL_PROMPT_0|>{a}{b}", {1})};
  const PromptSample s = build(tasks, 0, {{"a", "ab"}, {"b", "cd"}});
  Ids expected = {E};
  for (const char *text : {"ab", "cd"})
    for (int32_t id : gpt2().encode(text))
      expected.push_back(id);
  expected.push_back(E);
  EXPECT_EQ(s.ids, expected);
}

// LoRA alone (NeMo's PEFT on task data): templates without markers, tasks
// without virtual tokens. Every position is real, whichever task.
TEST(PromptSampleTest, TemplatesWithoutMarkersHaveOnlyRealTokens) {
  PromptTaskSet tasks;
  tasks.tasks = {makeTask("union", "Speech: {speech}", {}),
                 makeTask("moby", "{context} Continue: {answer}", {})};
  tasks.tasks[1].truncateField = "context";
  tasks.tasks[1].answerOnlyLoss = true;
  tasks.tasks[1].answerField = "answer";
  const PromptSample moby = build(tasks, 1, kMoby);
  Ids expected;
  for (const char *text : {"Call me Ishmael.", " Continue:", " Some years ago"})
    for (int32_t id : gpt2().encode(text))
      expected.push_back(id);
  expected.push_back(E);
  EXPECT_EQ(moby.ids, expected);
  EXPECT_EQ(moby.virtualRows, Ids(expected.size(), -1));
  const int64_t answer = gpt2().encode(" Some years ago").size();
  Flags inAnswer(expected.size(), 0);
  std::fill(inAnswer.end() - answer - 1, inAnswer.end(), 1);
  EXPECT_EQ(moby.inAnswer, inAnswer);
  EXPECT_EQ(moby.truncateBegin, 0);
  EXPECT_EQ(moby.truncateEnd, int64_t(gpt2().encode("Call me Ishmael.").size()));

  const int64_t seq = moby.size() + 2;
  const Row r = row(moby, /*answerOnlyLoss=*/true, seq);
  EXPECT_EQ(r.virtualTokens, Ids(seq, -1));
  Ids labels(seq, -1);
  for (int64_t j = moby.size() - answer - 2; j + 1 < moby.size(); ++j)
    labels[j] = moby.ids[j + 1];
  EXPECT_EQ(r.labels, labels);
}

TEST(PromptRowTest, AnswerOnlyLossLabelsTheAnswerAndTheEndOfText) {
  const PromptSample moby = build(mobyAndUnion(), 0, kMoby);
  const Row r = row(moby, /*answerOnlyLoss=*/true, 20);
  EXPECT_EQ(r.tokens, (Ids{E,  E, E, 4889, 502, 1148, 21720, 417, 13, 10054,
                           25, E, E, 2773, 812, 2084, E,     E,   E,  E}));
  EXPECT_EQ(r.labels, (Ids{-1, -1, -1,   -1,  -1,   -1, -1, -1, -1, -1,
                           -1, -1, 2773, 812, 2084, E,  -1, -1, -1, -1}));
  EXPECT_EQ(r.virtualTokens, (Ids{0,  1, 2, -1, -1, -1, -1, -1, -1, -1,
                                  -1, 3, 4, -1, -1, -1, -1, -1, -1, -1}));
}

TEST(PromptRowTest, WithoutAnswerOnlyLossEveryRealTargetIsALabel) {
  // 15 tokens fill a row of 14 exactly: no padding.
  const PromptSample speech = build(mobyAndUnion(), 1, kUnion);
  const Row r = row(speech, /*answerOnlyLoss=*/false, 14);
  EXPECT_EQ(r.tokens, (Ids{E, 5248, 3055, 25, 775, 262, 661, E, E, E, 198,
                           33221, 25, 14111}));
  EXPECT_EQ(r.labels, (Ids{5248, 3055, 25, 775, 262, 661, -1, -1, -1, 198,
                           33221, 25, 14111, E}));
  EXPECT_EQ(r.virtualTokens,
            (Ids{5, -1, -1, -1, -1, -1, -1, 6, 7, 8, -1, -1, -1, -1}));
}

TEST(PromptRowTest, PaddingIsEndOfTextWithoutLabelOrVirtualRow) {
  PromptSample s;
  s.ids = {E, 11, E};
  s.virtualRows = {4, -1, -1};
  s.inAnswer = {0, 0, 1};
  const Row r = row(s, /*answerOnlyLoss=*/false, 5);
  EXPECT_EQ(r.tokens, (Ids{E, 11, E, E, E}));
  EXPECT_EQ(r.labels, (Ids{11, E, -1, -1, -1}));
  EXPECT_EQ(r.virtualTokens, (Ids{4, -1, -1, -1, -1}));
}

TEST(PromptFitTest, ASampleThatFitsIsLeftAlone) {
  const PromptTaskSet tasks = mobyAndUnion();
  PromptSample moby = build(tasks, 0, kMoby);
  const PromptSample before = moby;
  StatusOr<PromptFit> fit = fitPromptSample(moby, tasks.tasks[0], 17);
  ASSERT_TRUE(fit.isOk());
  EXPECT_EQ(*fit, PromptFit::Fits);
  EXPECT_EQ(moby.ids, before.ids);
}

TEST(PromptFitTest, TruncationCutsTheEndOfTheTruncateField) {
  const PromptTaskSet tasks = mobyAndUnion();
  PromptSample moby = build(tasks, 0, kMoby);
  // 17 tokens, 14 fit: " Call me Ishmael." loses its last 3 tokens.
  StatusOr<PromptFit> fit = fitPromptSample(moby, tasks.tasks[0], 14);
  ASSERT_TRUE(fit.isOk()) << fit.status().toString();
  EXPECT_EQ(*fit, PromptFit::Truncated);
  EXPECT_EQ(moby.ids, (Ids{E, E, E, 4889, 502, 1148, 10054, 25, E, E, 2773, 812,
                           2084, E}));
  EXPECT_EQ(moby.virtualRows,
            (Ids{0, 1, 2, -1, -1, -1, -1, -1, 3, 4, -1, -1, -1, -1}));
  EXPECT_EQ(moby.inAnswer, (Flags{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1}));
  EXPECT_EQ(moby.truncateBegin, 3);
  EXPECT_EQ(moby.truncateEnd, 6);

  // The whole field may go.
  PromptSample empty = build(tasks, 0, kMoby);
  fit = fitPromptSample(empty, tasks.tasks[0], 11);
  ASSERT_TRUE(fit.isOk());
  EXPECT_EQ(empty.ids, (Ids{E, E, E, 10054, 25, E, E, 2773, 812, 2084, E}));
}

TEST(PromptFitTest, ATruncateFieldTooShortForTheExcessIsAnError) {
  const PromptTaskSet tasks = mobyAndUnion();
  PromptSample moby = build(tasks, 0, kMoby);
  StatusOr<PromptFit> fit = fitPromptSample(moby, tasks.tasks[0], 10);
  ASSERT_FALSE(fit.isOk());
  EXPECT_EQ(fit.status().message(),
            "task \"moby\": the sample is 7 tokens too long (17 tokens, at "
            "most 10 fit) and its truncate field \"context\" has only 6");
  EXPECT_EQ(moby.size(), 17);
}

TEST(PromptFitTest, WithoutATruncateFieldTooLongIsReportedNotCut) {
  const PromptTaskSet tasks = mobyAndUnion();
  PromptSample speech = build(tasks, 1, kUnion);
  StatusOr<PromptFit> fit = fitPromptSample(speech, tasks.tasks[1], 14);
  ASSERT_TRUE(fit.isOk());
  EXPECT_EQ(*fit, PromptFit::TooLong);
  EXPECT_EQ(speech.size(), 15);
}

TEST(PromptSampleTest, ErrorsNameTheTaskAndTheField) {
  const PromptTaskSet tasks = mobyAndUnion();
  EXPECT_EQ(trainingError(tasks, 0, {{"answer", "x"}}),
            "field \"context\" of task \"moby\" is missing (its template's "
            "fields: context, answer)");
  EXPECT_EQ(trainingError(tasks, 0, {{"context", "x"}}),
            "field \"answer\" of task \"moby\" is missing (its template's "
            "fields: context, answer)");
  EXPECT_EQ(trainingError(tasks, 0, {{"contxt", "x"}, {"answer", "y"}}),
            "task \"moby\" has no field \"contxt\" (its template's fields: "
            "context, answer)");
  PromptTaskSet unsplit = tasks;
  unsplit.tasks[0].virtualTokenSplits = {5};
  EXPECT_EQ(trainingError(unsplit, 0, kMoby),
            "task \"moby\": its template has <|VIRTUAL_PROMPT_1|> but "
            "virtual_token_splits [5] has no entry for it");
  EXPECT_EQ(trainingError(tasks, 2, kMoby),
            "task index 2 is not below the 2 tasks");
}

TEST(PromptTaskLookupTest, AnUnknownTaskListsTheTasks) {
  StatusOr<size_t> found = findPromptTask(mobyAndUnion(), "union");
  ASSERT_TRUE(found.isOk());
  EXPECT_EQ(*found, 1u);
  StatusOr<size_t> missing = findPromptTask(mobyAndUnion(), "squad");
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().message(),
            "task \"squad\" is not among the model's tasks (moby, union)");
}

TEST(GenerationPromptTest, StopsBeforeTheAnswerAndItsSpace) {
  const PromptTaskSet tasks = mobyAndUnion();
  // As from `--field context="Call me Ishmael."`.
  StatusOr<PromptSample> moby = buildGenerationPrompt(
      tasks, 0, {{"context", "Call me Ishmael."}}, gpt2());
  ASSERT_TRUE(moby.isOk()) << moby.status().toString();
  EXPECT_EQ(moby->ids,
            (Ids{E, E, E, 4889, 502, 1148, 21720, 417, 13, 10054, 25, E, E}));
  EXPECT_EQ(moby->virtualRows,
            (Ids{0, 1, 2, -1, -1, -1, -1, -1, -1, -1, -1, 3, 4}));
  EXPECT_EQ(moby->inAnswer, Flags(13, 0));

  // A given answer is ignored.
  StatusOr<PromptSample> speech =
      buildGenerationPrompt(tasks, 1, kUnion, gpt2());
  ASSERT_TRUE(speech.isOk());
  EXPECT_EQ(speech->ids,
            (Ids{E, 5248, 3055, 25, 775, 262, 661, E, E, E, 198, 33221, 25}));
  EXPECT_EQ(speech->virtualRows,
            (Ids{5, -1, -1, -1, -1, -1, -1, 6, 7, 8, -1, -1, -1}));
}

TEST(GenerationPromptTest, ItsTextIsTheFilledInTemplateWithItsMarkers) {
  const PromptTaskSet tasks = mobyAndUnion();
  EXPECT_EQ(generationPromptText(tasks.tasks[0],
                                 {{"context", "Call me Ishmael."}}),
            "<|VIRTUAL_PROMPT_0|> Call me Ishmael. "
            "Continue:<|VIRTUAL_PROMPT_1|>");
  // A given answer is not shown; the text's real tokens are the prompt's.
  const std::string speech = generationPromptText(tasks.tasks[1], kUnion);
  EXPECT_EQ(speech, "<|VIRTUAL_PROMPT_0|>Speech: We the "
                    "people<|VIRTUAL_PROMPT_1|>\nTopic:");
  StatusOr<PromptSample> prompt =
      buildGenerationPrompt(tasks, 1, kUnion, gpt2());
  ASSERT_TRUE(prompt.isOk());
  Ids real;
  for (size_t i = 0; i < prompt->ids.size(); ++i)
    if (prompt->virtualRows[i] < 0)
      real.push_back(prompt->ids[i]);
  Ids expected;
  for (const char *piece : {"Speech:", " We the people", "\nTopic:"})
    for (int32_t id : gpt2().encode(piece))
      expected.push_back(id);
  EXPECT_EQ(real, expected);
  // Without an answer field: all of the template.
  EXPECT_EQ(generationPromptText(
                makeTask("t", "<|VIRTUAL_PROMPT_0|> Q: {q}", {2}),
                {{"q", "Paris"}}),
            "<|VIRTUAL_PROMPT_0|> Q: Paris");
}

TEST(GenerationPromptTest, MissingAndUnknownFieldsAreErrors) {
  const PromptTaskSet tasks = mobyAndUnion();
  StatusOr<PromptSample> missing =
      buildGenerationPrompt(tasks, 1, {{"topic", "unity"}}, gpt2());
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().message(),
            "field \"speech\" of task \"union\" is missing (its template's "
            "fields: speech, topic; topic is generated)");
  StatusOr<PromptSample> unknown = buildGenerationPrompt(
      tasks, 1, {{"speech", "x"}, {"title", "y"}}, gpt2());
  ASSERT_FALSE(unknown.isOk());
  EXPECT_EQ(unknown.status().message(),
            "task \"union\" has no field \"title\" (its template's fields: "
            "speech, topic)");
}

TEST(GenerationPromptTest, ATaskWithoutAnAnswerFieldIsPromptedWithAllOfIt) {
  PromptTaskSet tasks;
  tasks.tasks = {makeTask("t", "<|VIRTUAL_PROMPT_0|> Q: {q}", {2})};
  StatusOr<PromptSample> prompt =
      buildGenerationPrompt(tasks, 0, {{"q", "Paris"}}, gpt2());
  ASSERT_TRUE(prompt.isOk());
  Ids expected = {E, E};
  for (int32_t id : gpt2().encode(" Q: Paris"))
    expected.push_back(id);
  EXPECT_EQ(prompt->ids, expected);
}

} // namespace
} // namespace strata::runtime::data
