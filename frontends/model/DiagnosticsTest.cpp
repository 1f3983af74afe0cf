//===- DiagnosticsTest.cpp - formatDiagnostic ----------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "frontends/model/DiagnosticSink.h"

#include <gtest/gtest.h>

namespace strata::frontend {
namespace {

Diagnostic make(Diagnostic::Severity severity, std::string file, int line,
                int column, std::string message) {
  return Diagnostic{severity, SourceLocation{std::move(file), line, column},
                    std::move(message)};
}

TEST(DiagnosticsTest, ErrorWithExcerptAndCaret) {
  const std::string text = "model:\n  hidden_size: 770\n  num_layers: 4\n";
  Diagnostic d = make(Diagnostic::Severity::Error, "gpt.yaml", 2, 16,
                      "hidden_size 770 is not divisible by 12");
  EXPECT_EQ(formatDiagnostic(d, text),
            "gpt.yaml:2:16: error: hidden_size 770 is not divisible by 12\n"
            "    hidden_size: 770\n"
            "                 ^\n");
}

TEST(DiagnosticsTest, SeverityWords) {
  EXPECT_EQ(formatDiagnostic(make(Diagnostic::Severity::Warning, "f", 1, 1, "w"),
                             "x: 1"),
            "f:1:1: warning: w\n  x: 1\n  ^\n");
  EXPECT_EQ(formatDiagnostic(make(Diagnostic::Severity::Note, "f", 1, 3, "n"),
                             "x: 1\n"),
            "f:1:3: note: n\n  x: 1\n    ^\n");
}

TEST(DiagnosticsTest, CommandLineHasNoLineOrExcerpt) {
  Diagnostic d = make(Diagnostic::Severity::Error, kCommandLineFile, 0, 0,
                      "unknown key 'foo' in model");
  EXPECT_EQ(formatDiagnostic(d, "model:\n"),
            "<command line>: error: unknown key 'foo' in model\n");
}

TEST(DiagnosticsTest, NoExcerptWithoutText) {
  Diagnostic d = make(Diagnostic::Severity::Error, "f.yaml", 3, 2, "m");
  EXPECT_EQ(formatDiagnostic(d, ""), "f.yaml:3:2: error: m\n");
  // A line past the end of the text has no excerpt either.
  EXPECT_EQ(formatDiagnostic(d, "a: 1\n"), "f.yaml:3:2: error: m\n");
}

TEST(DiagnosticsTest, TabsKeepTheCaretAligned) {
  Diagnostic d = make(Diagnostic::Severity::Error, "f", 1, 4, "m");
  EXPECT_EQ(formatDiagnostic(d, "\ta: x\n"), "f:1:4: error: m\n  \ta: x\n  \t  ^\n");
}

TEST(DiagnosticsTest, CarriageReturnsAreDropped) {
  Diagnostic d = make(Diagnostic::Severity::Error, "f", 2, 1, "m");
  EXPECT_EQ(formatDiagnostic(d, "a: 1\r\nb: 2\r\n"), "f:2:1: error: m\n  b: 2\n  ^\n");
}

TEST(DiagnosticsTest, LongLinesShowAWindow) {
  std::string line = "key: " + std::string(300, 'x') + "Y" + std::string(300, 'z');
  Diagnostic d = make(Diagnostic::Severity::Error, "f", 1, 306, "m");
  std::string out = formatDiagnostic(d, line);
  // The caret sits under the Y.
  size_t excerpt = out.find('\n') + 1;
  size_t caretLine = out.find('\n', excerpt) + 1;
  size_t caret = out.find('^', caretLine) - caretLine;
  EXPECT_EQ(out[excerpt + caret], 'Y') << out;
  EXPECT_LT(out.size(), 500u);
  EXPECT_NE(out.find("..."), std::string::npos);
}

TEST(DiagnosticsTest, DescribesLines) {
  EXPECT_EQ(describeLine(SourceLocation{"f", 5, 3}), " (line 5)");
  EXPECT_EQ(describeLine(SourceLocation{kCommandLineFile, 0, 0}),
            " (command line)");
  EXPECT_EQ(describeLine(SourceLocation{}), "");
}

TEST(DiagnosticsTest, SinkCapsTheNumberOfErrors) {
  std::vector<Diagnostic> out;
  DiagnosticSink sink(out);
  for (int i = 0; i < 1000; ++i)
    sink.error(SourceLocation{"f", i + 1, 1}, "e");
  EXPECT_EQ(sink.errorCount(), 1000u);
  EXPECT_TRUE(sink.hasErrors());
  ASSERT_EQ(out.size(), DiagnosticSink::kMaxErrors + 1);
  EXPECT_EQ(out.back().severity, Diagnostic::Severity::Note);
  EXPECT_EQ(out.back().message, "too many errors; the rest are not shown");
}

} // namespace
} // namespace strata::frontend
