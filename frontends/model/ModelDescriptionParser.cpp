//===- ModelDescriptionParser.cpp - YAML model descriptions --------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The pipeline: YAML text -> YamlTree (duplicates, malformed YAML) ->
// overrides -> SectionReader (keys, interpolation, types, ranges) ->
// ConsistencyRules (defaults, cross-key rules) -> ModelDescription.
//
//===----------------------------------------------------------------------===//
#include "frontends/model/ModelDescriptionParser.h"

#include "frontends/model/ConsistencyRules.h"
#include "frontends/model/DiagnosticSink.h"
#include "frontends/model/Overrides.h"
#include "frontends/model/SectionReader.h"
#include "frontends/model/YamlTree.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace strata::frontend {

namespace {

std::string defaultName(std::string_view fileName) {
  std::string stem = std::filesystem::path(fileName).stem().string();
  return stem.empty() ? "model" : stem;
}

void parseInto(ParseResult &result, std::string_view text,
               std::string_view fileName, const Overrides &overrides) {
  DiagnosticSink sink(result.diagnostics);
  const std::string file(fileName.empty() ? "<input>" : fileName);
  std::unique_ptr<YamlNode> root = parseYamlDocument(text, file, sink);
  if (!root)
    return;
  applyOverrides(*root, overrides, sink);

  Settings settings;
  settings.fileName = std::string(fileName);
  readSections(*root, settings, sink);
  ModelDescription description;
  if (!buildDescription(settings, sink, description))
    return;
  description.name =
      settings.name.empty() ? defaultName(fileName) : settings.name;
  description.sourceText = std::string(text);
  result.description = std::move(description);
}

} // namespace

ParseResult parseModelDescription(std::string_view text,
                                  std::string_view fileName,
                                  const Overrides &overrides) {
  ParseResult result;
  try {
    parseInto(result, text, fileName, overrides);
  } catch (const std::exception &e) {
    // Nothing above throws by design; out-of-memory still can.
    result.description.reset();
    result.diagnostics.push_back(Diagnostic{
        Diagnostic::Severity::Error,
        SourceLocation{std::string(fileName), 0, 0},
        std::string("internal error while reading the description: ") +
            e.what()});
  }
  return result;
}

ParseResult parseModelDescriptionFile(const std::string &path,
                                      const Overrides &overrides) {
  std::error_code ec;
  std::string error;
  if (std::filesystem::is_directory(path, ec)) {
    error = "it is a directory";
  } else {
    std::ifstream in(path, std::ios::binary);
    if (in) {
      std::ostringstream text;
      text << in.rdbuf();
      if (!in.bad()) {
        ParseResult result = parseModelDescription(text.str(), path, overrides);
        if (result.description)
          result.description->sourcePath = path;
        return result;
      }
      error = "read error";
    } else {
      error = std::strerror(errno);
    }
  }
  ParseResult result;
  result.diagnostics.push_back(
      Diagnostic{Diagnostic::Severity::Error, SourceLocation{path, 0, 0},
                 "cannot read the model description: " + error});
  return result;
}

} // namespace strata::frontend
