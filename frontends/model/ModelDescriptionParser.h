//===- ModelDescriptionParser.h - YAML model descriptions ----------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Reads a NeMo-style YAML model description into a ModelDescription. Errors
// never throw and never abort: they come back as diagnostics that name the
// file, line, column and the values at fault.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_FRONTENDS_MODEL_MODELDESCRIPTIONPARSER_H
#define STRATA_FRONTENDS_MODEL_MODELDESCRIPTIONPARSER_H

#include "frontends/model/ModelDescription.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata::frontend {

struct Diagnostic {
  enum class Severity { Error, Warning, Note };
  Severity severity = Severity::Error;
  SourceLocation location;
  std::string message;
};

struct ParseResult {
  /// Set only when there are no errors.
  std::optional<ModelDescription> description;
  /// Errors, warnings and notes in the order found.
  std::vector<Diagnostic> diagnostics;
  bool succeeded() const { return description.has_value(); }
};

/// Hydra-style overrides such as "model.num_layers=4" or
/// "trainer.devices=8", applied after loading and before validation.
using Overrides = std::vector<std::string>;

/// Parses |text|; |fileName| is used in diagnostics and to resolve relative
/// paths (tokenizer files).
ParseResult parseModelDescription(std::string_view text,
                                  std::string_view fileName,
                                  const Overrides &overrides = {});

/// Reads and parses the file at |path|. A missing or unreadable file is an
/// error diagnostic, not an exception.
ParseResult parseModelDescriptionFile(const std::string &path,
                                      const Overrides &overrides = {});

/// Renders a diagnostic the way compilers do:
///   file:line:col: error: message
///     <source line>
///         ^
/// |sourceText| is the text the location points into ("" to omit the
/// excerpt, as for command-line overrides).
std::string formatDiagnostic(const Diagnostic &diagnostic,
                             std::string_view sourceText);

} // namespace strata::frontend

#endif // STRATA_FRONTENDS_MODEL_MODELDESCRIPTIONPARSER_H
