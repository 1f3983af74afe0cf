//===- ShardingRule.cpp - factor-based sharding propagation ---------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "dialects/dist/Sharding/ShardingRule.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <set>
#include <sstream>

namespace strata::sharding {

bool TensorSharding::isSplit() const {
  return std::any_of(dims.begin(), dims.end(),
                     [](const AxisList &axes) { return !axes.empty(); });
}

static void printAxes(std::ostringstream &os, const AxisList &axes) {
  os << "[";
  for (size_t i = 0; i < axes.size(); ++i)
    os << (i ? ", " : "") << axes[i];
  os << "]";
}

std::string TensorSharding::str() const {
  std::ostringstream os;
  os << "[";
  for (size_t d = 0; d < dims.size(); ++d) {
    os << (d ? ", " : "");
    printAxes(os, dims[d]);
  }
  os << "]";
  if (!partial.empty()) {
    os << " partial ";
    printAxes(os, partial);
  }
  return os.str();
}

namespace {

/// The rule of one spec and ranks, parsed (ShardingRule::fromSpec).
std::optional<ShardingRule> parseSpec(const std::string &spec,
                                      const std::vector<size_t> &operandRanks,
                                      const std::vector<size_t> &resultRanks,
                                      const std::string &whole) {
  const size_t arrow = spec.find("->");
  if (arrow == std::string::npos)
    return std::nullopt;
  std::map<char, int> factorOf;
  ShardingRule rule;
  auto parseSide = [&](const std::string &side,
                       const std::vector<size_t> &ranks,
                       std::vector<std::vector<int>> &out) {
    std::vector<std::string> tensors(1);
    for (char c : side) {
      if (c == ',')
        tensors.emplace_back();
      else
        tensors.back().push_back(c);
    }
    if (side.empty())
      tensors.clear();
    if (tensors.size() != ranks.size())
      return false;
    for (size_t t = 0; t < tensors.size(); ++t) {
      if (tensors[t].size() != ranks[t])
        return false;
      std::vector<int> dims;
      for (char c : tensors[t]) {
        if (c == '_') {
          dims.push_back(-1);
          continue;
        }
        auto [it, inserted] =
            factorOf.emplace(c, static_cast<int>(rule.factors.size()));
        if (inserted)
          rule.factors.push_back(whole.find(c) == std::string::npos
                                     ? FactorKind::Parallel
                                     : FactorKind::Whole);
        dims.push_back(it->second);
      }
      out.push_back(std::move(dims));
    }
    return true;
  };
  if (!parseSide(spec.substr(0, arrow), operandRanks, rule.operands) ||
      !parseSide(spec.substr(arrow + 2), resultRanks, rule.results))
    return std::nullopt;
  rule.linearOperands.assign(operandRanks.size(), false);
  return rule;
}

} // namespace

std::optional<ShardingRule> ShardingRule::fromSpec(
    const std::string &spec, const std::vector<size_t> &operandRanks,
    const std::vector<size_t> &resultRanks, const std::string &whole) {
  // Partitioning asks for the same few specs for every op of every layer:
  // parse each (spec, ranks, whole) once per thread and copy the result.
  using Key = std::tuple<std::string, std::vector<size_t>, std::vector<size_t>,
                         std::string>;
  thread_local std::map<Key, std::optional<ShardingRule>> parsed;
  Key key{spec, operandRanks, resultRanks, whole};
  auto it = parsed.find(key);
  if (it == parsed.end())
    it = parsed
             .emplace(std::move(key),
                      parseSpec(spec, operandRanks, resultRanks, whole))
             .first;
  return it->second;
}

ShardingRule ShardingRule::elementwise(size_t numOperands, size_t numResults,
                                       size_t rank) {
  ShardingRule rule;
  rule.factors.assign(rank, FactorKind::Parallel);
  std::vector<int> dims(rank);
  for (size_t d = 0; d < rank; ++d)
    dims[d] = static_cast<int>(d);
  rule.operands.assign(numOperands, dims);
  rule.results.assign(numResults, dims);
  rule.linearOperands.assign(numOperands, false);
  return rule;
}

int64_t groupSize(const AxisSizes &axes, const AxisList &list) {
  int64_t size = 1;
  for (const std::string &axis : list) {
    auto it = axes.find(axis);
    size *= it == axes.end() ? 1 : it->second;
  }
  return size;
}

namespace {

/// Chooses the axes of every factor from the tensors' dimension splits, in
/// the order the tensors are listed.
class FactorAssignment {
public:
  FactorAssignment(const ShardingRule &rule, const OpShapes &shapes,
                   const AxisSizes &axes)
      : rule(rule), shapes(shapes), axes(axes),
        factorAxes(rule.factors.size()) {}

