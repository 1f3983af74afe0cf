//===- Partitioner.cpp - one program per rank from the global one ---------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Partitioning/Partitioner.h"

#include "compiler/Partitioning/MegatronLayout.h"
#include "dialects/dist/IR/DistOps.h"
#include "dialects/dist/Sharding/ShardingRule.h"
#include "dialects/tfm/IR/TfmOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"

#include <map>
#include <set>

using namespace mlir;
using namespace mlir::strata;
using ::strata::sharding::AxisList;
using ::strata::sharding::AxisSizes;
using ::strata::sharding::OpShapes;
using ::strata::sharding::Resolution;
using ::strata::sharding::ShardingRule;
using ::strata::sharding::TensorSharding;

namespace {

constexpr llvm::StringLiteral kMeshName = "mesh";
constexpr llvm::StringLiteral kShardingAttr = "dist.sharding";

int64_t configInt(DictionaryAttr config, StringRef key) {
  if (!config)
    return 1;
  if (auto value = config.getAs<IntegerAttr>(key))
    return value.getInt();
  return 1;
}

bool isTensor(Value value) { return isa<RankedTensorType>(value.getType()); }

std::vector<int64_t> shapeVector(Type type) {
  auto tensor = cast<RankedTensorType>(type);
  return {tensor.getShape().begin(), tensor.getShape().end()};
}

/// Partitions the functions of one module over one mesh.
class ModulePartitioner {
public:
  ModulePartitioner(ModuleOp module, const MeshShape &mesh)
      : module(module), builder(module.getContext()),
        axes{{"dp", mesh.dp}, {"pp", mesh.pp}, {"tp", mesh.tp}},
        mesh(mesh) {
    if (auto config = module->getAttrOfType<DictionaryAttr>("tfm.config"))
      if (auto sp = config.getAs<BoolAttr>("sequence_parallel"))
        sequenceParallel = sp.getValue() && mesh.tp > 1;
  }

  LogicalResult run() {
    if (mesh.pp != 1)
      return module.emitError()
             << "pipeline parallelism is not implemented yet: "
                "pipeline_model_parallel_size is "
             << mesh.pp
             << "; use tensor_model_parallel_size and data parallelism "
                "(trainer.devices) instead";
    declareMesh();
    if (failed(splitParameters()))
      return failure();
    // KV caches are shared by the functions (prefill, decode): their splits
    // come from propagating every function first.
    for (auto function : module.getOps<func::FuncOp>()) {
      splits.clear();
      propagateFunction(function);
    }
    splitKVCaches();
    for (auto function : module.getOps<func::FuncOp>())
      if (failed(partitionFunction(function)))
        return failure();
    addGradientReduction();
    return success();
  }

  /// Under tensor parallelism each rank caches the keys and values of its
  /// own heads' groups: the split propagation gave the cache writes.
  void splitKVCaches() {
    for (auto cache : module.getOps<tfm::KVCacheOp>()) {
      auto it = cacheSplits.find(cache.getSymName());
      if (it == cacheSplits.end() || !it->second.isSplit())
        continue;
      cache->setAttr(kShardingAttr, toAttr(it->second));
      cache->setAttr("dist.local_type",
                     TypeAttr::get(localType(cache.getTensorType(), it->second)));
    }
  }

  TensorSharding &cacheSplit(StringRef name) {
    auto it = cacheSplits.find(name);
    if (it == cacheSplits.end())
      it = cacheSplits.emplace(name.str(), TensorSharding::replicated(4)).first;
    return it->second;
  }

  /// Copies the split of dimension |dim| between |value| and |cache| (the
  /// heads of cached attention's query, the groups of a cache write).
  bool unifyWithCache(Value value, TensorSharding &cache, size_t dim) {
    TensorSharding &v = splitOf(value);
    if (v.dims.size() <= dim)
      return false;
    if (v.dims[dim].empty() && !cache.dims[dim].empty()) {
      v.dims[dim] = cache.dims[dim];
      return true;
    }
    if (cache.dims[dim].empty() && !v.dims[dim].empty()) {
      cache.dims[dim] = v.dims[dim];
      return true;
    }
    return false;
  }

