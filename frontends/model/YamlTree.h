//===- YamlTree.h - A located, ordered YAML tree -------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Internal to the model-description frontend. yaml-cpp's nodes keep only one
// of two duplicate keys on lookup and cannot be edited in place with their
// locations intact, so the frontend converts a document once into this tree:
// mappings keep their entries in file order plus a hash index, every node
// knows its parent (for `${.key}` interpolation), its dotted path and its
// 1-based location, and scalars remember whether they were written plain
// (`768`) or quoted/tagged (`"768"`), which decides their type.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_FRONTENDS_MODEL_YAMLTREE_H
#define STRATA_FRONTENDS_MODEL_YAMLTREE_H

#include "frontends/model/DiagnosticSink.h"

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace strata::frontend {

struct YamlNode;

struct YamlEntry {
  std::string key;
  SourceLocation keyLocation;
  std::unique_ptr<YamlNode> value;
};

struct YamlNode {
  enum class Kind { Null, Scalar, Sequence, Mapping };

  Kind kind = Kind::Null;
  /// Scalar: the value after YAML unquoting. Empty for other kinds.
  std::string text;
  /// Scalar: written without quotes or a string tag, so it may be a number
  /// or a boolean. `"768"` is not plain and therefore a string.
  bool plain = true;
  SourceLocation location;
  /// Dotted path from the document root ("model.tokenizer.type"); sequence
  /// items use their index ("model.optim.betas.0"). Empty for the root.
  std::string path;
  /// The mapping or sequence holding this node; null for the root.
  YamlNode *parent = nullptr;

  /// Mapping entries in file order (Mapping only).
  std::vector<YamlEntry> entries;
  /// Sequence items (Sequence only).
  std::vector<std::unique_ptr<YamlNode>> items;

  bool isNull() const { return kind == Kind::Null; }
  bool isScalar() const { return kind == Kind::Scalar; }
  bool isMapping() const { return kind == Kind::Mapping; }
  bool isSequence() const { return kind == Kind::Sequence; }

  /// Mapping lookup in O(1); null when absent or not a mapping.
  const YamlEntry *find(const std::string &key) const;
  YamlEntry *find(const std::string &key);

  /// Appends an entry (the key must not exist yet) and returns it; sets the
  /// child's parent and path.
  YamlEntry &append(std::string key, SourceLocation keyLocation,
                    std::unique_ptr<YamlNode> value);
  /// Replaces the value of an existing entry, keeping its place.
  void replace(YamlEntry &entry, std::unique_ptr<YamlNode> value);

private:
  std::unordered_map<std::string, size_t> index;
};

/// "null", "a mapping", "a sequence", the plain text, or `the string "x"`:
/// how a value is named in a type error.
std::string describeNode(const YamlNode &node);

/// Renders |node| in YAML flow style (`{a: 1, b: [x, "y z"]}`); a scalar is
/// its text.
std::string renderFlow(const YamlNode &node);

/// Limits that keep hostile input linear: aliases can make a small file
/// stand for an exponentially large tree.
inline constexpr size_t kMaxYamlNodes = 200000;

/// Parses |text| (one YAML document) into a tree whose locations name
/// |file|. Reports malformed YAML, more than one document, non-scalar keys,
/// duplicate keys (the first one is kept) and oversized documents to |sink|.
/// Returns null when nothing usable was read; an empty document is returned
/// as a Null root (the caller decides what that means).
std::unique_ptr<YamlNode> parseYamlDocument(std::string_view text,
                                            const std::string &file,
                                            DiagnosticSink &sink);

/// Parses the value half of a command-line override ("8", "bf16",
/// "[1, 2]", "") into a tree located at |location|. Returns null after
/// reporting an error naming |what|.
std::unique_ptr<YamlNode> parseYamlValue(std::string_view text,
                                         const SourceLocation &location,
                                         const std::string &what,
                                         DiagnosticSink &sink);

} // namespace strata::frontend

#endif // STRATA_FRONTENDS_MODEL_YAMLTREE_H