  void take(const std::vector<std::vector<int>> &factorsOf,
            const std::vector<TensorSharding> &tensors) {
    for (size_t t = 0; t < tensors.size() && t < factorsOf.size(); ++t)
      takeTensor(factorsOf[t], tensors[t]);
  }

  /// The rule's priority tensors first.
  void takePriority(const std::vector<TensorSharding> &operands,
                    const std::vector<TensorSharding> &results) {
    for (int ref : rule.priority) {
      if (ref >= 0 && size_t(ref) < operands.size() &&
          size_t(ref) < rule.operands.size())
        takeTensor(rule.operands[ref], operands[ref]);
      else if (ref < 0 && size_t(-ref - 1) < results.size() &&
               size_t(-ref - 1) < rule.results.size())
        takeTensor(rule.results[-ref - 1], results[-ref - 1]);
    }
  }

  /// Axes no factor may take (partial sums that pass through the op).
  void reserve(const std::set<std::string> &axes) {
    reserved.insert(axes.begin(), axes.end());
  }

  void takeTensor(const std::vector<int> &factorsOf,
                  const TensorSharding &tensor) {
    for (size_t d = 0; d < factorsOf.size() && d < tensor.dims.size(); ++d) {
      const int f = factorsOf[d];
      const AxisList &split = tensor.dims[d];
      if (f < 0 || split.empty() || !factorAxes[f].empty() ||
          rule.factors[f] == FactorKind::Whole || anyUsed(split) ||
          !divides(f, split))
        continue;
      if (std::any_of(split.begin(), split.end(), [&](const std::string &a) {
            return reserved.count(a) != 0;
          }))
        continue;
      factorAxes[f] = split;
      used.insert(split.begin(), split.end());
    }
  }

  const std::vector<AxisList> &result() const { return factorAxes; }
  bool isUsed(const std::string &axis) const { return used.count(axis) != 0; }

private:
  bool anyUsed(const AxisList &list) const {
    return std::any_of(list.begin(), list.end(),
                       [&](const std::string &a) { return used.count(a); });
  }
  /// Every dimension mapped to |factor| divides evenly over |split|.
  bool divides(int factor, const AxisList &split) const {
    const int64_t size = groupSize(axes, split);
    auto check = [&](const std::vector<std::vector<int>> &factorsOf,
                     const std::vector<std::vector<int64_t>> &shapesOf) {
      for (size_t t = 0; t < factorsOf.size() && t < shapesOf.size(); ++t)
        for (size_t d = 0; d < factorsOf[t].size(); ++d)
          if (factorsOf[t][d] == factor && d < shapesOf[t].size() &&
              shapesOf[t][d] >= 0 && shapesOf[t][d] % size != 0)
            return false;
      return true;
    };
    return check(rule.operands, shapes.operands) &&
           check(rule.results, shapes.results);
  }

