//===- ShardingPropagation.cpp - splits through ops and regions -------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Partitioning/PartitionerImpl.h"

using namespace mlir;
using namespace mlir::strata;
using namespace mlir::strata::partitioning;

/// Copies split dimensions between two values that must agree (layer
/// operands and block arguments, yields and layer results).
bool ShardingPropagation::unify(Value a, Value b) {
  if (!isTensor(a) || !isTensor(b))
    return false;
  TensorSharding &x = splitOf(a), &y = splitOf(b);
  bool changedA = false, changedB = false;
  for (size_t d = 0; d < x.dims.size() && d < y.dims.size(); ++d) {
    if (x.dims[d].empty() && !y.dims[d].empty()) {
      x.dims[d] = y.dims[d];
      changedA = true;
    } else if (y.dims[d].empty() && !x.dims[d].empty()) {
      y.dims[d] = x.dims[d];
      changedB = true;
    }
  }
  if (changedA)
    noteChanged(a);
  if (changedB)
    noteChanged(b);
  return changedA || changedB;
}

bool ShardingPropagation::seed(Value value, const TensorSharding &sharding) {
  TensorSharding &current = splitOf(value);
  bool changed = false;
  for (size_t d = 0; d < current.dims.size() && d < sharding.dims.size(); ++d)
    if (current.dims[d].empty() && !sharding.dims[d].empty()) {
      current.dims[d] = sharding.dims[d];
      changed = true;
    }
  if (changed)
    noteChanged(value);
  return changed;
}

/// Copies the split of dimension |dim| between |value| and |cache| (the
/// heads of cached attention's query, the groups of a cache write).
bool ShardingPropagation::unifyWithCache(Value value, TensorSharding &cache,
                                         size_t dim) {
  TensorSharding &v = splitOf(value);
  if (v.dims.size() <= dim)
    return false;
  if (v.dims[dim].empty() && !cache.dims[dim].empty()) {
    v.dims[dim] = cache.dims[dim];
    noteChanged(value);
    return true;
  }
  if (cache.dims[dim].empty() && !v.dims[dim].empty()) {
    cache.dims[dim] = v.dims[dim];
    return true;
  }
  return false;
}

bool ShardingPropagation::propagateOp(Operation *op) {
  if (auto ref = dyn_cast<tfm::ParamRefOp>(op))
    return seed(ref.getResult(), parameterSharding(ref.getName()));
  if (auto accumulate = dyn_cast<tfm::AccumulateGradOp>(op))
    return seed(accumulate.getValue(), parameterSharding(accumulate.getName()));
  if (auto write = dyn_cast<tfm::CacheWriteOp>(op))
    return unifyWithCache(write.getValues(), cacheSplit(write.getCache()), 2);
  if (auto cached = dyn_cast<tfm::CachedAttentionOp>(op)) {
    bool changed =
        unifyWithCache(cached.getQuery(), cacheSplit(cached.getKeyCache()), 2);
    changed |= unifyWithCache(cached.getQuery(),
                              cacheSplit(cached.getValueCache()), 2);
    changed |= unify(cached.getResult(), cached.getQuery());
    return changed;
  }
  if (auto layer = dyn_cast<tfm::LayerOp>(op)) {
    Block &body = layer.getBody().front();
    bool changed = sequenceParallel && seedSequenceSplit(layer);
    for (auto [operand, argument] :
         llvm::zip(layer.getInputs(), body.getArguments()))
      changed |= unify(operand, argument);
    for (auto [result, yielded] :
         llvm::zip(layer.getResults(), body.getTerminator()->getOperands()))
      changed |= unify(result, yielded);
    return changed;
  }
  return false;
}

std::optional<ShardingPropagation::RuleOp>
ShardingPropagation::ruleOpOf(Operation *op) {
  if (isa<tfm::ParamRefOp, tfm::AccumulateGradOp, tfm::CacheWriteOp,
          tfm::CachedAttentionOp, tfm::LayerOp>(op))
    return std::nullopt;
  auto interface = dyn_cast<tfm::ShardingRuleOpInterface>(op);
  if (!interface)
    return std::nullopt;
  std::optional<ShardingRule> rule = interface.getShardingRule();
  if (!rule)
    return std::nullopt;
  RuleOp prepared{op, std::move(*rule), {}};
  for (Value v : op->getOperands())
    prepared.shapes.operands.push_back(shapeVector(v.getType()));
  for (Value v : op->getResults())
    prepared.shapes.results.push_back(shapeVector(v.getType()));
  return prepared;
}

