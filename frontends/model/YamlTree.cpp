//===- YamlTree.cpp - A located, ordered YAML tree -----------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Converts yaml-cpp's document into YamlNode trees, reporting what yaml-cpp
// accepts silently (duplicate keys) and what it reports by exception
// (malformed YAML, with its 0-based mark turned 1-based).
//
//===----------------------------------------------------------------------===//
#include "frontends/model/YamlTree.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <cctype>

namespace strata::frontend {

//===----------------------------------------------------------------------===//
// YamlNode
//===----------------------------------------------------------------------===//

namespace {

std::string childPath(const YamlNode &parent, const std::string &key) {
  return parent.path.empty() ? key : parent.path + "." + key;
}

/// Gives |node| and everything below it parent pointers and paths; used when
/// a subtree is attached (conversion and overrides).
void attach(YamlNode &node, YamlNode *parent, std::string path) {
  node.parent = parent;
  node.path = std::move(path);
  for (YamlEntry &entry : node.entries)
    attach(*entry.value, &node, childPath(node, entry.key));
  for (size_t i = 0; i < node.items.size(); ++i)
    attach(*node.items[i], &node, childPath(node, std::to_string(i)));
}

} // namespace

const YamlEntry *YamlNode::find(const std::string &key) const {
  auto it = index.find(key);
  return it == index.end() ? nullptr : &entries[it->second];
}

YamlEntry *YamlNode::find(const std::string &key) {
  auto it = index.find(key);
  return it == index.end() ? nullptr : &entries[it->second];
}

YamlEntry &YamlNode::append(std::string key, SourceLocation keyLocation,
                            std::unique_ptr<YamlNode> value) {
  index.emplace(key, entries.size());
  attach(*value, this, childPath(*this, key));
  entries.push_back(YamlEntry{std::move(key), std::move(keyLocation),
                              std::move(value)});
  return entries.back();
}

void YamlNode::replace(YamlEntry &entry, std::unique_ptr<YamlNode> value) {
  attach(*value, this, childPath(*this, entry.key));
  entry.value = std::move(value);
}

//===----------------------------------------------------------------------===//
// Rendering
//===----------------------------------------------------------------------===//

namespace {

bool isPlainSafe(const std::string &text) {
  if (text.empty())
    return false;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (!(std::isalnum(u) || c == '_' || c == '-' || c == '.' || c == '/' ||
          c == '+' || c == '$' || u >= 0x80))
      return false;
  }
  return true;
}

void appendQuoted(std::string &out, const std::string &text) {
  out += '"';
  for (char c : text) {
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\t': out += "\\t"; break;
    case '\r': out += "\\r"; break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        static const char *hex = "0123456789abcdef";
        out += "\\x";
        out += hex[(c >> 4) & 0xf];
        out += hex[c & 0xf];
      } else {
        out += c;
      }
    }
  }
  out += '"';
}

void appendScalar(std::string &out, const YamlNode &node) {
  // Plain scalars are re-emitted as written; braces, commas and similar
  // would break the flow rendering, so only then are they quoted.
  if (node.plain && (isPlainSafe(node.text) ||
                     node.text.find_first_of(",[]{}#\"'\n") ==
                         std::string::npos))
    out += node.text;
  else
    appendQuoted(out, node.text);
}

void appendFlow(std::string &out, const YamlNode &node) {
  switch (node.kind) {
  case YamlNode::Kind::Null:
    out += "null";
    return;
  case YamlNode::Kind::Scalar:
    appendScalar(out, node);
    return;
  case YamlNode::Kind::Sequence: {
    out += '[';
    for (size_t i = 0; i < node.items.size(); ++i) {
      if (i)
        out += ", ";
      appendFlow(out, *node.items[i]);
    }
    out += ']';
    return;
  }
  case YamlNode::Kind::Mapping: {
    out += '{';
    for (size_t i = 0; i < node.entries.size(); ++i) {
      if (i)
        out += ", ";
      if (isPlainSafe(node.entries[i].key))
        out += node.entries[i].key;
      else
        appendQuoted(out, node.entries[i].key);
      out += ": ";
      appendFlow(out, *node.entries[i].value);
    }
    out += '}';
    return;
  }
  }
}

} // namespace