  const ShardingRule &rule;
  const OpShapes &shapes;
  const AxisSizes &axes;
  std::vector<AxisList> factorAxes;
  std::set<std::string> used;
  std::set<std::string> reserved;
};

bool contains(const AxisList &list, const std::string &axis) {
  return std::find(list.begin(), list.end(), axis) != list.end();
}

void addSorted(AxisList &list, const std::string &axis) {
  if (!contains(list, axis)) {
    list.push_back(axis);
    std::sort(list.begin(), list.end());
  }
}

/// Writes the factors' axes into every unsplit dimension of |tensors|.
bool spread(const std::vector<std::vector<int>> &factorsOf,
            const std::vector<AxisList> &factorAxes,
            std::vector<TensorSharding> &tensors) {
  bool changed = false;
  for (size_t t = 0; t < tensors.size() && t < factorsOf.size(); ++t) {
    TensorSharding &tensor = tensors[t];
    for (size_t d = 0; d < factorsOf[t].size() && d < tensor.dims.size(); ++d) {
      const int f = factorsOf[t][d];
      if (f < 0 || factorAxes[f].empty() || !tensor.dims[d].empty())
        continue;
      const bool clash = std::any_of(
          tensor.dims.begin(), tensor.dims.end(), [&](const AxisList &other) {
            return std::any_of(
                factorAxes[f].begin(), factorAxes[f].end(),
                [&](const std::string &a) { return contains(other, a); });
          });
      if (clash)
        continue;
      tensor.dims[d] = factorAxes[f];
      changed = true;
    }
  }
  return changed;
}

/// The partial axes that may pass through the op by its linearity and are
/// not split by any operand or already taken.
std::set<std::string>
passablePartials(const ShardingRule &rule,
                 const std::vector<TensorSharding> &operands,
                 const FactorAssignment &assignment) {
  std::set<std::string> passable;
  std::set<std::string> splitByOperands;
  for (const TensorSharding &operand : operands)
    for (const AxisList &dim : operand.dims)
      splitByOperands.insert(dim.begin(), dim.end());
  std::set<std::string> candidates;
  for (const TensorSharding &operand : operands)
    candidates.insert(operand.partial.begin(), operand.partial.end());
  for (const std::string &axis : candidates) {
    if (splitByOperands.count(axis) || assignment.isUsed(axis))
      continue;
    bool passes = false;
    if (rule.linearity == Linearity::Joint)
      passes = std::all_of(
          operands.begin(), operands.end(),
          [&](const TensorSharding &o) { return contains(o.partial, axis); });
    else if (rule.linearity == Linearity::EachListed)
      for (size_t i = 0; i < operands.size(); ++i)
        passes |= i < rule.linearOperands.size() && rule.linearOperands[i] &&
                  contains(operands[i].partial, axis);
    if (passes)
      passable.insert(axis);
  }
  return passable;
}

} // namespace

bool propagate(const ShardingRule &rule, const OpShapes &shapes,
               const AxisSizes &axes, std::vector<TensorSharding> &operands,
               std::vector<TensorSharding> &results) {
  FactorAssignment assignment(rule, shapes, axes);
  assignment.takePriority(operands, results);
  assignment.take(rule.operands, operands);
  assignment.take(rule.results, results);
  bool changed = spread(rule.operands, assignment.result(), operands);
  changed |= spread(rule.results, assignment.result(), results);
  return changed;
}

Resolution resolve(const ShardingRule &rule, const OpShapes &shapes,
                   const AxisSizes &axes,
                   const std::vector<TensorSharding> &operands,
                   const std::vector<TensorSharding> &results) {
  FactorAssignment assignment(rule, shapes, axes);
  assignment.takePriority(operands, results);
  // A partial sum the op is linear in stays pending rather than being
  // reduced here to honour a split the results merely propagated: summing
  // partials first and reducing once later is cheaper (the three input
  // gradients of q, k and v: one reduce-scatter, not three).
  assignment.reserve(passablePartials(rule, operands, assignment));
  assignment.take(rule.results, results);
  assignment.take(rule.operands, operands);
  Resolution resolution;
  resolution.factorAxes = assignment.result();

  auto layout = [&](const std::vector<int> &factorsOf) {
    TensorSharding sharding = TensorSharding::replicated(factorsOf.size());
    for (size_t d = 0; d < factorsOf.size(); ++d)
      if (factorsOf[d] >= 0)
        sharding.dims[d] = resolution.factorAxes[factorsOf[d]];
    return sharding;
  };
  for (const std::vector<int> &factorsOf : rule.operands)
    resolution.operands.push_back(layout(factorsOf));

  // Partial sums that may pass through the op unreduced.
  AxisList passed;
  std::set<std::string> partialAnywhere;
  for (const TensorSharding &operand : operands)
    partialAnywhere.insert(operand.partial.begin(), operand.partial.end());
  for (const std::string &axis : partialAnywhere) {
    if (assignment.isUsed(axis))
      continue;
    if (rule.linearity == Linearity::Joint) {
      const bool everywhere = std::all_of(
          operands.begin(), operands.end(),
          [&](const TensorSharding &o) { return contains(o.partial, axis); });
      if (!everywhere)
        continue;
      for (TensorSharding &required : resolution.operands)
        addSorted(required.partial, axis);
      addSorted(passed, axis);
    } else if (rule.linearity == Linearity::EachListed) {
      for (size_t i = 0; i < operands.size(); ++i) {
        if (i < rule.linearOperands.size() && rule.linearOperands[i] &&
            contains(operands[i].partial, axis)) {
          addSorted(resolution.operands[i].partial, axis);
          addSorted(passed, axis);
          break;
        }
      }
    }
  }

  for (const std::vector<int> &factorsOf : rule.results) {
    TensorSharding sharding = layout(factorsOf);
    sharding.partial = passed;
    for (size_t f = 0; f < rule.factors.size(); ++f) {
      const bool present = std::find(factorsOf.begin(), factorsOf.end(),
                                     static_cast<int>(f)) != factorsOf.end();
      if (!present)
        for (const std::string &axis : resolution.factorAxes[f])
          addSorted(sharding.partial, axis);
    }
    resolution.results.push_back(std::move(sharding));
  }
  return resolution;
}

} // namespace strata::sharding
