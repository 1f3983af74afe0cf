//===- prompt_dataset_test.cc - prompt-learning files and batches ---------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The tasks are prompt_test_tasks.h's; ids as in prompt_samples_test.cc,
// plus " Hi" = 15902, " Yes" = 3363, " 42" = 5433, " 0.5" = 657 13 20.
//
//===----------------------------------------------------------------------===//
#include "runtime/data/prompt_dataset.h"

#include "runtime/data/prompt_records.h"
#include "runtime/data/prompt_test_tasks.h"
#include "runtime/io/io_test_support.h"

#include <gtest/gtest.h>

#include <set>

namespace strata::runtime::data {
namespace {

using io::testing::TempDir;
using testing::gpt2;
using testing::kEot;
using testing::mobyAndUnion;
using Ids = std::vector<int32_t>;

constexpr int32_t E = kEot;

const char *kLongMoby =
    R"({"taskname": "moby", "context": "Call me Ishmael.", "answer": "Some years ago"})";
const char *kLongUnion =
    R"({"taskname": "union", "speech": "We the people", "topic": "unity"})";
const char *kShortUnion =
    R"({"taskname": "union", "speech": "Hi", "topic": "unity"})";
const char *kShortMoby =
    R"({"taskname": "moby", "context": "Hi", "answer": "Yes"})";

/// Writes |lines| (each followed by a newline) to a file in |dir|.
std::string writeLines(const TempDir &dir,
                       const std::vector<std::string> &lines) {
  std::string text;
  for (const std::string &line : lines)
    text += line + "\n";
  const std::string path = dir.file("data.jsonl");
  EXPECT_TRUE(io::testing::writeBytes(
      path, std::vector<uint8_t>(text.begin(), text.end())));
  return path;
}

StatusOr<PromptDataset> load(const std::string &path, int64_t seq) {
  return PromptDataset::load(path, mobyAndUnion(), gpt2(), seq);
}

Ids row(const io::HostTensor &t, int64_t r) {
  const int64_t width = t.shape()[1];
  const int32_t *data = t.data<int32_t>() + r * width;
  return Ids(data, data + width);
}

class PromptDatasetTest : public ::testing::Test {
protected:
  /// The message of loading |lines| with sequence length |seq|, which must
  /// fail, without the "<path>:" prefix it must start with.
  std::string loadError(const std::vector<std::string> &lines,
                        int64_t seq = 13) {
    const std::string path = writeLines(dir_, lines);
    StatusOr<PromptDataset> dataset = load(path, seq);
    EXPECT_FALSE(dataset.isOk());
    const std::string message = dataset.status().message();
    EXPECT_EQ(message.rfind(path + ":", 0), 0u) << message;
    return message.substr(std::min(message.size(), path.size() + 1));
  }

