//===- generation_requests_test.cc - what strata-run generate continues ---===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/tooling/generation_requests.h"

#include "runtime/data/prompt_test_tasks.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <unistd.h>

namespace strata::runtime {
namespace {

using data::testing::gpt2;
using data::testing::kEot;
using data::testing::mobyAndUnion;
using Ids = std::vector<int32_t>;

constexpr int32_t E = kEot;

class GenerationRequestsTest : public ::testing::Test {
protected:
  void SetUp() override {
    char pattern[] = "/tmp/strata-requests-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::system(("rm -rf '" + dir_ + "'").c_str());
  }

  std::string write(const std::string &name, const std::string &text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  static StatusOr<std::vector<GenerationRequest>>
  read(const GenerationInputs &inputs, const PromptTaskSet &tasks) {
    return readGenerationRequests(inputs, tasks, "m.strata", gpt2());
  }

  static std::string error(const GenerationInputs &inputs,
                           const PromptTaskSet &tasks) {
    StatusOr<std::vector<GenerationRequest>> requests = read(inputs, tasks);
    EXPECT_FALSE(requests.isOk());
    return requests.isOk() ? "" : requests.status().message();
  }

  std::string dir_;
};

TEST_F(GenerationRequestsTest, ATaskAndItsFieldsAreOneRequest) {
  GenerationInputs inputs;
  inputs.task = "moby";
  inputs.fields = {"context=Hi"};
  StatusOr<std::vector<GenerationRequest>> requests =
      read(inputs, mobyAndUnion());
  ASSERT_TRUE(requests.isOk()) << requests.status().toString();
  ASSERT_EQ(requests->size(), 1u);
  const GenerationRequest &r = (*requests)[0];
  EXPECT_EQ(r.prompt.ids, (Ids{E, E, E, 15902, 10054, 25, E, E}));
  EXPECT_EQ(r.prompt.virtualRows, (Ids{0, 1, 2, -1, -1, -1, 3, 4}));
  EXPECT_EQ(r.text, "<|VIRTUAL_PROMPT_0|> Hi Continue:<|VIRTUAL_PROMPT_1|>");
  EXPECT_EQ(r.name, "request 1 (moby)");
}

TEST_F(GenerationRequestsTest, ARequestFileMixesTasks) {
  GenerationInputs inputs;
  inputs.requests = write(
      "r.jsonl", "{\"taskname\": \"union\", \"speech\": \"Hi\"}\n\n"
                 "{\"taskname\": \"moby\", \"context\": \"Hi\", "
                 "\"answer\": \"ignored\"}\n");
  StatusOr<std::vector<GenerationRequest>> requests =
      read(inputs, mobyAndUnion());
  ASSERT_TRUE(requests.isOk()) << requests.status().toString();
  ASSERT_EQ(requests->size(), 2u);
  EXPECT_EQ((*requests)[0].name, "request 1 (union, line 1)");
  EXPECT_EQ((*requests)[0].prompt.virtualRows,
            (Ids{5, -1, -1, -1, -1, 6, 7, 8, -1, -1, -1}));
  EXPECT_EQ((*requests)[1].name, "request 2 (moby, line 3)");
  EXPECT_EQ((*requests)[1].prompt.ids, (Ids{E, E, E, 15902, 10054, 25, E, E}));

  inputs.requests = write("bad.jsonl", "{\"taskname\": \"moby\", "
                                       "\"context\": \"x\"}\n"
                                       "{\"taskname\": \"squad\"}\n");
  EXPECT_EQ(error(inputs, mobyAndUnion()),
            inputs.requests + ":2: task \"squad\" is not among the model's "
                              "tasks (moby, union)");
}

TEST_F(GenerationRequestsTest, APlainModelTakesText) {
  GenerationInputs inputs;
  inputs.prompts = {"Hi"};
  inputs.promptFile = write("p.txt", "a\\nb\n\nThe whale\n");
  StatusOr<std::vector<GenerationRequest>> requests =
      read(inputs, PromptTaskSet());
  ASSERT_TRUE(requests.isOk()) << requests.status().toString();
  ASSERT_EQ(requests->size(), 3u);
  EXPECT_EQ((*requests)[0].prompt.ids, (Ids{17250})); // "Hi"
  EXPECT_TRUE((*requests)[0].prompt.virtualRows.empty());
  EXPECT_EQ((*requests)[1].text, "a\nb");
  EXPECT_EQ((*requests)[2].name, "prompt 3");
}

TEST_F(GenerationRequestsTest, FlagsOfTheOtherKindOfModelSayWhatToGive) {
  GenerationInputs task;
  task.task = "moby";
  EXPECT_EQ(error(task, PromptTaskSet()),
            "--task applies to a prompt-learning model; m.strata records no "
            "tasks (compiled without virtual_prompt_style): give --prompt "
            "TEXT or --prompt-file FILE");
  GenerationInputs requests;
  requests.requests = "r.jsonl";
  EXPECT_EQ(error(requests, PromptTaskSet()).substr(0, 47),
            "--requests applies to a prompt-learning model; ");
  GenerationInputs prompt;
  prompt.prompts = {"Hi"};
  EXPECT_EQ(error(prompt, mobyAndUnion()),
            "m.strata is a prompt-learning model (tasks moby, union): give "
            "--task NAME with its fields as --field NAME=VALUE, or "
            "--requests FILE.jsonl, instead of --prompt");
  EXPECT_EQ(error(GenerationInputs(), mobyAndUnion()),
            "m.strata is a prompt-learning model (tasks moby, union): give "
            "--task NAME with its fields as --field NAME=VALUE, or "
            "--requests FILE.jsonl");
  EXPECT_EQ(error(GenerationInputs(), PromptTaskSet()),
            "no prompt: give --prompt TEXT or --prompt-file FILE");
}

TEST_F(GenerationRequestsTest, BadTasksAndFieldsAreNamed) {
  GenerationInputs inputs;
  inputs.task = "squad";
  EXPECT_EQ(error(inputs, mobyAndUnion()),
            "m.strata: task \"squad\" is not among the model's tasks (moby, "
            "union)");
  inputs.task = "moby";
  inputs.fields = {"answer=x"};
  EXPECT_EQ(error(inputs, mobyAndUnion()),
            "field \"context\" of task \"moby\" is missing (its template's "
            "fields: context, answer; answer is generated)");
  inputs.fields = {"context=x", "title=y"};
  EXPECT_EQ(error(inputs, mobyAndUnion()),
            "task \"moby\" has no field \"title\" (its template's fields: "
            "context, answer)");
  inputs.fields = {"context"};
  EXPECT_EQ(error(inputs, mobyAndUnion()),
            "--field \"context\" should be NAME=VALUE");
  inputs.fields = {"context=a", "context=b"};
  EXPECT_EQ(error(inputs, mobyAndUnion()), "--field context is given twice");
  inputs.requests = "r.jsonl";
  EXPECT_EQ(error(inputs, mobyAndUnion()),
            "give --task (one request) or --requests (a file of them), not "
            "both");
  GenerationInputs fieldsAlone;
  fieldsAlone.fields = {"context=x"};
  EXPECT_EQ(error(fieldsAlone, mobyAndUnion()),
            "--field needs --task: the task whose template the fields fill");
}

TEST(FieldFlagsTest, TheValueIsEverythingAfterTheFirstEquals) {
  StatusOr<data::PromptFields> fields =
      parseFieldFlags({"context=a=b", "empty="});
  ASSERT_TRUE(fields.isOk());
  EXPECT_EQ(*fields,
            (data::PromptFields{{"context", "a=b"}, {"empty", ""}}));
  EXPECT_EQ(parseFieldFlags({"=x"}).status().message(),
            "--field \"=x\" should be NAME=VALUE");
}

} // namespace
} // namespace strata::runtime
