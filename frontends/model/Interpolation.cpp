//===- Interpolation.cpp - OmegaConf-style ${...} references -------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A depth-first walk over references with memoized results: a node that is
// reached again while still being resolved closes a cycle.
//
//===----------------------------------------------------------------------===//
#include "frontends/model/Interpolation.h"

#include "frontends/model/ScalarValues.h"

#include <cctype>
#include <charconv>
#include <cmath>

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
    // Nesting is only meaningful inside a resolver's arguments.
    if (nested && !isResolverCall(inner)) {
      sink.error(node.location, "interpolation '" + expression +
                                    "' nests an interpolation in a key "
                                    "path; write the path");
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
    if (isResolverCall(path))
      return callResolver(path, node, depth);
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

//===----------------------------------------------------------------------===//
// Resolvers
//===----------------------------------------------------------------------===//

namespace {

/// NeMo's and its launcher's OmegaConf resolvers (NeMo-Framework-Launcher
/// main.py, NeMo's hydra_runner): multiply is Python's x * y, divide_ceil
/// int(ceil(x / y)), divide_floor int(x // y).
constexpr std::string_view kResolvers[] = {"multiply", "divide_ceil",
                                           "divide_floor"};

/// A number as OmegaConf passes it to a resolver: an int stays an int.
struct Number {
  bool integer = true;
  int64_t i = 0;
  double f = 0;
  double real() const { return integer ? double(i) : f; }
};

std::optional<Number> parseNumber(const YamlNode &node) {
  if (!node.isScalar() || !node.plain)
    return std::nullopt;
  Number n;
  if (parseYamlInteger(node.text, n.i) == IntegerStatus::Ok)
    return n;
  std::optional<double> f = parseYamlFloat(node.text);
  if (!f)
    return std::nullopt;
  n.integer = false;
  n.f = *f;
  return n;
}

std::string_view trimmed(std::string_view text) {
  size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos)
    return {};
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

/// The arguments of "name:a, ${b}, ${c:d, e}" split at the commas outside
/// nested `${...}`, trimmed.
std::vector<std::string> splitArguments(std::string_view args) {
  std::vector<std::string> out;
  int open = 0;
  size_t start = 0;
  for (size_t k = 0; k < args.size(); ++k) {
    if (args.compare(k, 2, "${") == 0) {
      ++open;
      ++k;
    } else if (args[k] == '}' && open > 0) {
      --open;
    } else if (args[k] == ',' && open == 0) {
      out.emplace_back(trimmed(args.substr(start, k - start)));
      start = k + 1;
    }
  }
  out.emplace_back(trimmed(args.substr(start)));
  return out;
}

} // namespace

std::optional<std::string>
Interpolator::missingReference(const YamlNode &node) const {
  if (!node.isScalar())
    return std::nullopt;
  const std::string &text = node.text;
  for (size_t i = text.find("${"); i != std::string::npos;
       i = text.find("${", i + 2)) {
    if (i > 0 && text[i - 1] == '\\')
      continue;
    size_t end = text.find('}', i);
    if (end == std::string::npos)
      return std::nullopt;
    std::string path = text.substr(i + 2, end - i - 2);
    if (path.empty() || path[0] == '.' ||
        path.find("${") != std::string::npos || isResolverCall(path))
      continue;
    // Only a key missing at the top level is the launcher's; a missing key
    // under one the document has is a mistake, which resolve() reports.
    std::string top = path.substr(0, path.find('.'));
    if (!root.isMapping() || !root.find(top))
      return path;
  }
  return std::nullopt;
}

bool Interpolator::isResolverCall(std::string_view inner) {
  size_t colon = inner.find(':');
  if (colon == std::string_view::npos || colon == 0)
    return false;
  for (char c : inner.substr(0, colon))
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'))
      return false;
  return true;
}

Interpolator::Result Interpolator::callResolver(const std::string &call,
                                                const YamlNode &node,
                                                int depth) {
  const size_t colon = call.find(':');
  const std::string name = call.substr(0, colon);
  const std::string expression = "${" + call + "}";
  bool known = false;
  for (std::string_view resolver : kResolvers)
    known = known || resolver == name;
  if (!known) {
    sink.error(node.location,
               "interpolation '" + expression + "' calls the resolver '" +
                   name +
                   "', which Strata does not know; it knows multiply, "
                   "divide_ceil and divide_floor (NeMo's); write the value");
    return Result{};
  }
  std::vector<std::string> args =
      splitArguments(std::string_view(call).substr(colon + 1));
  if (args.size() != 2) {
    sink.error(node.location, "interpolation '" + expression + "': " + name +
                                  " takes 2 arguments, got " +
                                  std::to_string(args.size()));
    return Result{};
  }
  Number values[2];
  for (size_t k = 0; k < 2; ++k) {
    const std::string &arg = args[k];
    const YamlNode *value = nullptr;
    std::unique_ptr<YamlNode> literal;
    if (arg.size() > 3 && arg.compare(0, 2, "${") == 0 && arg.back() == '}') {
      std::string inner = arg.substr(2, arg.size() - 3);
      Result target = isResolverCall(inner) ? callResolver(inner, node, depth)
                                            : Result{lookup(inner, node)};
      if (!isResolverCall(inner)) {
        if (!target.node) {
          sink.error(node.location, "interpolation '" + arg + "' in '" +
                                        expression +
                                        "' refers to a key that does not "
                                        "exist");
          return Result{};
        }
        target = resolveNode(*target.node, depth + 1);
      }
      if (!target.node)
        return Result{};
      value = target.node;
    } else {
      literal = std::make_unique<YamlNode>();
      literal->kind = YamlNode::Kind::Scalar;
      literal->text = arg;
      value = literal.get();
    }
    std::optional<Number> number = parseNumber(*value);
    if (!number) {
      sink.error(node.location,
                 "interpolation '" + expression + "': " + name +
                     " needs numbers, got " +
                     (literal ? "'" + arg + "'"
                              : describeNode(*value) + " from '" + arg + "'"));
      return Result{};
    }
    values[k] = *number;
  }
  const Number &x = values[0], &y = values[1];
  Number result;
  if (name == "multiply") {
    result.integer = x.integer && y.integer;
    if (result.integer && __builtin_mul_overflow(x.i, y.i, &result.i)) {
      sink.error(node.location, "interpolation '" + expression +
                                    "' overflows a 64-bit integer");
      return Result{};
    }
    result.f = x.real() * y.real();
  } else {
    if (y.real() == 0) {
      sink.error(node.location,
                 "interpolation '" + expression + "' divides by zero");
      return Result{};
    }
    double quotient = x.real() / y.real();
    if (x.integer && y.integer)
      result.i =
          name == "divide_ceil"
              ? x.i / y.i + ((x.i % y.i != 0) && ((x.i < 0) == (y.i < 0)))
              : x.i / y.i - ((x.i % y.i != 0) && ((x.i < 0) != (y.i < 0)));
    else
      result.i = static_cast<int64_t>(
          name == "divide_ceil" ? std::ceil(quotient) : std::floor(quotient));
  }
  auto number = std::make_unique<YamlNode>();
  number->kind = YamlNode::Kind::Scalar;
  number->location = node.location;
  number->path = node.path;
  number->parent = node.parent;
  number->text =
      result.integer ? std::to_string(result.i) : formatDouble(result.f);
  synthesized.push_back(std::move(number));
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
