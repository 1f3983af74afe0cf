//===- DiagnosticSink.h - Collects frontend diagnostics ------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Internal to the model-description frontend: every reading step reports
// through a DiagnosticSink instead of throwing, so one run can report many
// problems and the caller decides whether the result is usable.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_FRONTENDS_MODEL_DIAGNOSTICSINK_H
#define STRATA_FRONTENDS_MODEL_DIAGNOSTICSINK_H

#include "frontends/model/ModelDescriptionParser.h"

#include <string>
#include <vector>

namespace strata::frontend {

/// The file name that locations of command-line overrides carry.
inline constexpr const char *kCommandLineFile = "<command line>";

class DiagnosticSink {
public:
  explicit DiagnosticSink(std::vector<Diagnostic> &out) : out(out) {}

  /// After |kMaxErrors| errors the rest are counted but not kept, so a
  /// hostile file cannot make the report (and its formatting) explode.
  static constexpr size_t kMaxErrors = 50;

  void error(const SourceLocation &location, std::string message) {
    ++errors;
    if (errors <= kMaxErrors)
      add(Diagnostic::Severity::Error, location, std::move(message));
    else if (errors == kMaxErrors + 1)
      add(Diagnostic::Severity::Note, SourceLocation{location.file, 0, 0},
          "too many errors; the rest are not shown");
  }
  void warning(const SourceLocation &location, std::string message) {
    if (out.size() < 4 * kMaxErrors)
      add(Diagnostic::Severity::Warning, location, std::move(message));
  }
  void note(const SourceLocation &location, std::string message) {
    add(Diagnostic::Severity::Note, location, std::move(message));
  }

  bool hasErrors() const { return errors != 0; }
  size_t errorCount() const { return errors; }

private:
  void add(Diagnostic::Severity severity, const SourceLocation &location,
           std::string message) {
    out.push_back(Diagnostic{severity, location, std::move(message)});
  }

  std::vector<Diagnostic> &out;
  size_t errors = 0;
};

/// " (line 5)" for a location in the file, " (command line)" for an
/// override, "" for a location that says nothing (a default).
std::string describeLine(const SourceLocation &location);

} // namespace strata::frontend

#endif // STRATA_FRONTENDS_MODEL_DIAGNOSTICSINK_H
