//===- BrokenCorpusTest.cpp - tests/frontend/broken without sanitizers ---===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Every file of the broken-description corpus must fail with an error
// located in that file (line >= 1) whose message contains the text of its
// first line, "# expect: <text>". The sanitizer test (tests/frontend) runs
// the same corpus through an ASan/UBSan build.
//
//===----------------------------------------------------------------------===//
#include "frontends/model/ParserTestSupport.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace strata::frontend {
namespace {

using namespace strata::frontend::testing;

std::vector<std::string> corpus() {
  std::vector<std::string> files;
  std::filesystem::path dir =
      std::filesystem::path(STRATA_SOURCE_DIR) / "tests/frontend/broken";
  for (const auto &entry : std::filesystem::directory_iterator(dir))
    if (entry.path().extension() == ".yaml")
      files.push_back(entry.path().filename().string());
  std::sort(files.begin(), files.end());
  return files;
}

class BrokenCorpusTest : public ::testing::TestWithParam<std::string> {};

TEST_P(BrokenCorpusTest, FailsWithTheExpectedMessage) {
  std::filesystem::path path = std::filesystem::path(STRATA_SOURCE_DIR) /
                               "tests/frontend/broken" / GetParam();
  std::ifstream in(path);
  std::string firstLine;
  std::getline(in, firstLine);
  const std::string prefix = "# expect: ";
  ASSERT_EQ(firstLine.rfind(prefix, 0), 0u) << "first line: " << firstLine;
  const std::string expected = firstLine.substr(prefix.size());

  ParseResult result = parseModelDescriptionFile(path.string());
  EXPECT_FALSE(result.succeeded());
  bool found = false;
  for (const Diagnostic &d : result.diagnostics)
    found = found || (d.severity == Diagnostic::Severity::Error &&
                      d.location.file == path.string() && d.location.line >= 1 &&
                      d.location.column >= 1 &&
                      d.message.find(expected) != std::string::npos);
  EXPECT_TRUE(found) << "expected \"" << expected << "\", got:\n" << dump(result);
}

INSTANTIATE_TEST_SUITE_P(
    Corpus, BrokenCorpusTest, ::testing::ValuesIn(corpus()),
    [](const ::testing::TestParamInfo<std::string> &info) {
      std::string name = info.param.substr(0, info.param.size() - 5);
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

TEST(BrokenCorpusSizeTest, HasEnoughCases) { EXPECT_GE(corpus().size(), 25u); }

} // namespace
} // namespace strata::frontend
