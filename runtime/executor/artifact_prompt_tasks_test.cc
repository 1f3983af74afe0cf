//===- artifact_prompt_tasks_test.cc - an artifact's prompt tasks ---------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// promptTasksOf on small artifacts: tasks with virtual tokens under a style
// (format 0.11), tasks without any under LoRA alone (0.12), and the
// records that cannot be right.
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/artifact_prompt_tasks.h"

#include "runtime/artifact/artifact_test_support.h"

#include <gtest/gtest.h>

namespace strata::runtime {
namespace {

using testing_support::buildArtifact;
using testing_support::Spec;

PromptTask task(const std::string &name, const std::string &text,
                std::vector<int64_t> splits) {
  PromptTask t;
  t.name = name;
  t.templateText = text;
  t.virtualTokenSplits = std::move(splits);
  for (int64_t n : t.virtualTokenSplits)
    t.totalVirtualTokens += n;
  return t;
}

StatusOr<PromptTaskSet> tasksOf(const Spec &spec) {
  StatusOr<LoadedArtifact> loaded =
      loadArtifactFromBytes(buildArtifact(spec), "m.strata");
  EXPECT_TRUE(loaded.isOk()) << loaded.status().toString();
  if (!loaded.isOk())
    return loaded.status();
  return promptTasksOf(*loaded);
}

std::string errorOf(const Spec &spec) {
  StatusOr<PromptTaskSet> tasks = tasksOf(spec);
  return tasks.isOk() ? "ok" : tasks.status().message();
}

TEST(ArtifactPromptTasksTest, NoTasks) {
  StatusOr<PromptTaskSet> tasks = tasksOf({});
  ASSERT_TRUE(tasks.isOk()) << tasks.status().toString();
  EXPECT_TRUE(tasks->tasks.empty());
}

TEST(ArtifactPromptTasksTest, VirtualTokensUnderAStyle) {
  Spec spec;
  spec.virtualPromptStyle = "prompt-tuning";
  spec.promptTasks = {
      task("moby", "<|VIRTUAL_PROMPT_0|> {context} Continue: {answer}", {10}),
      task("union", "<|VIRTUAL_PROMPT_0|> {a} <|VIRTUAL_PROMPT_1|> {b}",
           {12, 4})};
  spec.promptTasks[0].truncateField = "context";
  spec.promptTasks[0].answerOnlyLoss = true;
  spec.promptTasks[0].answerField = "answer";
  spec.promptTasks[1].trained = false;
  StatusOr<PromptTaskSet> tasks = tasksOf(spec);
  ASSERT_TRUE(tasks.isOk()) << tasks.status().toString();
  ASSERT_EQ(tasks->tasks.size(), 2u);
  const PromptTask &moby = tasks->tasks[0];
  EXPECT_EQ(moby.name, "moby");
  EXPECT_EQ(moby.parsed.fields(),
            (std::vector<std::string>{"context", "answer"}));
  EXPECT_EQ(moby.virtualTokenSplits, std::vector<int64_t>{10});
  EXPECT_EQ(moby.truncateField, "context");
  EXPECT_TRUE(moby.answerOnlyLoss);
  EXPECT_EQ(moby.answerField, "answer");
  EXPECT_TRUE(moby.trained);
  EXPECT_FALSE(tasks->tasks[1].trained);
  EXPECT_EQ(tasks->offsetOf(1), 10);
  EXPECT_EQ(tasks->totalVirtualTokens(), 26);
}

// LoRA alone: the tasks carry the templates the data builder fills, with no
// virtual tokens and no style.
TEST(ArtifactPromptTasksTest, LoraAloneHasNoVirtualTokens) {
  Spec spec;
  spec.promptTasks = {task("moby", "{context} Continue: {answer}", {}),
                      task("union", "Speech: {context}", {})};
  spec.promptTasks[0].answerOnlyLoss = true;
  spec.promptTasks[0].answerField = "answer";
  StatusOr<PromptTaskSet> tasks = tasksOf(spec);
  ASSERT_TRUE(tasks.isOk()) << tasks.status().toString();
  ASSERT_EQ(tasks->tasks.size(), 2u);
  EXPECT_EQ(tasks->tasks[0].totalVirtualTokens, 0);
  EXPECT_TRUE(tasks->tasks[0].virtualTokenSplits.empty());
  EXPECT_EQ(tasks->tasks[0].parsed.virtualMarkers(), 0);
  EXPECT_EQ(tasks->tasks[0].answerField, "answer");
  EXPECT_EQ(tasks->tasks[1].name, "union");
  EXPECT_EQ(tasks->totalVirtualTokens(), 0);
}

TEST(ArtifactPromptTasksTest, VirtualTokensMustMatchTheStyle) {
  Spec spec;
  spec.virtualPromptStyle = "p-tuning";
  spec.promptTasks = {task("moby", "{context}", {})};
  EXPECT_EQ(errorOf(spec), "m.strata: prompt task 'moby' has 0 virtual "
                           "tokens, but its virtual_prompt_style p-tuning "
                           "gives every task some");
  spec.virtualPromptStyle = "";
  spec.promptTasks = {task("moby", "<|VIRTUAL_PROMPT_0|> {context}", {4})};
  EXPECT_EQ(errorOf(spec), "m.strata: prompt task 'moby' has 4 virtual "
                           "tokens, but the artifact has no "
                           "virtual_prompt_style to make them");
}

TEST(ArtifactPromptTasksTest, SplitsMatchTheMarkers) {
  Spec spec;
  spec.virtualPromptStyle = "prompt-tuning";
  spec.promptTasks = {task("moby", "<|VIRTUAL_PROMPT_0|> {context}", {4, 4})};
  EXPECT_EQ(errorOf(spec), "m.strata: prompt task 'moby' has 2 virtual token "
                           "splits summing to 8 for 1 markers and 8 virtual "
                           "tokens");
  // A zero split under a positive total.
  spec.promptTasks = {task("moby",
                           "<|VIRTUAL_PROMPT_0|> {a} <|VIRTUAL_PROMPT_1|>",
                           {4, 0})};
  EXPECT_EQ(errorOf(spec), "m.strata: prompt task 'moby' has 2 virtual token "
                           "splits summing to 4 for 2 markers and 4 virtual "
                           "tokens");
  // Without a style, a marker without tokens is as wrong.
  spec.virtualPromptStyle = "";
  spec.promptTasks = {task("moby", "<|VIRTUAL_PROMPT_0|> {context}", {})};
  EXPECT_EQ(errorOf(spec), "m.strata: prompt task 'moby' has 0 virtual token "
                           "splits summing to 0 for 1 markers and 0 virtual "
                           "tokens");
  spec.promptTasks = {task("moby", "{context", {})};
  EXPECT_EQ(errorOf(spec), "m.strata: prompt task 'moby' prompt template: "
                           "'{' at character 0 has no closing '}'");
}

} // namespace
} // namespace strata::runtime
