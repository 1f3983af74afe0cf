//===- ShardingRule.h - how an op's dimensions may be split -----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Plain C++ (no MLIR) so the propagation and partitioning decisions are unit
// tested on their own; the tfm ops describe themselves with a ShardingRule
// (ShardingRuleOpInterface) and the partitioning pass is a thin wrapper.
//
// The model is the factor view of Shardy / einsum: every dimension of every
// operand and result is mapped to a *factor* (a loop of the computation). A
// factor split over mesh axes splits every dimension mapped to it, and each
// rank computes its block. A split factor that a result lacks (a contracted
// dimension such as matmul's K, or the token dimensions of embedding_grad)
// leaves that result a pending *partial sum* over those axes. A factor of
// kind Whole (a normalized dimension, the keys of attention) is never split:
// an operand split along it is gathered first.
//
// Example, matmul x[b,t,k] . w[n,k] -> y[b,t,n], written "btk,nk->btn":
// with w split on n (column parallel) y is split on n; with x and w split on
// k (row parallel) y is a partial sum that an all-reduce completes.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_DIALECTS_DIST_SHARDING_SHARDINGRULE_H
#define STRATA_DIALECTS_DIST_SHARDING_SHARDINGRULE_H

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace strata::sharding {

using AxisList = std::vector<std::string>;

/// The distribution of one tensor: the mesh axes each dimension is split
/// over (outermost first, empty = whole) and the axes over which the value is
/// a pending partial sum.
struct TensorSharding {
  std::vector<AxisList> dims;
  AxisList partial;

  static TensorSharding replicated(size_t rank) {
    return TensorSharding{std::vector<AxisList>(rank), {}};
  }
  bool isSplit() const;
  bool operator==(const TensorSharding &other) const {
    return dims == other.dims && partial == other.partial;
  }
  bool operator!=(const TensorSharding &other) const {
    return !(*this == other);
  }
  /// "[[], [tp]] partial [tp]" for messages and tests.
  std::string str() const;
};

enum class FactorKind {
  /// Splitting it splits the computation; results lacking it become partial.
  Parallel,
  /// Every rank needs all of it (normalized, softmax or rotated dimensions).
  Whole,
};

/// Which operands a partial sum may pass through unreduced.
enum class Linearity {
  /// None: every partial operand is reduced first (nonlinear ops, biases).
  None,
  /// The op is linear in each listed operand separately (matmul: a partial x
  /// times a whole w is a partial y). At most one operand may stay partial
  /// over a given axis.
  EachListed,
  /// The op is linear in all operands jointly (add): partial + partial is
  /// partial; a partial added to a whole value is reduced first.
  Joint,
};

struct ShardingRule {
  std::vector<FactorKind> factors;
  /// Per operand, per dimension: the factor index, or -1 for a dimension
  /// that belongs to no factor (never split).
  std::vector<std::vector<int>> operands;
  std::vector<std::vector<int>> results;
  Linearity linearity = Linearity::None;
  /// For Linearity::EachListed: the operands the op is linear in.
  std::vector<bool> linearOperands;
  /// Tensors whose splits win when two tensors want one mesh axis for
  /// different factors, considered first in this order: operand i as i,
  /// result j as -(j + 1). Parameters and their gradients go here, so that
  /// Megatron's weight layout prevails over an activation's sequence split
  /// (which is then gathered).
  std::vector<int> priority;

  /// Builds a rule from an einsum-like spec, "btk,nk->btn": one letter per
  /// dimension and tensor, the same letter for the same factor, '_' for a
  /// dimension of no factor. Letters in |whole| are Whole factors. Returns
  /// nullopt when the spec is malformed or its ranks differ from |operandRanks|
  /// and |resultRanks| (a bug in the op's rule, reported by the caller).
  static std::optional<ShardingRule>
  fromSpec(const std::string &spec, const std::vector<size_t> &operandRanks,
           const std::vector<size_t> &resultRanks,
           const std::string &whole = "");
  /// Every operand and result dimension d of the same rank maps to factor d
  /// (elementwise ops with identical shapes).
  static ShardingRule elementwise(size_t numOperands, size_t numResults,
                                  size_t rank);
};

/// Mesh axis sizes by name.
using AxisSizes = std::map<std::string, int64_t>;

/// Shapes of an op's tensors, for divisibility checks.
struct OpShapes {
  std::vector<std::vector<int64_t>> operands;
  std::vector<std::vector<int64_t>> results;
};

/// One step of sharding propagation over one op. |operands| and |results|
/// hold the dimension splits known so far (partial states are ignored here;
/// they are decided by resolve()). Each factor takes the axes of the first
/// tensor dimension mapped to it that is split (operands first, then
/// results), unless the factor is Whole, the axes are already taken by
/// another factor, or a dimension of that factor does not divide. Then every
/// unsplit dimension of that factor takes the factor's axes. Returns true if
/// any dimension changed.
bool propagate(const ShardingRule &rule, const OpShapes &shapes,
               const AxisSizes &axes, std::vector<TensorSharding> &operands,
               std::vector<TensorSharding> &results);

/// What an op needs and yields once its factors' splits are decided.
struct Resolution {
  /// The sharding each operand must have when the op runs; a caller inserts
  /// collectives where an operand's current sharding differs.
  std::vector<TensorSharding> operands;
  /// The sharding of each result (including partial sums).
  std::vector<TensorSharding> results;
  /// Axes per factor.
  std::vector<AxisList> factorAxes;
};

/// Decides how an op runs given the current shardings of its operands (with
/// their partial states) and the dimension splits propagation chose for its
/// results. Factors take their axes from the results first (propagation
/// already reconciled them), then from the operands. Partial operands stay
/// partial only where the rule's linearity allows; otherwise the required
/// sharding drops the partial axis (the caller all-reduces).
Resolution resolve(const ShardingRule &rule, const OpShapes &shapes,
                   const AxisSizes &axes,
                   const std::vector<TensorSharding> &operands,
                   const std::vector<TensorSharding> &results);

/// The product of the sizes of |list| (1 when empty).
int64_t groupSize(const AxisSizes &axes, const AxisList &list);

} // namespace strata::sharding

#endif // STRATA_DIALECTS_DIST_SHARDING_SHARDINGRULE_H