  /// Data parallelism: a function that sums every gradient slot across the
  /// dp ranks, which the runtime calls once per step after the last
  /// micro-batch (each micro-batch's loss scaled by 1 / (micro-batches x
  /// dp), so the sum is the global batch's mean gradient).
  void addGradientReduction() {
    if (mesh.dp == 1 || !module.lookupSymbol("forward_backward"))
      return;
    SmallVector<Attribute> trainable;
    for (auto parameter : module.getOps<tfm::ParameterOp>())
      if (parameter.getTrainable())
        trainable.push_back(FlatSymbolRefAttr::get(parameter.getSymNameAttr()));
    builder.setInsertionPointToEnd(module.getBody());
    auto function = func::FuncOp::create(builder, module.getLoc(),
                                         "reduce_gradients",
                                         builder.getFunctionType({}, {}));
    Block *entry = function.addEntryBlock();
    builder.setInsertionPointToStart(entry);
    tfm::ReduceGradsOp::create(builder, module.getLoc(),
                               builder.getArrayAttr(trainable), meshRef(),
                               builder.getStrArrayAttr({"dp"}));
    func::ReturnOp::create(builder, module.getLoc());
  }

private:
  //===--------------------------------------------------------------------===//
  // Mesh and parameters
  //===--------------------------------------------------------------------===//

  void declareMesh() {
    builder.setInsertionPointToStart(module.getBody());
    dist::MeshOp::create(builder, module.getLoc(), kMeshName,
                         builder.getStrArrayAttr({"dp", "pp", "tp"}),
                         builder.getDenseI64ArrayAttr(
                             {mesh.dp, mesh.pp, mesh.tp}));
  }

  LogicalResult splitParameters() {
    for (auto parameter : module.getOps<tfm::ParameterOp>()) {
      RankedTensorType type = parameter.getTensorType();
      TensorSharding sharding = TensorSharding::replicated(type.getRank());
      std::optional<unsigned> dim =
          ::strata::partitioning::megatronSplitDim(parameter.getSymName());
      if (dim && *dim < type.getRank() && mesh.tp > 1) {
        if (type.getDimSize(*dim) % mesh.tp != 0)
          return parameter.emitError()
                 << "cannot split parameter @" << parameter.getSymName()
                 << " of shape " << type << " along dimension " << *dim
                 << " over tensor_model_parallel_size = " << mesh.tp
                 << ": " << type.getDimSize(*dim) << " is not divisible by "
                 << mesh.tp;
        sharding.dims[*dim] = {"tp"};
      }
      parameterShardings[parameter.getSymName().str()] = sharding;
      parameter->setAttr(kShardingAttr, toAttr(sharding));
      parameter->setAttr(tfm::ParameterOp::getLocalTypeAttrName(),
                         TypeAttr::get(localType(type, sharding)));
    }
    return success();
  }

  const TensorSharding &parameterSharding(StringRef name) {
    return parameterShardings.find(name)->second;
  }

  //===--------------------------------------------------------------------===//
  // Shardings as attributes and types
  //===--------------------------------------------------------------------===//

  dist::ShardingAttr toAttr(const TensorSharding &sharding) {
    SmallVector<Attribute> dims;
    for (const AxisList &list : sharding.dims)
      dims.push_back(strArray(list));
    return dist::ShardingAttr::get(
        builder.getContext(), FlatSymbolRefAttr::get(builder.getContext(),
                                                     kMeshName),
        builder.getArrayAttr(dims), strArray(sharding.partial));
  }

  ArrayAttr strArray(const AxisList &list) {
    SmallVector<StringRef> refs(list.begin(), list.end());
    return builder.getStrArrayAttr(refs);
  }

  RankedTensorType localType(RankedTensorType global,
                             const TensorSharding &sharding) {
    SmallVector<int64_t> shape(global.getShape());
    for (size_t d = 0; d < sharding.dims.size() && d < shape.size(); ++d)
      shape[d] /= ::strata::sharding::groupSize(axes, sharding.dims[d]);
    return RankedTensorType::get(shape, global.getElementType());
  }

  //===--------------------------------------------------------------------===//
  // Propagation
  //===--------------------------------------------------------------------===//

  TensorSharding &splitOf(Value value) {
    auto it = splits.find(value);
    if (it == splits.end())
      it = splits
               .try_emplace(value, TensorSharding::replicated(
                                       cast<RankedTensorType>(value.getType())
                                           .getRank()))
               .first;
    return it->second;
  }

