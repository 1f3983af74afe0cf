//===- PartitionerImpl.h - the partitioner's state and steps ----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Internal to compiler/Partitioning (Partitioner.h is the interface). The
// partitioner of one module is a chain of classes, one responsibility each,
// that share one state:
//   PartitionState       the mesh, the parameters' and KV caches' splits, and
//                        per function the propagated splits and the actual
//                        sharding and global type of every value
//                        (PartitionState.cpp)
//   ShardingPropagation  dimension splits through ops, regions and caches
//                        until nothing changes (ShardingPropagation.cpp)
//   Resharding           collectives that bring a value to the sharding an
//                        op needs (Resharding.cpp)
//   SplitForms           ops whose split form differs from the global op:
//                        vocabulary-parallel cross-entropy, the gradient norm
//                        (SplitForms.cpp)
//   ModulePartitioner    the walk over the module (Partitioner.cpp), the
//                        data-parallel gradient reduction and the
//                        distributed optimizer (DistributedOptimizer.cpp)
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_PARTITIONING_PARTITIONERIMPL_H
#define STRATA_COMPILER_PARTITIONING_PARTITIONERIMPL_H

#include "compiler/Partitioning/Partitioner.h"
#include "dialects/dist/IR/DistOps.h"
#include "dialects/dist/Sharding/ShardingRule.h"
#include "dialects/tfm/IR/TfmOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <variant>

namespace mlir::strata::partitioning {

using ::strata::sharding::AxisList;
using ::strata::sharding::AxisSizes;
using ::strata::sharding::OpShapes;
using ::strata::sharding::Resolution;
using ::strata::sharding::ShardingRule;
using ::strata::sharding::TensorSharding;

inline constexpr llvm::StringLiteral kMeshName = "mesh";
inline constexpr llvm::StringLiteral kShardingAttr = "dist.sharding";

inline bool isTensor(Value value) {
  return isa<RankedTensorType>(value.getType());
}

inline std::vector<int64_t> shapeVector(Type type) {
  auto tensor = cast<RankedTensorType>(type);
  return {tensor.getShape().begin(), tensor.getShape().end()};
}

class PartitionState {
public:
  PartitionState(ModuleOp module, const MeshShape &mesh);

  dist::ShardingAttr toAttr(const TensorSharding &sharding);

  ArrayAttr strArray(const AxisList &list);

  RankedTensorType localType(RankedTensorType global,
                             const TensorSharding &sharding);

  FlatSymbolRefAttr meshRef();

  const TensorSharding &parameterSharding(StringRef name);

  TensorSharding &cacheSplit(StringRef name);

  TensorSharding &splitOf(Value value);

  TensorSharding actualOf(Value value);

  RankedTensorType globalTypeOf(Value value);

  void setSharding(Value value, RankedTensorType global,
                   const TensorSharding &sharding);

  ModuleOp module;
  OpBuilder builder;
  AxisSizes axes;
  MeshShape mesh;
  /// Megatron's layout of every parameter (by symbol).
  std::map<std::string, TensorSharding, std::less<>> parameterShardings;
  /// Per function: the dimension splits propagation chose for each value.
  llvm::DenseMap<Value, TensorSharding> splits;
  /// Per function, once partitioned: each value's sharding (with partial
  /// sums) and its global type.
  llvm::DenseMap<Value, TensorSharding> actual;
  llvm::DenseMap<Value, RankedTensorType> globalTypes;
  /// One conversion per (value, block, target sharding).
  std::map<std::tuple<void *, void *, std::string>, Value> converted;
  /// The forward's log-sum-exp of vocabulary-split logits, for the backward.
  llvm::DenseMap<Value, Value> lseOfLogits;
  /// The split of each KV cache (by symbol), shared by every function.
  std::map<std::string, TensorSharding, std::less<>> cacheSplits;
  /// The distributed optimizer (tfm.config use_distributed_optimizer, a
  /// training module, dp > 1): the parameters whose AdamW state is split
  /// over dp (dist.optimizer_shard_axis).
  std::set<std::string, std::less<>> optimizerShards;
  bool unevenSplit = false;
  bool sequenceParallel = false;
  bool distributedOptimizer = false;
};

/// Dimension splits, before any op is rewritten.
class ShardingPropagation : public PartitionState {
public:
  using PartitionState::PartitionState;

  /// Copies split dimensions between two values that must agree (layer
  /// operands and block arguments, yields and layer results).
  bool unify(Value a, Value b);

  bool seed(Value value, const TensorSharding &sharding);

  /// Copies the split of dimension |dim| between |value| and |cache| (the
  /// heads of cached attention's query, the groups of a cache write).
  bool unifyWithCache(Value value, TensorSharding &cache, size_t dim);

  /// Propagates through |op|, one of the ops with their own rule here
  /// (parameter reads, gradient accumulation, caches, layers).
  bool propagateOp(Operation *op);