  TempDir dir_;
};

TEST_F(PromptDatasetTest, KeepsTruncatedSamplesSkipsOthersAndCountsBoth) {
  // Sequence length 13: at most 14 tokens. The long moby sample (17) loses
  // 3 context tokens; the long union one (15) has no truncate field.
  const std::string path = writeLines(
      dir_, {kLongMoby, "", kLongUnion, kShortUnion, kShortMoby, "  \r"});
  StatusOr<PromptDataset> dataset = load(path, 13);
  ASSERT_TRUE(dataset.isOk()) << dataset.status().toString();
  ASSERT_EQ(dataset->size(), 3);
  EXPECT_EQ(dataset->seqLength(), 13);
  EXPECT_EQ(dataset->sample(0).ids, (Ids{E, E, E, 4889, 502, 1148, 10054, 25, E,
                                         E, 2773, 812, 2084, E}));
  EXPECT_EQ(dataset->sample(1).task, 1u);
  EXPECT_EQ(dataset->sample(2).task, 0u);
  ASSERT_EQ(dataset->counts().size(), 2u);
  EXPECT_EQ(dataset->counts()[0].samples, 2);
  EXPECT_EQ(dataset->counts()[0].truncated, 1);
  EXPECT_EQ(dataset->counts()[0].skipped, 0);
  EXPECT_EQ(dataset->counts()[1].samples, 1);
  EXPECT_EQ(dataset->counts()[1].skipped, 1);
  EXPECT_EQ(dataset->summary(),
            "moby: 2 samples (1 truncated), union: 1 sample (1 skipped as too "
            "long)");
}

TEST_F(PromptDatasetTest, ABatchMixesTasksWithTheirOwnLabelsAndRows) {
  const std::string path =
      writeLines(dir_, {kLongMoby, kShortUnion, kShortMoby});
  StatusOr<PromptDataset> dataset = load(path, 13);
  ASSERT_TRUE(dataset.isOk()) << dataset.status().toString();
  // Four rows wrap around to the first sample.
  PromptBatch batch = sequentialPromptBatch(*dataset, 0, 4);
  for (const io::HostTensor *t :
       {&batch.tokens, &batch.labels, &batch.virtualTokens}) {
    EXPECT_EQ(t->dtype(), io::DType::I32);
    EXPECT_EQ(t->shape(), (std::vector<int64_t>{4, 13}));
  }
  // moby, truncated to 14 tokens: a full row, answer-only labels.
  EXPECT_EQ(row(batch.tokens, 0),
            (Ids{E, E, E, 4889, 502, 1148, 10054, 25, E, E, 2773, 812, 2084}));
  EXPECT_EQ(row(batch.labels, 0),
            (Ids{-1, -1, -1, -1, -1, -1, -1, -1, -1, 2773, 812, 2084, E}));
  EXPECT_EQ(row(batch.virtualTokens, 0),
            (Ids{0, 1, 2, -1, -1, -1, -1, -1, 3, 4, -1, -1, -1}));
  // union, 13 tokens: labels on every real target, one padding position.
  EXPECT_EQ(row(batch.tokens, 1),
            (Ids{E, 5248, 3055, 25, 15902, E, E, E, 198, 33221, 25, 14111, E}));
  EXPECT_EQ(row(batch.labels, 1), (Ids{5248, 3055, 25, 15902, -1, -1, -1, 198,
                                       33221, 25, 14111, E, -1}));
  EXPECT_EQ(row(batch.virtualTokens, 1),
            (Ids{5, -1, -1, -1, -1, 6, 7, 8, -1, -1, -1, -1, -1}));
  // moby, 10 tokens: four padding positions.
  EXPECT_EQ(row(batch.tokens, 2),
            (Ids{E, E, E, 15902, 10054, 25, E, E, 3363, E, E, E, E}));
  EXPECT_EQ(row(batch.labels, 2),
            (Ids{-1, -1, -1, -1, -1, -1, -1, 3363, E, -1, -1, -1, -1}));
  EXPECT_EQ(row(batch.virtualTokens, 2),
            (Ids{0, 1, 2, -1, -1, -1, 3, 4, -1, -1, -1, -1, -1}));
  EXPECT_EQ(row(batch.tokens, 3), row(batch.tokens, 0));
  EXPECT_EQ(row(batch.labels, 3), row(batch.labels, 0));
}

TEST_F(PromptDatasetTest, TheSamplerVisitsEachSampleOnceAnEpochAndResumes) {
  std::vector<std::string> lines;
  for (int i = 0; i < 7; ++i)
    lines.push_back(R"({"taskname": "moby", "context": ")" +
                    std::string(static_cast<size_t>(i + 1), 'a') +
                    R"(", "answer": "Yes"})");
  const std::string path = writeLines(dir_, lines);
  StatusOr<PromptDataset> dataset = load(path, 16);
  ASSERT_TRUE(dataset.isOk()) << dataset.status().toString();
  const int64_t n = dataset->size();
  PromptSampler straight(*dataset, 3), resumed(*dataset, 3);
  for (int64_t epoch = 0; epoch < 2; ++epoch) {
    PromptBatch batch = straight.batch(epoch * n, n);
    std::set<Ids> rows;
    for (int64_t r = 0; r < n; ++r)
      rows.insert(row(batch.tokens, r));
    EXPECT_EQ(static_cast<int64_t>(rows.size()), n);
  }
  // Sample k depends on k and the seed only.
  PromptBatch expected = straight.batch(n + 2, 3);
  PromptBatch got = resumed.batch(n + 2, 3);
  EXPECT_TRUE(got.tokens.bitwiseEquals(expected.tokens));
  EXPECT_TRUE(got.labels.bitwiseEquals(expected.labels));
  EXPECT_TRUE(got.virtualTokens.bitwiseEquals(expected.virtualTokens));
  EXPECT_EQ(straight.epochOf(n + 2), 1);
}

TEST_F(PromptDatasetTest, NumbersAreTakenAsTheirText) {
  const std::string path = writeLines(
      dir_, {R"({"taskname": "moby", "context": 42, "answer": 0.5})"});
  StatusOr<PromptDataset> dataset = load(path, 16);
  ASSERT_TRUE(dataset.isOk()) << dataset.status().toString();
  EXPECT_EQ(dataset->sample(0).ids,
            (Ids{E, E, E, 5433, 10054, 25, E, E, 657, 13, 20, E}));
}