std::string describeNode(const YamlNode &node) {
  switch (node.kind) {
  case YamlNode::Kind::Null:
    return "null";
  case YamlNode::Kind::Sequence:
    return "a sequence";
  case YamlNode::Kind::Mapping:
    return "a mapping";
  case YamlNode::Kind::Scalar:
    break;
  }
  if (node.plain)
    return node.text;
  std::string out = "the string ";
  appendQuoted(out, node.text);
  return out;
}

std::string renderFlow(const YamlNode &node) {
  std::string out;
  appendFlow(out, node);
  return out;
}

//===----------------------------------------------------------------------===//
// Conversion from yaml-cpp
//===----------------------------------------------------------------------===//

namespace {

constexpr size_t kMaxScalarBytes = size_t(64) << 20;
constexpr int kMaxDepth = 1000;

class Converter {
public:
  /// |text| is the document (to tell `key:` from `key: null`); empty for
  /// override values, whose nodes all take |fixed| as location.
  Converter(std::string_view text, std::string file, DiagnosticSink &sink,
            const SourceLocation *fixed)
      : text(text), file(std::move(file)), sink(sink), fixed(fixed) {
    lineStarts.push_back(0);
    for (size_t i = 0; i < text.size(); ++i)
      if (text[i] == '\n')
        lineStarts.push_back(i + 1);
  }

  bool failed() const { return aborted; }

  std::unique_ptr<YamlNode> convert(const YAML::Node &in,
                                    const SourceLocation *keyLocation,
                                    int depth) {
    auto node = std::make_unique<YamlNode>();
    if (aborted)
      return node;
    if (++nodeCount > kMaxYamlNodes) {
      abort(locate(in), "the document has more than " +
                            std::to_string(kMaxYamlNodes) +
                            " nodes (after expanding aliases)");
      return node;
    }
    if (depth > kMaxDepth) {
      abort(locate(in), "the document nests deeper than " +
                            std::to_string(kMaxDepth) + " levels");
      return node;
    }
    node->location = locate(in);
    switch (in.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      node->kind = YamlNode::Kind::Null;
      // `key:` with nothing after it: yaml-cpp marks the next token, which
      // may be lines away. The key is the better place to point at.
      if (keyLocation && !fixed && !writtenNull(in.Mark()))
        node->location = *keyLocation;
      break;
    case YAML::NodeType::Scalar: {
      node->kind = YamlNode::Kind::Scalar;
      node->text = in.Scalar();
      node->plain = isPlainTag(in.Tag());
      scalarBytes += node->text.size();
      if (scalarBytes > kMaxScalarBytes)
        abort(node->location, "the document holds more than " +
                                  std::to_string(kMaxScalarBytes >> 20) +
                                  " MiB of text (after expanding aliases)");
      break;
    }
    case YAML::NodeType::Sequence:
      node->kind = YamlNode::Kind::Sequence;
      for (const YAML::Node &item : in) {
        node->items.push_back(convert(item, nullptr, depth + 1));
        if (aborted)
          break;
      }
      break;
    case YAML::NodeType::Map:
      node->kind = YamlNode::Kind::Mapping;
      for (auto it = in.begin(); it != in.end() && !aborted; ++it)
        convertEntry(*node, it->first, it->second, depth);
      break;
    }
    return node;
  }

private:
  void convertEntry(YamlNode &map, const YAML::Node &keyNode,
                    const YAML::Node &valueNode, int depth) {
    SourceLocation keyLocation = locate(keyNode);
    if (!keyNode.IsScalar()) {
      sink.error(keyLocation, "mapping keys must be names, got " +
                                  std::string(keyNode.IsNull() ? "null"
                                              : keyNode.IsMap()
                                                  ? "a mapping"
                                                  : "a sequence"));
      return;
    }
    std::string key = keyNode.Scalar();
    std::unique_ptr<YamlNode> value =
        convert(valueNode, &keyLocation, depth + 1);
    if (const YamlEntry *first = map.find(key)) {
      sink.error(keyLocation, "duplicate key '" + key + "' at line " +
                                  std::to_string(keyLocation.line) +
                                  " (first set at line " +
                                  std::to_string(first->keyLocation.line) +
                                  "); remove one of them");
      return;
    }
    map.append(std::move(key), keyLocation, std::move(value));
  }