  /// Copies split dimensions between two values that must agree (layer
  /// operands and block arguments, yields and layer results).
  bool unify(Value a, Value b) {
    if (!isTensor(a) || !isTensor(b))
      return false;
    TensorSharding &x = splitOf(a), &y = splitOf(b);
    bool changed = false;
    for (size_t d = 0; d < x.dims.size() && d < y.dims.size(); ++d) {
      if (x.dims[d].empty() && !y.dims[d].empty()) {
        x.dims[d] = y.dims[d];
        changed = true;
      } else if (y.dims[d].empty() && !x.dims[d].empty()) {
        y.dims[d] = x.dims[d];
        changed = true;
      }
    }
    return changed;
  }

  bool seed(Value value, const TensorSharding &sharding) {
    TensorSharding &current = splitOf(value);
    bool changed = false;
    for (size_t d = 0; d < current.dims.size() && d < sharding.dims.size();
         ++d)
      if (current.dims[d].empty() && !sharding.dims[d].empty()) {
        current.dims[d] = sharding.dims[d];
        changed = true;
      }
    return changed;
  }

  bool propagateOp(Operation *op) {
    if (auto ref = dyn_cast<tfm::ParamRefOp>(op))
      return seed(ref.getResult(), parameterSharding(ref.getName()));
    if (auto accumulate = dyn_cast<tfm::AccumulateGradOp>(op))
      return seed(accumulate.getValue(),
                  parameterSharding(accumulate.getName()));
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
    auto interface = dyn_cast<tfm::ShardingRuleOpInterface>(op);
    if (!interface)
      return false;
    std::optional<ShardingRule> rule = interface.getShardingRule();
    if (!rule)
      return false;
    std::vector<TensorSharding> operands, results;
    OpShapes shapes;
    for (Value v : op->getOperands()) {
      operands.push_back(splitOf(v));
      shapes.operands.push_back(shapeVector(v.getType()));
    }
    for (Value v : op->getResults()) {
      results.push_back(splitOf(v));
      shapes.results.push_back(shapeVector(v.getType()));
    }
    if (!::strata::sharding::propagate(*rule, shapes, axes, operands, results))
      return false;
    for (auto [v, s] : llvm::zip(op->getOperands(), operands))
      splitOf(v).dims = s.dims;
    for (auto [v, s] : llvm::zip(op->getResults(), results))
      splitOf(v).dims = s.dims;
    return true;
  }