  /// An op that propagates by its ShardingRuleOpInterface rule, with the
  /// rule and its operand and result shapes derived once.
  struct RuleOp {
    Operation *op;
    ::strata::sharding::ShardingRule rule;
    ::strata::sharding::OpShapes shapes;
  };
  /// |op| prepared, or none when it is one of propagateOp's or has no rule.
  std::optional<RuleOp> ruleOpOf(Operation *op);
  bool propagateRuleOp(const RuleOp &prepared);

  /// Sequence parallelism (Megatron-LM): the residual stream between the
  /// tensor-parallel regions is split along the sequence (dimension 1) over
  /// tp: a forward layer's input and output, a backward layer's incoming and
  /// outgoing gradient. Propagation carries the split through norms,
  /// dropout and residual adds; the weights' splits win at the matmuls,
  /// where the sequence is gathered (and partial sums reduce-scattered).
  bool seedSequenceSplit(tfm::LayerOp layer);

  void propagateFunction(func::FuncOp function);

private:
  /// Records |value|'s split changed, while propagateFunction tracks them.
  void noteChanged(Value value);
  bool trackingChanges = false;
  std::vector<Value> changedValues;
};

/// Collectives inserted before an op so that its operands have the
/// shardings it needs.
class Resharding : public ShardingPropagation {
public:
  using ShardingPropagation::ShardingPropagation;

  /// |value| with sharding |target|, through collectives inserted before
  /// |user|: partial sums reduced (reduce-scatter where the consumer splits
  /// a dimension over the same axis, else all-reduce), split dimensions the
  /// consumer needs whole gathered, whole dimensions it needs split sliced.
  FailureOr<Value> reshard(Value value, const TensorSharding &target,
                           Operation *user);

  LogicalResult reshardOperand(Operation *op, unsigned index,
                               const TensorSharding &target);

  /// Every tensor operand whole and complete; tensor results replicated.
  LogicalResult partitionReplicated(Operation *op);
};

/// The ops whose split form is not the global op on local shapes.
class SplitForms : public Resharding {
public:
  using Resharding::Resharding;

  /// The vocabulary axis of split logits, if the vocabulary is split.
  std::optional<AxisList> vocabularySplit(Value logits);

  /// Logits split only along the vocabulary and complete; labels whole.
  LogicalResult prepareVocabularyParallel(Operation *op, Value logits,
                                          unsigned labelsIndex,
                                          const AxisList &vocabAxes);

  /// stats -> all_gather -> loss, lse at the builder's insertion point.
  std::pair<Value, Value> buildVocabParallelLoss(Location loc, Value logits,
                                                 Value labels,
                                                 tfm::Reduction reduction,
                                                 Type lossType,
                                                 const AxisList &vocabAxes,
                                                 IntegerAttr validVocab);

  LogicalResult partitionCrossEntropy(tfm::CrossEntropyOp op,
                                      const AxisList &vocabAxes);

  LogicalResult partitionCrossEntropyGrad(tfm::CrossEntropyGradOp op,
                                          const AxisList &vocabAxes);

  /// grad_norm over split and whole parameters: the split ones' sum of
  /// squares is a partial sum over their axes.
  LogicalResult partitionGradNorm(tfm::GradNormOp op);
};

/// Partitions the functions of one module over one mesh.
class ModulePartitioner : public SplitForms {
public:
  using SplitForms::SplitForms;

  LogicalResult run();

  /// Under tensor parallelism each rank caches the keys and values of its
  /// own heads' groups: the split propagation gave the cache writes.
  void splitKVCaches();

  /// Data parallelism: a function that sums every gradient slot across the
  /// dp ranks, which the runtime calls once per step after the last
  /// micro-batch (each micro-batch's loss scaled by 1 / (micro-batches x
  /// dp), so the sum is the global batch's mean gradient). Under the
  /// distributed optimizer the sharded parameters' slots are
  /// reduce-scattered instead (DistributedOptimizer.cpp).
  void addGradientReduction();

  /// The distributed optimizer (ZeRO stage 1), before the functions are
  /// partitioned: every trainable parameter whose local element count
  /// divides by dp keeps the AdamW moments of one 1-D block of it
  /// (DistributedOptimizer.cpp).
  void shardOptimizerState();

  /// After partitioning: optimizer_step updates the sharded parameters'
  /// blocks (tfm.adamw ... shard "dp") and then all-gathers them over dp
  /// (tfm.gather_params).
  void finishShardedOptimizerStep();

  void declareMesh();

  LogicalResult splitParameters();

  LogicalResult partitionByRule(Operation *op, const ShardingRule &rule);

  /// Ops whose local computation depends on the rank's block: the embedding
  /// offsets its ids by the vocabulary block, attention draws its dropout
  /// mask by global head.
  void markShardedPositions(Operation *op, const Resolution &resolution);

  LogicalResult partitionOp(Operation *op);

  LogicalResult partitionLayer(tfm::LayerOp layer);

  LogicalResult partitionBlock(Block &block);

  LogicalResult partitionFunction(func::FuncOp function);
};

} // namespace mlir::strata::partitioning

#endif // STRATA_COMPILER_PARTITIONING_PARTITIONERIMPL_H