  static bool isPlainTag(const std::string &tag) {
    return tag == "?" || tag == "tag:yaml.org,2002:int" ||
           tag == "tag:yaml.org,2002:float" || tag == "tag:yaml.org,2002:bool";
  }

  SourceLocation locate(const YAML::Node &node) const {
    if (fixed)
      return *fixed;
    YAML::Mark mark = node.Mark();
    if (mark.line < 0 || mark.column < 0)
      return SourceLocation{file, 1, 1};
    return SourceLocation{file, mark.line + 1, mark.column + 1};
  }

  /// Whether the text at |mark| spells a null (`~`, `null`) rather than
  /// being the start of whatever follows an empty value.
  bool writtenNull(const YAML::Mark &mark) const {
    if (mark.line < 0 || mark.column < 0 ||
        static_cast<size_t>(mark.line) >= lineStarts.size())
      return false;
    size_t pos = lineStarts[mark.line] + static_cast<size_t>(mark.column);
    if (pos >= text.size())
      return false;
    std::string_view rest = text.substr(pos);
    if (rest[0] == '~')
      return true;
    return rest.size() >= 4 &&
           (rest.substr(0, 4) == "null" || rest.substr(0, 4) == "Null" ||
            rest.substr(0, 4) == "NULL");
  }

  void abort(const SourceLocation &location, std::string message) {
    if (!aborted)
      sink.error(location, std::move(message));
    aborted = true;
  }

  std::string_view text;
  std::string file;
  DiagnosticSink &sink;
  const SourceLocation *fixed;
  std::vector<size_t> lineStarts;
  size_t nodeCount = 0;
  size_t scalarBytes = 0;
  bool aborted = false;
};

SourceLocation markLocation(const std::string &file, const YAML::Mark &mark) {
  if (mark.line < 0 || mark.column < 0)
    return SourceLocation{file, 1, 1};
  return SourceLocation{file, mark.line + 1, mark.column + 1};
}

} // namespace

std::unique_ptr<YamlNode> parseYamlDocument(std::string_view text,
                                            const std::string &file,
                                            DiagnosticSink &sink) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(text));
  } catch (const YAML::DeepRecursion &e) {
    // yaml-cpp's own message for this is "bad file".
    sink.error(markLocation(file, e.mark),
               "invalid YAML: nesting deeper than " +
                   std::to_string(e.depth()) + " levels");
    return nullptr;
  } catch (const YAML::Exception &e) {
    sink.error(markLocation(file, e.mark), "invalid YAML: " + e.msg);
    return nullptr;
  } catch (const std::exception &e) {
    sink.error(SourceLocation{file, 1, 1},
               std::string("cannot read YAML: ") + e.what());
    return nullptr;
  }
  // Trailing empty documents (a final `---`) carry nothing.
  while (!documents.empty() && documents.back().IsNull())
    documents.pop_back();
  if (documents.empty())
    return std::make_unique<YamlNode>();
  if (documents.size() > 1) {
    sink.error(markLocation(file, documents[1].Mark()),
               "expected one YAML document, found " +
                   std::to_string(documents.size()) +
                   "; remove the '---' separator");
    return nullptr;
  }
  try {
    Converter converter(text, file, sink, nullptr);
    std::unique_ptr<YamlNode> root = converter.convert(documents[0], nullptr, 0);
    if (converter.failed())
      return nullptr;
    return root;
  } catch (const std::exception &e) {
    sink.error(SourceLocation{file, 1, 1},
               std::string("cannot read YAML: ") + e.what());
    return nullptr;
  }
}

std::unique_ptr<YamlNode> parseYamlValue(std::string_view text,
                                         const SourceLocation &location,
                                         const std::string &what,
                                         DiagnosticSink &sink) {
  try {
    YAML::Node node = YAML::Load(std::string(text));
    Converter converter({}, location.file, sink, &location);
    std::unique_ptr<YamlNode> value = converter.convert(node, nullptr, 0);
    if (converter.failed())
      return nullptr;
    return value;
  } catch (const YAML::Exception &e) {
    sink.error(location, "cannot parse the value of " + what + ": " + e.msg);
  } catch (const std::exception &e) {
    sink.error(location,
               "cannot parse the value of " + what + ": " + e.what());
  }
  return nullptr;
}

} // namespace strata::frontend
