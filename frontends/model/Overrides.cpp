//===- Overrides.cpp - Hydra-style command-line overrides ----------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "frontends/model/Overrides.h"

namespace strata::frontend {

namespace {

std::string_view trim(std::string_view text) {
  size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos)
    return {};
  size_t end = text.find_last_not_of(" \t");
  return text.substr(begin, end - begin + 1);
}

void applyOne(YamlNode &root, const std::string &override,
              DiagnosticSink &sink) {
  const SourceLocation location{kCommandLineFile, 0, 0};
  const std::string quoted = "override '" + override + "'";
  std::string_view text = override;
  while (!text.empty() && text[0] == '+')
    text.remove_prefix(1);
  size_t equals = text.find('=');
  if (equals == std::string_view::npos) {
    sink.error(location, quoted + " has no '='; write key=value, for "
                                  "example model.num_layers=4");
    return;
  }
  std::string_view key = trim(text.substr(0, equals));
  std::vector<std::string> path;
  for (size_t start = 0;;) {
    size_t dot = key.find('.', start);
    path.emplace_back(key.substr(start, dot == std::string_view::npos
                                            ? std::string_view::npos
                                            : dot - start));
    if (path.back().empty()) {
      sink.error(location, quoted + " has an empty key name");
      return;
    }
    if (dot == std::string_view::npos)
      break;
    start = dot + 1;
  }
  std::unique_ptr<YamlNode> value =
      parseYamlValue(trim(text.substr(equals + 1)), location, quoted, sink);
  if (!value)
    return;

  YamlNode *current = &root;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    YamlEntry *entry = current->find(path[i]);
    if (!entry || entry->value->isNull()) {
      auto mapping = std::make_unique<YamlNode>();
      mapping->kind = YamlNode::Kind::Mapping;
      mapping->location = location;
      if (entry)
        current->replace(*entry, std::move(mapping));
      else
        entry = &current->append(path[i], location, std::move(mapping));
    } else if (!entry->value->isMapping()) {
      sink.error(location, "cannot apply " + quoted + ": '" +
                               entry->value->path + "' is " +
                               describeNode(*entry->value) +
                               ", not a mapping");
      return;
    }
    current = entry->value.get();
  }
  if (YamlEntry *entry = current->find(path.back()))
    current->replace(*entry, std::move(value));
  else
    current->append(path.back(), location, std::move(value));
}

} // namespace

void applyOverrides(YamlNode &root, const Overrides &overrides,
                    DiagnosticSink &sink) {
  if (!root.isMapping())
    return;
  for (const std::string &override : overrides)
    applyOne(root, override, sink);
}

} // namespace strata::frontend
