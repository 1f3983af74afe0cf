//===- Interpolation.cpp - OmegaConf-style ${...} references -------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A depth-first walk over references with memoized results: a node that is
// reached again while still being resolved closes a cycle.
//
//===----------------------------------------------------------------------===//
#include "frontends/model/Interpolation.h"

#include <charconv>

namespace strata::frontend {

namespace {

/// Longest chain of references followed before giving up; real configs use
/// two or three.
constexpr int kMaxChain = 64;

struct Piece {
  bool reference;
  std::string text; // literal text, or the path inside ${...}
};

} // namespace

bool Interpolator::hasInterpolation(std::string_view text) {
  for (size_t i = text.find("${"); i != std::string_view::npos;
       i = text.find("${", i + 2))
    if (i == 0 || text[i - 1] != '\\')
      return true;
  return false;
}

std::optional<ResolvedValue> Interpolator::resolve(const YamlNode &node) {
  Result result = resolveNode(node, 0);
  if (!result.node)
    return std::nullopt;
  return ResolvedValue{result.node, node.location, result.interpolated};
}

Interpolator::Result Interpolator::resolveNode(const YamlNode &node,
                                               int depth) {
  // Text with only escaped `\${` still goes through resolveText, which
  // drops the escapes.
  if (!node.isScalar() || node.text.find("${") == std::string::npos)
    return Result{&node, false};
  auto it = memo.find(&node);
  if (it != memo.end()) {
    if (it->second.state == State::Done)
      return it->second.result;
    std::string cycle;
    bool inCycle = false;
    for (const YamlNode *step : chain) {
      inCycle = inCycle || step == &node;
      if (inCycle)
        cycle += step->path + " -> ";
    }
    sink.error(node.location, "interpolation cycle: " + cycle + node.path);
    return Result{};
  }
  if (depth > kMaxChain) {
    sink.error(node.location, "interpolation chain longer than " +
                                  std::to_string(kMaxChain) + " references");
    return Result{};
  }
  memo[&node] = Memo{State::Visiting, Result{}};
  chain.push_back(&node);
  Result result = resolveText(node, depth);
  chain.pop_back();
  memo[&node] = Memo{State::Done, result};
  return result;
}

Interpolator::Result Interpolator::resolveText(const YamlNode &node,
                                               int depth) {
  const std::string &text = node.text;
  std::vector<Piece> pieces;
  auto literal = [&](std::string_view s) {
    if (pieces.empty() || pieces.back().reference)
      pieces.push_back(Piece{false, std::string()});
    pieces.back().text += s;
  };
  for (size_t i = 0; i < text.size();) {
    if (text.compare(i, 3, "\\${") == 0) {
      literal("${");
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      literal(std::string_view(&text[i], 1));
      ++i;
      continue;
    }
    // Find the matching brace, counting nested `${` so the message can
    // name the whole expression.
    size_t j = i + 2;
    int open = 1;
    bool nested = false;
    for (; j < text.size() && open > 0; ++j) {
      if (text.compare(j, 2, "${") == 0) {
        ++open;
        nested = true;
        ++j;
      } else if (text[j] == '}') {
        --open;
      }
    }
    if (open > 0) {
      sink.error(node.location,
                 "unterminated interpolation in '" + text + "'");
      return Result{};
    }
    std::string expression = text.substr(i, j - i);
    std::string inner = text.substr(i + 2, j - i - 3);
    if (nested || inner.find(':') != std::string::npos) {
      sink.error(node.location, "interpolation '" + expression +
                                    "' uses a resolver or nesting, which "
                                    "Strata does not support; write the value");
      return Result{};
    }
    if (inner.empty()) {
      sink.error(node.location, "empty interpolation '${}'");
      return Result{};
    }
    pieces.push_back(Piece{true, inner});
    i = j;
  }

  auto follow = [&](const std::string &path) -> Result {
    const YamlNode *target = lookup(path, node);
    if (!target) {
      sink.error(node.location, "interpolation '${" + path +
                                    "}' refers to a key that does not exist");
      return Result{};
    }
    return resolveNode(*target, depth + 1);
  };

  if (pieces.size() == 1 && pieces[0].reference) {
    Result target = follow(pieces[0].text);
    return target.node ? Result{target.node, true} : Result{};
  }

  auto joined = std::make_unique<YamlNode>();
  joined->kind = YamlNode::Kind::Scalar;
  joined->plain = false;
  joined->location = node.location;
  joined->path = node.path;
  joined->parent = node.parent;
  for (const Piece &piece : pieces) {
    if (!piece.reference) {
      joined->text += piece.text;
      continue;
    }
    Result target = follow(piece.text);
    if (!target.node)
      return Result{};
    if (target.node->isMapping() || target.node->isSequence()) {
      sink.error(node.location, "interpolation '${" + piece.text +
                                    "}' inside a string refers to " +
                                    describeNode(*target.node));
      return Result{};
    }
    // OmegaConf renders a null inside a string as "None".
    joined->text += target.node->isNull() ? "None" : target.node->text;
  }
  synthesized.push_back(std::move(joined));
  return Result{synthesized.back().get(), true};
}

const YamlNode *Interpolator::lookup(std::string_view path,
                                     const YamlNode &from) const {
  size_t dots = 0;
  while (dots < path.size() && path[dots] == '.')
    ++dots;
  const YamlNode *current = &root;
  if (dots > 0) {
    current = from.parent;
    for (size_t k = 1; k < dots && current; ++k)
      current = current->parent;
  }
  std::string_view rest = path.substr(dots);
  while (current && !rest.empty()) {
    size_t dot = rest.find('.');
    std::string_view component = rest.substr(0, dot);
    rest = dot == std::string_view::npos ? std::string_view()
                                         : rest.substr(dot + 1);
    if (component.empty())
      return nullptr;
    if (current->isMapping()) {
      const YamlEntry *entry = current->find(std::string(component));
      current = entry ? entry->value.get() : nullptr;
    } else if (current->isSequence()) {
      size_t index = 0;
      auto [end, ec] = std::from_chars(
          component.data(), component.data() + component.size(), index);
      if (ec != std::errc() || end != component.data() + component.size() ||
          index >= current->items.size())
        return nullptr;
      current = current->items[index].get();
    } else {
      return nullptr;
    }
  }
  return current;
}

} // namespace strata::frontend
