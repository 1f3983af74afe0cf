//===- ParserTestSupport.h - Helpers for the frontend's unit tests -------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Parse-and-capture helpers shared by the *Test.cpp files of this folder:
// parse a YAML string, assert on its diagnostics (line, column, message)
// and print all of them when an assertion fails.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_FRONTENDS_MODEL_PARSERTESTSUPPORT_H
#define STRATA_FRONTENDS_MODEL_PARSERTESTSUPPORT_H

#include "frontends/model/ModelDescriptionParser.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace strata::frontend::testing {

inline constexpr const char *kTestFile = "test.yaml";

/// A valid description whose `model:` ends at line 7; |extra| lines are
/// model keys (indented two spaces) starting at line 8.
///   1 model:
///   2   num_layers: 4
///   3   hidden_size: 128
///   4   num_attention_heads: 4
///   5   encoder_seq_length: 128
///   6   tokenizer:
///   7     type: GPT2BPETokenizer
inline std::string baseModel(std::string_view extra = "") {
  return std::string("model:\n"
                     "  num_layers: 4\n"
                     "  hidden_size: 128\n"
                     "  num_attention_heads: 4\n"
                     "  encoder_seq_length: 128\n"
                     "  tokenizer:\n"
                     "    type: GPT2BPETokenizer\n") +
         std::string(extra);
}

inline ParseResult parse(std::string_view yaml, const Overrides &overrides = {}) {
  return parseModelDescription(yaml, kTestFile, overrides);
}

/// Every diagnostic, formatted without excerpts, one per line.
inline std::string dump(const ParseResult &result) {
  std::string out;
  for (const Diagnostic &d : result.diagnostics)
    out += formatDiagnostic(d, "");
  return out.empty() ? "(no diagnostics)\n" : out;
}

/// Parses |yaml|, which must succeed; fails the test otherwise.
inline ModelDescription parseOk(std::string_view yaml,
                                const Overrides &overrides = {}) {
  ParseResult result = parse(yaml, overrides);
  if (!result.succeeded()) {
    ADD_FAILURE() << "expected success, got:\n" << dump(result);
    return ModelDescription{};
  }
  return *result.description;
}

/// Whether |result| failed with a diagnostic of |severity| at |line| (and
/// |column| unless -1) whose message contains |text|.
inline ::testing::AssertionResult
hasDiagnostic(const ParseResult &result, Diagnostic::Severity severity,
              int line, int column, std::string_view text) {
  for (const Diagnostic &d : result.diagnostics)
    if (d.severity == severity && d.location.line == line &&
        (column < 0 || d.location.column == column) &&
        d.message.find(text) != std::string::npos)
      return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "no diagnostic at line " << line
         << (column >= 0 ? ", column " + std::to_string(column) : "")
         << " containing \"" << text << "\"; got:\n"
         << dump(result);
}

/// The parse failed and reported |text| at |line| (|column| unless -1).
inline ::testing::AssertionResult hasError(const ParseResult &result, int line,
                                           std::string_view text,
                                           int column = -1) {
  if (result.succeeded())
    return ::testing::AssertionFailure()
           << "expected an error \"" << text << "\", but parsing succeeded:\n"
           << dump(result);
  return hasDiagnostic(result, Diagnostic::Severity::Error, line, column, text);
}

inline ::testing::AssertionResult hasWarning(const ParseResult &result,
                                             int line, std::string_view text) {
  return hasDiagnostic(result, Diagnostic::Severity::Warning, line, -1, text);
}

/// Number of error diagnostics.
inline size_t errorCount(const ParseResult &result) {
  size_t n = 0;
  for (const Diagnostic &d : result.diagnostics)
    n += d.severity == Diagnostic::Severity::Error;
  return n;
}

} // namespace strata::frontend::testing

#endif // STRATA_FRONTENDS_MODEL_PARSERTESTSUPPORT_H