  /// Sequence parallelism (Megatron-LM): the residual stream between the
  /// tensor-parallel regions is split along the sequence (dimension 1) over
  /// tp: a forward layer's input and output, a backward layer's incoming and
  /// outgoing gradient. Propagation carries the split through norms,
  /// dropout and residual adds; the weights' splits win at the matmuls,
  /// where the sequence is gathered (and partial sums reduce-scattered).
  bool seedSequenceSplit(tfm::LayerOp layer) {
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

  void propagateFunction(func::FuncOp function) {
    SmallVector<Operation *> ops;
    function.walk([&](Operation *op) { ops.push_back(op); });
    // Alternate forward and backward sweeps: splits enter at the parameters
    // (forward) and at gradient slots (backward).
    for (int sweep = 0; sweep < 64; ++sweep) {
      bool changed = false;
      if (sweep % 2 == 0)
        for (Operation *op : ops)
          changed |= propagateOp(op);
      else
        for (Operation *op : llvm::reverse(ops))
          changed |= propagateOp(op);
      if (!changed && sweep > 0)
        break;
    }
  }

  //===--------------------------------------------------------------------===//
  // Partitioning: collectives and local types
  //===--------------------------------------------------------------------===//

  TensorSharding actualOf(Value value) {
    auto it = actual.find(value);
    if (it != actual.end())
      return it->second;
    return TensorSharding::replicated(
        cast<RankedTensorType>(value.getType()).getRank());
  }

  RankedTensorType globalTypeOf(Value value) {
    auto it = globalTypes.find(value);
    return it != globalTypes.end() ? it->second
                                   : cast<RankedTensorType>(value.getType());
  }

  void setSharding(Value value, RankedTensorType global,
                   const TensorSharding &sharding) {
    globalTypes[value] = global;
    actual[value] = sharding;
    for (size_t d = 0; d < sharding.dims.size(); ++d) {
      const int64_t parts = ::strata::sharding::groupSize(axes, sharding.dims[d]);
      if (global.getDimSize(d) % parts != 0 && !unevenSplit) {
        unevenSplit = true;
        emitError(value.getLoc())
            << "cannot split dimension " << d << " of " << global << " into "
            << parts << " equal parts (" << sharding.str() << ")";
      }
    }
    value.setType(localType(global, sharding));
  }

  /// |value| with sharding |target|, through collectives inserted before
  /// |user|: partial sums reduced (reduce-scatter where the consumer splits
  /// a dimension over the same axis, else all-reduce), split dimensions the
  /// consumer needs whole gathered, whole dimensions it needs split sliced.
  FailureOr<Value> reshard(Value value, const TensorSharding &target,
                           Operation *user) {
    TensorSharding current = actualOf(value);
    if (current == target)
      return value;
    auto key = std::make_tuple(value.getAsOpaquePointer(),
                               (void *)user->getBlock(), target.str());
    if (auto it = converted.find(key); it != converted.end())
      return it->second;

    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPoint(user);
    const RankedTensorType global = globalTypeOf(value);
    Value cur = value;
    AxisList reduce;
    for (const std::string &axis : current.partial) {
      if (std::find(target.partial.begin(), target.partial.end(), axis) !=
          target.partial.end())
        continue;
      // A partial sum whose consumer wants a dimension split over the same
      // axis: one reduce-scatter (sequence parallelism's exit from a
      // row-parallel matmul) instead of an all-reduce.
      std::optional<size_t> scatterDim;
      for (size_t d = 0; d < target.dims.size(); ++d)
        if (target.dims[d] == AxisList{axis} && current.dims[d].empty())
          scatterDim = d;
      if (!scatterDim) {
        reduce.push_back(axis);
        continue;
      }
      TensorSharding scattered = current;
      scattered.partial.erase(std::find(scattered.partial.begin(),
                                        scattered.partial.end(), axis));
      scattered.dims[*scatterDim] = {axis};
      cur = dist::ReduceScatterOp::create(
          builder, user->getLoc(), localType(global, scattered), cur,
          meshRef(), strArray({axis}),
          builder.getI64IntegerAttr(static_cast<int64_t>(*scatterDim)),
          dist::ReductionKindAttr::get(builder.getContext(),
                                       dist::ReductionKind::sum));
      current = scattered;
      globalTypes[cur] = global;
      actual[cur] = current;
    }
    if (!reduce.empty()) {
      cur = dist::AllReduceOp::create(
          builder, user->getLoc(), cur.getType(), cur, meshRef(),
          strArray(reduce),
          dist::ReductionKindAttr::get(builder.getContext(),
                                       dist::ReductionKind::sum));
      AxisList kept;
      for (const std::string &axis : current.partial)
        if (std::find(reduce.begin(), reduce.end(), axis) == reduce.end())
          kept.push_back(axis);
      current.partial = kept;
      globalTypes[cur] = global;
      actual[cur] = current;
    }
    for (size_t d = 0; d < current.dims.size(); ++d) {
      if (current.dims[d].empty() || current.dims[d] == target.dims[d])
        continue;
      TensorSharding gathered = current;
      gathered.dims[d].clear();
      cur = dist::AllGatherOp::create(
          builder, user->getLoc(), localType(global, gathered), cur, meshRef(),
          strArray(current.dims[d]), builder.getI64IntegerAttr(d));
      current = gathered;
      globalTypes[cur] = global;
      actual[cur] = current;
    }
    // Whole dimensions the consumer wants split: each rank takes its block.
    for (size_t d = 0; d < current.dims.size(); ++d) {
      if (!current.dims[d].empty() || target.dims[d].empty())
        continue;
      TensorSharding sliced = current;
      sliced.dims[d] = target.dims[d];
      cur = dist::SliceOp::create(builder, user->getLoc(),
                                  localType(global, sliced), cur, meshRef(),
                                  strArray(target.dims[d]),
                                  builder.getI64IntegerAttr(d));
      current = sliced;
      globalTypes[cur] = global;
      actual[cur] = current;
    }
    if (current != target)
      return user->emitError()
             << "cannot bring operand of sharding " << actualOf(value).str()
             << " to the sharding " << target.str()
             << " this op needs (splitting a whole value is not supported)";
    converted[key] = cur;
    return cur;
  }

  FlatSymbolRefAttr meshRef() {
    return FlatSymbolRefAttr::get(builder.getContext(), kMeshName);
  }

  LogicalResult reshardOperand(Operation *op, unsigned index,
                               const TensorSharding &target) {
    FailureOr<Value> value = reshard(op->getOperand(index), target, op);
    if (failed(value))
      return failure();
    op->setOperand(index, *value);
    return success();
  }

  /// Every tensor operand whole and complete; tensor results replicated.
  LogicalResult partitionReplicated(Operation *op) {
    for (unsigned i = 0; i < op->getNumOperands(); ++i)
      if (isTensor(op->getOperand(i)) &&
          failed(reshardOperand(
              op, i,
              TensorSharding::replicated(
                  cast<RankedTensorType>(op->getOperand(i).getType())
                      .getRank()))))
        return failure();
    for (Value result : op->getResults())
      if (isTensor(result))
        setSharding(result, cast<RankedTensorType>(result.getType()),
                    TensorSharding::replicated(
                        cast<RankedTensorType>(result.getType()).getRank()));
    return success();
  }

  LogicalResult partitionByRule(Operation *op, const ShardingRule &rule) {
    std::vector<TensorSharding> operands, results;
    OpShapes shapes;
    for (Value v : op->getOperands()) {
      operands.push_back(actualOf(v));
      shapes.operands.push_back(shapeVector(globalTypeOf(v)));
    }
    for (Value v : op->getResults()) {
      results.push_back(splitOf(v));
      shapes.results.push_back(shapeVector(v.getType()));
    }
    Resolution resolution =
        ::strata::sharding::resolve(rule, shapes, axes, operands, results);
    for (unsigned i = 0; i < op->getNumOperands(); ++i)
      if (failed(reshardOperand(op, i, resolution.operands[i])))
        return failure();
    for (auto [value, sharding] :
         llvm::zip(op->getResults(), resolution.results))
      setSharding(value, cast<RankedTensorType>(value.getType()), sharding);
    markShardedPositions(op, resolution);
    return success();
  }

  /// Ops whose local computation depends on the rank's block: the embedding
  /// offsets its ids by the vocabulary block, attention draws its dropout
  /// mask by global head.
  void markShardedPositions(Operation *op, const Resolution &resolution) {
    auto first = [&](const AxisList &list) -> StringAttr {
      return list.empty() ? StringAttr() : builder.getStringAttr(list.front());
    };
    if (auto embedding = dyn_cast<tfm::EmbeddingOp>(op)) {
      if (StringAttr axis = first(resolution.operands[0].dims[0]))
        embedding.setVocabShardAxisAttr(axis);
    } else if (auto grad = dyn_cast<tfm::EmbeddingGradOp>(op)) {
      if (StringAttr axis = first(resolution.results[0].dims[0]))
        grad.setVocabShardAxisAttr(axis);
    } else if (auto attention = dyn_cast<tfm::AttentionOp>(op)) {
      if (StringAttr axis = first(resolution.operands[0].dims[2]))
        attention.setHeadShardAxisAttr(axis);
    } else if (auto grad = dyn_cast<tfm::AttentionGradOp>(op)) {
      if (StringAttr axis = first(resolution.operands[0].dims[2]))
        grad.setHeadShardAxisAttr(axis);
    } else if (auto dropout = dyn_cast<tfm::DropoutOp>(op)) {
      // A split tensor draws the mask bits of its global elements.
      const TensorSharding &input = resolution.operands[0];
      for (size_t d = 0; d < input.dims.size(); ++d)
        if (StringAttr axis = first(input.dims[d])) {
          dropout.setMaskSplitDimAttr(builder.getI64IntegerAttr(d));
          dropout.setMaskSplitAxisAttr(axis);
        }
    }
  }

  //===--------------------------------------------------------------------===//
  // Ops with a dedicated split form
  //===--------------------------------------------------------------------===//

  /// The vocabulary axis of split logits, if the vocabulary is split.
  std::optional<AxisList> vocabularySplit(Value logits) {
    TensorSharding sharding = actualOf(logits);
    if (sharding.dims.empty() || sharding.dims.back().empty())
      return std::nullopt;
    return sharding.dims.back();
  }

  /// Logits split only along the vocabulary and complete; labels whole.
  LogicalResult prepareVocabularyParallel(Operation *op, Value logits,
                                          unsigned labelsIndex,
                                          const AxisList &vocabAxes) {
    TensorSharding target =
        TensorSharding::replicated(globalTypeOf(logits).getRank());
    target.dims.back() = vocabAxes;
    if (failed(reshardOperand(op, 0, target)))
      return failure();
    if (vocabAxes.size() != 1)
      return op->emitError() << "the vocabulary is split over several axes "
                                "(not supported)";
    Value labels = op->getOperand(labelsIndex);
    return reshardOperand(
        op, labelsIndex,
        TensorSharding::replicated(
            cast<RankedTensorType>(labels.getType()).getRank()));
  }

  /// stats -> all_gather -> loss, lse at the builder's insertion point.
  std::pair<Value, Value> buildVocabParallelLoss(Location loc, Value logits,
                                                 Value labels,
                                                 tfm::Reduction reduction,
                                                 Type lossType,
                                                 const AxisList &vocabAxes) {
    auto labelsType = cast<RankedTensorType>(labels.getType());
    Type element = getElementTypeOrSelf(lossType);
    SmallVector<int64_t> statsShape(labelsType.getShape());
    statsShape.push_back(3);
    auto statsType = RankedTensorType::get(statsShape, element);
    Value stats = tfm::VocabParallelStatsOp::create(
        builder, loc, statsType, logits, labels,
        builder.getStringAttr(vocabAxes.front()));
    SmallVector<int64_t> gatheredShape(statsShape);
    gatheredShape.back() *= ::strata::sharding::groupSize(axes, vocabAxes);
    Value gathered = dist::AllGatherOp::create(
        builder, loc, RankedTensorType::get(gatheredShape, element), stats,
        meshRef(), strArray(vocabAxes),
        builder.getI64IntegerAttr(statsShape.size() - 1));
    auto lseType = RankedTensorType::get(labelsType.getShape(), element);
    auto loss = tfm::VocabParallelLossOp::create(
        builder, loc, lossType, lseType, reduction, gathered);
    return {loss.getLoss(), loss.getLse()};
  }

  LogicalResult partitionCrossEntropy(tfm::CrossEntropyOp op,
                                      const AxisList &vocabAxes) {
    if (failed(prepareVocabularyParallel(op, op.getLogits(), 1, vocabAxes)))
      return failure();
    builder.setInsertionPoint(op);
    auto [loss, lse] =
        buildVocabParallelLoss(op.getLoc(), op.getLogits(), op.getLabels(),
                               op.getReduction(), op.getType(), vocabAxes);
    lseOfLogits[op.getLogits()] = lse;
    setSharding(loss, cast<RankedTensorType>(loss.getType()),
                TensorSharding::replicated(
                    cast<RankedTensorType>(loss.getType()).getRank()));
    op.getResult().replaceAllUsesWith(loss);
    op.erase();
    return success();
  }

  LogicalResult partitionCrossEntropyGrad(tfm::CrossEntropyGradOp op,
                                          const AxisList &vocabAxes) {
    if (failed(prepareVocabularyParallel(op, op.getLogits(), 1, vocabAxes)) ||
        failed(reshardOperand(
            op, 2,
            TensorSharding::replicated(
                cast<RankedTensorType>(op.getLossGrad().getType())
                    .getRank()))))
      return failure();
    builder.setInsertionPoint(op);
    Value lse = lseOfLogits.lookup(op.getLogits());
    if (!lse) {
      // No forward loss of these logits in this function: recompute the
      // statistics (per-position losses are not needed).
      auto lossType = RankedTensorType::get(
          cast<RankedTensorType>(op.getLabels().getType()).getShape(),
          getElementTypeOrSelf(op.getLossGrad().getType()));
      lse = buildVocabParallelLoss(op.getLoc(), op.getLogits(), op.getLabels(),
                                   tfm::Reduction::none, lossType, vocabAxes)
                .second;
    }
    auto grad = tfm::VocabParallelCrossEntropyGradOp::create(
        builder, op.getLoc(), op.getLogits().getType(), op.getReduction(),
        op.getLogits(), op.getLabels(), lse, op.getLossGrad(),
        builder.getStringAttr(vocabAxes.front()));
    setSharding(grad.getResult(), globalTypeOf(op.getLogits()),
                actualOf(op.getLogits()));
    op.getResult().replaceAllUsesWith(grad.getResult());
    op.erase();
    return success();
  }

  /// grad_norm over split and whole parameters: the split ones' sum of
  /// squares is a partial sum over their axes.
  LogicalResult partitionGradNorm(tfm::GradNormOp op) {
    if (op.getParametersAttr() || op.getPlus())
      return partitionReplicated(op);
    SmallVector<Attribute> split, whole;
    std::set<std::string> splitAxes;
    for (auto parameter : module.getOps<tfm::ParameterOp>()) {
      if (!parameter.getTrainable())
        continue;
      const TensorSharding &sharding =
          parameterSharding(parameter.getSymName());
      auto ref = FlatSymbolRefAttr::get(parameter.getSymNameAttr());
      if (sharding.isSplit()) {
        split.push_back(ref);
        for (const AxisList &list : sharding.dims)
          splitAxes.insert(list.begin(), list.end());
      } else {
        whole.push_back(ref);
      }
    }
    if (split.empty())
      return partitionReplicated(op);
    builder.setInsertionPoint(op);
    Type scalar = op.getType();
    Value sum = tfm::GradSquareSumOp::create(builder, op.getLoc(), scalar,
                                             builder.getArrayAttr(split));
    Value reduced = dist::AllReduceOp::create(
        builder, op.getLoc(), scalar, sum, meshRef(),
        strArray(AxisList(splitAxes.begin(), splitAxes.end())),
        dist::ReductionKindAttr::get(builder.getContext(),
                                     dist::ReductionKind::sum));
    Value norm = tfm::GradNormOp::create(builder, op.getLoc(), scalar,
                                         builder.getArrayAttr(whole), reduced);
    op.getResult().replaceAllUsesWith(norm);
    op.erase();
    return success();
  }

  //===--------------------------------------------------------------------===//
  // Walk
  //===--------------------------------------------------------------------===//

  LogicalResult partitionOp(Operation *op) {
    if (auto ref = dyn_cast<tfm::ParamRefOp>(op)) {
      setSharding(ref.getResult(), ref.getType(),
                  parameterSharding(ref.getName()));
      return success();
    }
    if (auto accumulate = dyn_cast<tfm::AccumulateGradOp>(op))
      return reshardOperand(op, 0, parameterSharding(accumulate.getName()));
    if (auto layer = dyn_cast<tfm::LayerOp>(op))
      return partitionLayer(layer);
    if (auto write = dyn_cast<tfm::CacheWriteOp>(op)) {
      TensorSharding values = cacheSplit(write.getCache());
      return failure(failed(reshardOperand(op, 0, values)) ||
                     failed(reshardOperand(op, 1,
                                           TensorSharding::replicated(2))));
    }
    if (auto cached = dyn_cast<tfm::CachedAttentionOp>(op)) {
      // q[b,s,h,d] with the caches' split of heads; out like q.
      TensorSharding query = TensorSharding::replicated(4);
      query.dims[2] = cacheSplit(cached.getKeyCache()).dims[2];
      if (failed(reshardOperand(op, 0, query)) ||
          failed(reshardOperand(op, 1, TensorSharding::replicated(2))))
        return failure();
      setSharding(cached.getResult(), cached.getType(), query);
      return success();
    }
    if (isa<tfm::YieldOp>(op))
      return success();
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (unsigned i = 0; i < ret.getNumOperands(); ++i) {
        if (!isTensor(ret.getOperand(i)))
          continue;
        TensorSharding complete = actualOf(ret.getOperand(i));
        complete.partial.clear();
        if (failed(reshardOperand(op, i, complete)))
          return failure();
      }
      return success();
    }
    if (auto norm = dyn_cast<tfm::GradNormOp>(op))
      return partitionGradNorm(norm);
    if (auto loss = dyn_cast<tfm::CrossEntropyOp>(op))
      if (std::optional<AxisList> vocab = vocabularySplit(loss.getLogits()))
        return partitionCrossEntropy(loss, *vocab);
    if (auto grad = dyn_cast<tfm::CrossEntropyGradOp>(op))
      if (std::optional<AxisList> vocab = vocabularySplit(grad.getLogits()))
        return partitionCrossEntropyGrad(grad, *vocab);
    if (auto interface = dyn_cast<tfm::ShardingRuleOpInterface>(op))
      if (std::optional<ShardingRule> rule = interface.getShardingRule())
        return partitionByRule(op, *rule);
    return partitionReplicated(op);
  }

