//===- Diagnostics.cpp - Rendering frontend diagnostics ------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// formatDiagnostic renders "file:line:col: error: message" plus the source
// line and a caret, the way compilers do.
//
//===----------------------------------------------------------------------===//
#include "frontends/model/DiagnosticSink.h"

#include <algorithm>

namespace strata::frontend {

namespace {

const char *severityName(Diagnostic::Severity severity) {
  switch (severity) {
  case Diagnostic::Severity::Error:
    return "error";
  case Diagnostic::Severity::Warning:
    return "warning";
  case Diagnostic::Severity::Note:
    return "note";
  }
  return "error";
}

/// The text of 1-based line |line| without its newline, or false when the
/// text has fewer lines.
bool findLine(std::string_view text, int line, std::string_view &out) {
  size_t start = 0;
  for (int i = 1; i < line; ++i) {
    size_t newline = text.find('\n', start);
    if (newline == std::string_view::npos)
      return false;
    start = newline + 1;
  }
  if (start > text.size() || (start == text.size() && line > 1))
    return false;
  size_t end = text.find('\n', start);
  out = text.substr(start, end == std::string_view::npos ? std::string_view::npos
                                                         : end - start);
  if (!out.empty() && out.back() == '\r')
    out.remove_suffix(1);
  return true;
}

} // namespace

std::string describeLine(const SourceLocation &location) {
  if (location.line > 0)
    return " (line " + std::to_string(location.line) + ")";
  if (location.file == kCommandLineFile)
    return " (command line)";
  return "";
}

std::string formatDiagnostic(const Diagnostic &diagnostic,
                             std::string_view sourceText) {
  const SourceLocation &loc = diagnostic.location;
  std::string out = loc.file.empty() ? std::string("<input>") : loc.file;
  if (loc.line > 0) {
    out += ':' + std::to_string(loc.line) + ':' +
           std::to_string(loc.column > 0 ? loc.column : 1);
  }
  out += ": ";
  out += severityName(diagnostic.severity);
  out += ": ";
  out += diagnostic.message;
  out += '\n';

  std::string_view line;
  if (loc.line <= 0 || sourceText.empty() ||
      !findLine(sourceText, loc.line, line))
    return out;

  // Long lines are shown as a window around the column.
  constexpr size_t kBefore = 60, kWidth = 160;
  size_t column = loc.column > 0 ? static_cast<size_t>(loc.column) - 1 : 0;
  column = std::min(column, line.size());
  size_t start = column > kBefore + 20 ? column - kBefore : 0;
  std::string_view shown = line.substr(start, kWidth);
  std::string prefix = start > 0 ? "..." : "";
  std::string suffix = start + shown.size() < line.size() ? "..." : "";

  out += "  " + prefix;
  out += shown;
  out += suffix + "\n  " + std::string(prefix.size(), ' ');
  // Keep tabs so the caret lines up under the same column.
  for (size_t i = start; i < column; ++i)
    out += line[i] == '\t' ? '\t' : ' ';
  out += "^\n";
  return out;
}

} // namespace strata::frontend