bool ShardingPropagation::propagateRuleOp(const RuleOp &prepared) {
  Operation *op = prepared.op;
  // Splits only spread from split dimensions: an op whose values are all
  // whole has nothing to propagate (and most are, before splits reach
  // them), so skip copying their shardings.
  auto anySplit = [&](ValueRange values) {
    return llvm::any_of(values, [&](Value v) { return splitOf(v).isSplit(); });
  };
  if (!anySplit(op->getOperands()) && !anySplit(op->getResults()))
    return false;
  std::vector<TensorSharding> operands, results;
  operands.reserve(op->getNumOperands());
  results.reserve(op->getNumResults());
  for (Value v : op->getOperands())
    operands.push_back(splitOf(v));
  for (Value v : op->getResults())
    results.push_back(splitOf(v));
  if (!::strata::sharding::propagate(prepared.rule, prepared.shapes, axes,
                                     operands, results))
    return false;
  auto store = [&](Value v, TensorSharding &s) {
    TensorSharding &current = splitOf(v);
    if (current.dims == s.dims)
      return;
    current.dims = std::move(s.dims);
    noteChanged(v);
  };
  for (auto [v, s] : llvm::zip(op->getOperands(), operands))
    store(v, s);
  for (auto [v, s] : llvm::zip(op->getResults(), results))
    store(v, s);
  return true;
}

/// Sequence parallelism (Megatron-LM): the residual stream between the
/// tensor-parallel regions is split along the sequence (dimension 1) over
/// tp: a forward layer's input and output, a backward layer's incoming and
/// outgoing gradient. Propagation carries the split through norms,
/// dropout and residual adds; the weights' splits win at the matmuls,
/// where the sequence is gathered (and partial sums reduce-scattered).
bool ShardingPropagation::seedSequenceSplit(tfm::LayerOp layer) {
  Block &body = layer.getBody().front();
  auto seedValue = [&](Value value) {
    auto type = dyn_cast<RankedTensorType>(value.getType());
    if (!type || type.getRank() != 3)
      return false;
    TensorSharding split = TensorSharding::replicated(3);
    split.dims[1] = {"tp"};
    return seed(value, split);
  };
  bool changed = false;
  const unsigned in = layer.getBackward() ? layer.getNumOperands() - 1 : 0;
  if (in < layer.getNumOperands()) {
    changed |= seedValue(layer->getOperand(in));
    changed |= seedValue(body.getArgument(in));
  }
  if (layer->getNumResults() > 0) {
    changed |= seedValue(layer->getResult(0));
    changed |= seedValue(body.getTerminator()->getOperand(0));
  }
  return changed;
}

void ShardingPropagation::noteChanged(Value value) {
  if (trackingChanges)
    changedValues.push_back(value);
}

void ShardingPropagation::propagateFunction(func::FuncOp function) {
  // The IR does not change while propagating: each op's rule and shapes are
  // derived once, not once per sweep.
  std::vector<std::variant<Operation *, RuleOp>> ops;
  size_t count = 0;
  function.walk([&](Operation *) { ++count; });
  ops.reserve(count);
  // A rule op's propagation depends only on the splits of its operands and
  // results: after its first visit it runs again only when one of them
  // changed (it is "dirty"), which gives what full sweeps give at a
  // fraction of the visits. The other ops (layers, parameter reads,
  // caches) are few and read state beyond their values: every sweep visits
  // them.
  llvm::DenseMap<Operation *, uint32_t> ruleIndex;
  function.walk([&](Operation *op) {
    if (std::optional<RuleOp> prepared = ruleOpOf(op)) {
      ruleIndex[op] = uint32_t(ops.size());
      ops.push_back(std::move(*prepared));
    } else {
      ops.push_back(op);
    }
  });
  std::vector<char> dirty(ops.size(), 1);
  auto markTouching = [&]() {
    for (Value value : changedValues) {
      auto mark = [&](Operation *op) {
        if (auto it = ruleIndex.find(op); it != ruleIndex.end())
          dirty[it->second] = 1;
      };
      if (Operation *definer = value.getDefiningOp())
        mark(definer);
      for (Operation *user : value.getUsers())
        mark(user);
    }
    changedValues.clear();
  };
  auto visit = [&](size_t i) {
    if (const RuleOp *prepared = std::get_if<RuleOp>(&ops[i])) {
      if (!dirty[i])
        return false;
      dirty[i] = 0;
      bool changed = propagateRuleOp(*prepared);
      markTouching();
      return changed;
    }
    bool changed = propagateOp(std::get<Operation *>(ops[i]));
    markTouching();
    return changed;
  };
  trackingChanges = true;
  changedValues.clear();
  // Alternate forward and backward sweeps: splits enter at the parameters
  // (forward) and at gradient slots (backward).
  for (int sweep = 0; sweep < 64; ++sweep) {
    bool changed = false;
    if (sweep % 2 == 0)
      for (size_t i = 0; i < ops.size(); ++i)
        changed |= visit(i);
    else
      for (size_t i = ops.size(); i-- > 0;)
        changed |= visit(i);
    if (!changed && sweep > 0)
      break;
  }
  trackingChanges = false;
}