  LogicalResult partitionLayer(tfm::LayerOp layer) {
    // Layers take complete values (as Megatron-LM's do): a partial sum is
    // reduced before the layer, not inside it, so layer boundaries (future
    // pipeline cuts) never carry pending sums.
    for (unsigned i = 0; i < layer->getNumOperands(); ++i) {
      TensorSharding complete = actualOf(layer->getOperand(i));
      complete.partial.clear();
      if (failed(reshardOperand(layer, i, complete)))
        return failure();
    }
    Block &body = layer.getBody().front();
    for (auto [operand, argument] :
         llvm::zip(layer.getInputs(), body.getArguments()))
      setSharding(argument, cast<RankedTensorType>(argument.getType()),
                  actualOf(operand));
    if (failed(partitionBlock(body)))
      return failure();
    for (auto [result, yielded] :
         llvm::zip(layer.getResults(), body.getTerminator()->getOperands()))
      setSharding(result, cast<RankedTensorType>(result.getType()),
                  actualOf(yielded));
    return success();
  }

  LogicalResult partitionBlock(Block &block) {
    for (Operation &op : llvm::make_early_inc_range(block))
      if (failed(partitionOp(&op)))
        return failure();
    return success();
  }

  LogicalResult partitionFunction(func::FuncOp function) {
    splits.clear();
    actual.clear();
    globalTypes.clear();
    converted.clear();
    lseOfLogits.clear();
    propagateFunction(function);
    if (failed(partitionBlock(function.getBody().front())) || unevenSplit)
      return failure();
    // Results: local types, and their split for the runtime to gather.
    auto ret = cast<func::ReturnOp>(function.getBody().front().getTerminator());
    function.setType(FunctionType::get(
        builder.getContext(), function.getArgumentTypes(),
        ret.getOperandTypes()));
    for (unsigned i = 0; i < ret.getNumOperands(); ++i) {
      Value value = ret.getOperand(i);
      if (isTensor(value) && actualOf(value).isSplit())
        function.setResultAttr(i, kShardingAttr, toAttr(actualOf(value)));
    }
    return success();
  }