TEST_F(PromptDatasetTest, ErrorsNameTheLineAndWhatIsWrong) {
  // Line 3, after a good line and an empty one.
  auto atLine3 = [&](const std::string &line) {
    return loadError({kShortMoby, "", line});
  };
  EXPECT_EQ(atLine3(R"({"taskname": "squad", "context": "x"})"),
            "3: task \"squad\" is not among the model's tasks (moby, union)");
  EXPECT_EQ(atLine3(R"({"taskname": "moby", "answer": "x"})"),
            "3: field \"context\" of task \"moby\" is missing (its "
            "template's fields: context, answer)");
  EXPECT_EQ(atLine3(R"({"taskname": "moby", "contxt": "x", "answer": "y"})"),
            "3: task \"moby\" has no field \"contxt\" (its template's "
            "fields: context, answer)");
  EXPECT_EQ(atLine3(R"({"taskname": "moby", "context": ["x"], "answer": "y"})"),
            "3: field \"context\" of task \"moby\" is an array, not a string");
  EXPECT_EQ(atLine3(R"({"taskname": "moby", "context": "x", "answer": true})"),
            "3: field \"answer\" of task \"moby\" is a boolean, not a string");
  EXPECT_EQ(atLine3(R"({"taskname": "moby", "context": null, "answer": "y"})"),
            "3: field \"context\" of task \"moby\" is null, not a string");
  EXPECT_EQ(atLine3(R"(["moby"])"),
            "3: a line must be a JSON object, got an array");
  EXPECT_EQ(atLine3(R"({"context": "x"})"),
            "3: the object has no \"taskname\"");
  EXPECT_EQ(atLine3(R"({"taskname": 7})"),
            "3: \"taskname\" is a number, not a string");
  // The parser's own message follows.
  const std::string invalid = atLine3(R"({"taskname": "moby",)");
  EXPECT_EQ(
      invalid.rfind("3: not valid JSON: parse error at line 1, column ", 0), 0u)
      << invalid;
  // Sequence length 5 fits 6 tokens; 17 are 11 too many for 6 of context.
  EXPECT_EQ(loadError({kLongMoby}, 5),
            "1: task \"moby\": the sample is 11 tokens too long (17 tokens, "
            "at most 6 fit) and its truncate field \"context\" has only 6");
}

TEST_F(PromptDatasetTest, AFileWithoutSamplesIsAnError) {
  EXPECT_EQ(loadError({"", " "}), " no examples");
  EXPECT_EQ(loadError({kLongUnion, kShortUnion}, 5),
            " no example fits sequence length 5 (moby: 0 samples, union: 0 "
            "samples (2 skipped as too long)); give the tasks a "
            "truncate_field or use a longer sequence");
  StatusOr<PromptDataset> missing = load(dir_.file("absent.jsonl"), 8);
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find(dir_.file("absent.jsonl")),
            std::string::npos);
  StatusOr<PromptDataset> noSequence = load(writeLines(dir_, {kShortMoby}), 0);
  ASSERT_FALSE(noSequence.isOk());
  EXPECT_EQ(noSequence.status().message(),
            "sequence length 0 should be at least 1");
}

TEST_F(PromptDatasetTest, RequestsBecomeGenerationPrompts) {
  const std::string path = writeLines(
      dir_, {R"({"taskname": "moby", "context": "Hi"})", "",
             R"({"taskname": "union", "speech": "Hi", "topic": "unity"})"});
  StatusOr<std::vector<PromptRequest>> prompts =
      loadPromptRequests(path, mobyAndUnion(), gpt2());
  ASSERT_TRUE(prompts.isOk()) << prompts.status().toString();
  ASSERT_EQ(prompts->size(), 2u);
  EXPECT_EQ((*prompts)[0].prompt.ids, (Ids{E, E, E, 15902, 10054, 25, E, E}));
  EXPECT_EQ((*prompts)[0].prompt.virtualRows, (Ids{0, 1, 2, -1, -1, -1, 3, 4}));
  EXPECT_EQ((*prompts)[0].text,
            "<|VIRTUAL_PROMPT_0|> Hi Continue:<|VIRTUAL_PROMPT_1|>");
  EXPECT_EQ((*prompts)[0].line, 1);
  EXPECT_EQ((*prompts)[1].prompt.task, 1u);
  EXPECT_EQ((*prompts)[1].prompt.ids,
            (Ids{E, 5248, 3055, 25, 15902, E, E, E, 198, 33221, 25}));
  EXPECT_EQ((*prompts)[1].prompt.virtualRows,
            (Ids{5, -1, -1, -1, -1, 6, 7, 8, -1, -1, -1}));
  EXPECT_EQ((*prompts)[1].line, 3);

  const std::string bad =
      writeLines(dir_, {"", R"({"taskname": "union", "topic": "unity"})"});
  StatusOr<std::vector<PromptRequest>> missing =
      loadPromptRequests(bad, mobyAndUnion(), gpt2());
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().message(),
            bad + ":2: field \"speech\" of task \"union\" is missing (its "
                  "template's fields: speech, topic; topic is generated)");
  StatusOr<std::vector<PromptRequest>> none =
      loadPromptRequests(writeLines(dir_, {""}), mobyAndUnion(), gpt2());
  ASSERT_FALSE(none.isOk());
  EXPECT_EQ(none.status().message(), dir_.file("data.jsonl") + ": no requests");
}

TEST(PromptRecordTest, ParsesOneLineWithoutALocation) {
  StatusOr<PromptRecord> record = parsePromptRecord(kShortMoby, mobyAndUnion());
  ASSERT_TRUE(record.isOk()) << record.status().toString();
  EXPECT_EQ(record->task, 0u);
  EXPECT_EQ(record->fields,
            (PromptFields{{"context", "Hi"}, {"answer", "Yes"}}));
  StatusOr<PromptRecord> bad = parsePromptRecord("[]", mobyAndUnion());
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().message(),
            "a line must be a JSON object, got an array");
}

} // namespace
} // namespace strata::runtime::data
