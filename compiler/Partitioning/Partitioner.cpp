//===- Partitioner.cpp - one program per rank from the global one ---------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Partitioning/Partitioner.h"

#include "compiler/Partitioning/MegatronLayout.h"
#include "compiler/Partitioning/PartitionerImpl.h"

using namespace mlir;
using namespace mlir::strata;
using namespace mlir::strata::partitioning;

LogicalResult ModulePartitioner::run() {
  declareMesh();
  if (failed(splitParameters()))
    return failure();
  shardOptimizerState();
  // KV caches are shared by the functions (prefill, decode): their splits
  // come from propagating every function first. That pass only fills
  // cacheSplits (partitionFunction propagates again), so a module without
  // caches (training) skips it.
  if (!module.getOps<tfm::KVCacheOp>().empty()) {
    for (auto function : module.getOps<func::FuncOp>()) {
      splits.clear();
      propagateFunction(function);
    }
    splitKVCaches();
  }
  for (auto function : module.getOps<func::FuncOp>())
    if (failed(partitionFunction(function)))
      return failure();
  addGradientReduction();
  finishShardedOptimizerStep();
  return success();
}

/// Under tensor parallelism each rank caches the keys and values of its
/// own heads' groups: the split propagation gave the cache writes.
void ModulePartitioner::splitKVCaches() {
  for (auto cache : module.getOps<tfm::KVCacheOp>()) {
    auto it = cacheSplits.find(cache.getSymName());
    if (it == cacheSplits.end() || !it->second.isSplit())
      continue;
    cache->setAttr(kShardingAttr, toAttr(it->second));
    cache->setAttr("dist.local_type",
                   TypeAttr::get(localType(cache.getTensorType(), it->second)));
  }
}

void ModulePartitioner::declareMesh() {
  builder.setInsertionPointToStart(module.getBody());
  dist::MeshOp::create(
      builder, module.getLoc(), kMeshName,
      builder.getStrArrayAttr({"dp", "pp", "tp"}),
      builder.getDenseI64ArrayAttr({mesh.dp, mesh.pp, mesh.tp}));
}

LogicalResult ModulePartitioner::splitParameters() {
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
               << " over tensor_model_parallel_size = " << mesh.tp << ": "
               << type.getDimSize(*dim) << " is not divisible by " << mesh.tp;
      sharding.dims[*dim] = {"tp"};
    }
    parameterShardings[parameter.getSymName().str()] = sharding;
    parameter->setAttr(kShardingAttr, toAttr(sharding));
    parameter->setAttr(tfm::ParameterOp::getLocalTypeAttrName(),
                       TypeAttr::get(localType(type, sharding)));
  }
  return success();
}

LogicalResult ModulePartitioner::partitionByRule(Operation *op,
                                                 const ShardingRule &rule) {
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
  for (auto [value, sharding] : llvm::zip(op->getResults(), resolution.results))
    setSharding(value, cast<RankedTensorType>(value.getType()), sharding);
  markShardedPositions(op, resolution);
  return success();
}

/// Ops whose local computation depends on the rank's block: the embedding
/// offsets its ids by the vocabulary block, attention draws its dropout
/// mask by global head.
void ModulePartitioner::markShardedPositions(Operation *op,
                                             const Resolution &resolution) {
  auto first = [&](const AxisList &list) -> StringAttr {
    return list.empty() ? StringAttr() : builder.getStringAttr(list.front());
  };
  if (auto embedding = dyn_cast<tfm::EmbeddingOp>(op)) {
    if (StringAttr axis = first(resolution.operands[0].dims[0]))
      embedding.setVocabShardAxisAttr(axis);
  } else if (auto quantized = dyn_cast<tfm::QuantizedEmbeddingOp>(op)) {
    if (StringAttr axis = first(resolution.operands[0].dims[0]))
      quantized.setVocabShardAxisAttr(axis);
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

LogicalResult ModulePartitioner::partitionOp(Operation *op) {
  if (auto ref = dyn_cast<tfm::ParamRefOp>(op)) {
    setSharding(ref.getResult(), ref.getType(),
                parameterSharding(ref.getName()));
    return success();
  }
  if (auto accumulate = dyn_cast<tfm::AccumulateGradOp>(op))
    return reshardOperand(op, 0, parameterSharding(accumulate.getName()));
  if (auto layer = dyn_cast<tfm::LayerOp>(op))
    return partitionLayer(layer);
  // Positions and a paged cache's block table are replicated: every rank
  // addresses the same blocks of its own groups' pools.
  if (auto write = dyn_cast<tfm::CacheWriteOp>(op)) {
    TensorSharding values = cacheSplit(write.getCache());
    return failure(
        failed(reshardOperand(op, 0, values)) ||
        failed(reshardOperand(op, 1, TensorSharding::replicated(2))) ||
        (write.getBlockTable() &&
         failed(reshardOperand(op, 2, TensorSharding::replicated(2)))));
  }
  if (auto cached = dyn_cast<tfm::CachedAttentionOp>(op)) {
    // q[b,s,h,d] with the caches' split of heads; out like q.
    TensorSharding query = TensorSharding::replicated(4);
    query.dims[2] = cacheSplit(cached.getKeyCache()).dims[2];
    if (failed(reshardOperand(op, 0, query)) ||
        failed(reshardOperand(op, 1, TensorSharding::replicated(2))) ||
        (cached.getBlockTable() &&
         failed(reshardOperand(op, 2, TensorSharding::replicated(2)))))
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

LogicalResult ModulePartitioner::partitionLayer(tfm::LayerOp layer) {
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

LogicalResult ModulePartitioner::partitionBlock(Block &block) {
  for (Operation &op : llvm::make_early_inc_range(block))
    if (failed(partitionOp(&op)))
      return failure();
  return success();
}

LogicalResult ModulePartitioner::partitionFunction(func::FuncOp function) {
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
  function.setType(FunctionType::get(builder.getContext(),
                                     function.getArgumentTypes(),
                                     ret.getOperandTypes()));
  for (unsigned i = 0; i < ret.getNumOperands(); ++i) {
    Value value = ret.getOperand(i);
    if (isTensor(value) && actualOf(value).isSplit())
      function.setResultAttr(i, kShardingAttr, toAttr(actualOf(value)));
  }
  return success();
}

namespace {

int64_t configInt(DictionaryAttr config, StringRef key) {
  if (!config)
    return 1;
  if (auto value = config.getAs<IntegerAttr>(key))
    return value.getInt();
  return 1;
}

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