  ModuleOp module;
  OpBuilder builder;
  AxisSizes axes;
  MeshShape mesh;
  std::map<std::string, TensorSharding, std::less<>> parameterShardings;
  llvm::DenseMap<Value, TensorSharding> splits;
  llvm::DenseMap<Value, TensorSharding> actual;
  llvm::DenseMap<Value, RankedTensorType> globalTypes;
  std::map<std::tuple<void *, void *, std::string>, Value> converted;
  llvm::DenseMap<Value, Value> lseOfLogits;
  /// The split of each KV cache (by symbol), shared by every function.
  std::map<std::string, TensorSharding, std::less<>> cacheSplits;
  bool unevenSplit = false;
  bool sequenceParallel = false;
};

} // namespace

MeshShape mlir::strata::meshShapeOf(ModuleOp module) {
  auto config = module->getAttrOfType<DictionaryAttr>("tfm.config");
  MeshShape mesh;
  mesh.dp = configInt(config, "data_parallel_size");
  mesh.pp = configInt(config, "pipeline_model_parallel_size");
  mesh.tp = configInt(config, "tensor_model_parallel_size");
  return mesh;
}

LogicalResult mlir::strata::partitionModule(ModuleOp module,
                                            const MeshShape &mesh) {
  // One rank, or a module partitioned already (a reloaded --compile-to
  // output).
  if (mesh.ranks() == 1 || !module.getOps<dist::MeshOp>().empty())
    return success();
  return ModulePartitioner(module, mesh).run();
}
