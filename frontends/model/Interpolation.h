//===- Interpolation.h - OmegaConf-style ${...} references ---------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Internal to the model-description frontend. NeMo configs write
// `max_position_embeddings: ${.encoder_seq_length}`; this resolves such
// references in a YamlTree:
//   ${.key}            relative to the mapping holding the value
//   ${..key}           one mapping further up (each extra dot: one more)
//   ${model.key}       absolute, from the document root
//   ${a.b.0}           sequence items by index
//   "x-${a}-${b}"      pieces joined into a string
//   \${                a literal "${"
//   ${multiply:4, ${.hidden_size}}   NeMo's resolvers multiply, divide_ceil
//                                    and divide_floor, arguments numbers or
//                                    interpolations (nested calls too)
// Chains are followed; cycles, missing targets and other resolvers are
// errors.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_FRONTENDS_MODEL_INTERPOLATION_H
#define STRATA_FRONTENDS_MODEL_INTERPOLATION_H

#include "frontends/model/YamlTree.h"

#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

namespace strata::frontend {

/// A value after following its interpolations.
struct ResolvedValue {
  /// The node holding the value: the node itself, the end of its chain of
  /// references, or a synthesized string scalar for joined pieces.
  const YamlNode *node = nullptr;
  /// Where diagnostics about the value point: the node written in the place
  /// being read, even when it only refers elsewhere.
  SourceLocation location;
  /// True when the value came through at least one `${...}`.
  bool interpolated = false;

  const YamlNode &operator*() const { return *node; }
  const YamlNode *operator->() const { return node; }
};

class Interpolator {
public:
  Interpolator(const YamlNode &root, DiagnosticSink &sink)
      : root(root), sink(sink) {}

  /// Resolves |node|, a node of the tree given to the constructor. Returns
  /// nullopt after reporting an error. Each node is resolved once, so
  /// resolving everything is linear in the document.
  std::optional<ResolvedValue> resolve(const YamlNode &node);

  /// Whether |text| contains an unescaped `${`.
  static bool hasInterpolation(std::string_view text);
  /// The first absolute `${path}` of |node| (outside resolver calls) whose
  /// top-level key the document does not have, as written ("data_dir",
  /// "training.run.name"): a key of a launcher's own configuration. nullopt
  /// otherwise. Reports nothing.
  std::optional<std::string> missingReference(const YamlNode &node) const;
  /// Whether the text inside `${...}` is a resolver call ("multiply:4, 8").
  static bool isResolverCall(std::string_view inner);

private:
  struct Result {
    const YamlNode *node = nullptr; // null: failed
    bool interpolated = false;
  };

  Result resolveNode(const YamlNode &node, int depth);
  Result resolveText(const YamlNode &node, int depth);
  /// Evaluates |call| ("multiply:4, ${.hidden_size}") for |node|, whose
  /// relative references it resolves.
  Result callResolver(const std::string &call, const YamlNode &node, int depth);
  const YamlNode *lookup(std::string_view path, const YamlNode &from) const;

  enum class State { Visiting, Done };
  struct Memo {
    State state;
    Result result;
  };

  const YamlNode &root;
  DiagnosticSink &sink;
  std::unordered_map<const YamlNode *, Memo> memo;
  /// The nodes being resolved, outermost first (for cycle messages).
  std::vector<const YamlNode *> chain;
  /// Strings built from several pieces.
  std::vector<std::unique_ptr<YamlNode>> synthesized;
};

} // namespace strata::frontend

#endif // STRATA_FRONTENDS_MODEL_INTERPOLATION_H
