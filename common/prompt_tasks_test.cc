//===- prompt_tasks_test.cc - templates and virtual rows ------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "common/prompt_tasks.h"

#include <gtest/gtest.h>

namespace strata {
namespace {

using Kind = PromptPiece::Kind;

TEST(PromptTemplateTest, PiecesInOrder) {
  Checked<PromptTemplate> t = parsePromptTemplate(
      "<|VIRTUAL_PROMPT_0|> Passage: {passage} <|VIRTUAL_PROMPT_1|> \n"
      "Question: {question} \nAnswer: {answer}");
  ASSERT_TRUE(t.isOk()) << t.error();
  const std::vector<PromptPiece> expected = {
      {Kind::Virtual, "", 0},  {Kind::Text, " Passage: ", 0},
      {Kind::Field, "passage", 0}, {Kind::Text, " ", 0},
      {Kind::Virtual, "", 1},  {Kind::Text, " \nQuestion: ", 0},
      {Kind::Field, "question", 0}, {Kind::Text, " \nAnswer: ", 0},
      {Kind::Field, "answer", 0}};
  EXPECT_EQ(t->pieces, expected);
  EXPECT_EQ(t->fields(),
            (std::vector<std::string>{"passage", "question", "answer"}));
  EXPECT_EQ(t->virtualMarkers(), 2);
}

// A template of LoRA alone: fields and text, no virtual tokens. Whether a
// task may lack markers depends on the description's style, which the
// frontend checks.
TEST(PromptTemplateTest, MarkersAreOptional) {
  Checked<PromptTemplate> t = parsePromptTemplate("{context} Continue: {answer}");
  ASSERT_TRUE(t.isOk()) << t.error();
  const std::vector<PromptPiece> expected = {{Kind::Field, "context", 0},
                                             {Kind::Text, " Continue: ", 0},
                                             {Kind::Field, "answer", 0}};
  EXPECT_EQ(t->pieces, expected);
  EXPECT_EQ(t->virtualMarkers(), 0);
}

TEST(PromptTemplateTest, ErrorsNameTheProblemAndWhere) {
  auto error = [](std::string_view text) {
    Checked<PromptTemplate> t = parsePromptTemplate(text);
    EXPECT_FALSE(t.isOk()) << text;
    return t.isOk() ? std::string() : t.error();
  };
  EXPECT_EQ(error("<|VIRTUAL_PROMPT_1|> {x}"),
            "prompt template: <|VIRTUAL_PROMPT_1|> at character 0 is out of "
            "order: markers are numbered 0, 1, ... in order of appearance, "
            "and the next one is <|VIRTUAL_PROMPT_0|>");
  EXPECT_EQ(error("<|VIRTUAL_PROMPT_0|> {x"),
            "prompt template: '{' at character 21 has no closing '}'");
  EXPECT_EQ(error("<|VIRTUAL_PROMPT_0|> {}"),
            "prompt template: a field must be {name} with a non-empty name at "
            "character 21");
  EXPECT_EQ(error("<|VIRTUAL_PROMPT_0|> {x} {x}"),
            "prompt template: field {x} at character 25 appears twice");
  EXPECT_EQ(error("<|VIRTUAL_PROMPT_0|> x}"),
            "prompt template: '}' at character 22 closes no field");
  EXPECT_EQ(error("<|VIRTUAL_PROMPT_|> {x}"),
            "prompt template: a virtual prompt marker must be "
            "<|VIRTUAL_PROMPT_N|> with a number N at character 0");
}

TEST(PromptTaskSetTest, OffsetsFollowTaskOrder) {
  PromptTaskSet set;
  set.tasks.resize(3);
  set.tasks[0].name = "boolq";
  set.tasks[0].totalVirtualTokens = 30;
  set.tasks[1].name = "rte";
  set.tasks[1].totalVirtualTokens = 9;
  set.tasks[2].name = "squad";
  set.tasks[2].totalVirtualTokens = 4;
  EXPECT_EQ(set.offsetOf(0), 0);
  EXPECT_EQ(set.offsetOf(1), 30);
  EXPECT_EQ(set.offsetOf(2), 39);
  EXPECT_EQ(set.totalVirtualTokens(), 43);
  EXPECT_EQ(set.find("rte"), std::optional<size_t>(1));
  EXPECT_EQ(set.find("nope"), std::nullopt);
}

TEST(PromptTaskSetTest, TasksWithoutVirtualTokensTakeNoRows) {
  PromptTaskSet set;
  set.tasks.resize(2);
  set.tasks[0].name = "moby";
  set.tasks[1].name = "union";
  EXPECT_EQ(set.offsetOf(0), 0);
  EXPECT_EQ(set.offsetOf(1), 0);
  EXPECT_EQ(set.totalVirtualTokens(), 0);
}

TEST(PromptTaskSetTest, StylesRoundTrip) {
  for (VirtualPromptStyle s :
       {VirtualPromptStyle::PromptTuning, VirtualPromptStyle::PTuning})
    EXPECT_EQ(parseVirtualPromptStyle(toString(s)), s);
  EXPECT_EQ(parseVirtualPromptStyle("inference"), std::nullopt);
}

} // namespace
} // namespace strata
