//===- InferenceDerivation.cpp - prefill and decode with a KV cache -------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Inference/InferenceDerivation.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace mlir::strata;

namespace {

/// The layer an attention op belongs to: the index of its tfm.layer, else
/// the N of a `layers.N.` location (flattened code keeps the locations),
/// else |ordinal| (its rank among the function's attention ops).
int64_t layerIndexOf(tfm::AttentionOp op, int64_t ordinal) {
  if (auto layer = op->getParentOfType<tfm::LayerOp>())
    return static_cast<int64_t>(layer.getIndex());
  if (auto name = dyn_cast<NameLoc>(op.getLoc())) {
    StringRef text = name.getName().getValue();
    int64_t index = 0;
    if (text.consume_front("layers.") &&
        !text.split('.').first.getAsInteger(10, index) && index >= 0)
      return index;
  }
  return ordinal;
}

/// The tfm.kv_cache @|name| of |module| with |type|: found, or declared
/// before the module's first function. Fails (with a diagnostic at |user|)
/// when a cache of that name has another type.
FailureOr<tfm::KVCacheOp> getOrCreateCache(ModuleOp module, Operation *user,
                                           StringRef name,
                                           RankedTensorType type) {
  Operation *existing = module.lookupSymbol(name);
  if (existing) {
    auto cache = dyn_cast<tfm::KVCacheOp>(existing);
    if (!cache)
      return user->emitOpError()
             << "needs a cache @\"" << name << "\", but that name is a "
             << existing->getName();
    if (cache.getTensorType() != type)
      return user->emitOpError()
             << "needs a cache @\"" << name << "\" of type " << type
             << ", but the module declares it as " << cache.getTensorType();
    return cache;
  }
  OpBuilder builder(module.getContext());
  auto functions = module.getOps<func::FuncOp>();
  if (functions.empty())
    builder.setInsertionPointToEnd(module.getBody());
  else
    builder.setInsertionPoint(*functions.begin());
  return tfm::KVCacheOp::create(
      builder, NameLoc::get(builder.getStringAttr(name)),
      builder.getStringAttr(name), TypeAttr::get(type));
}

/// |positions| (a value of |function|'s entry block) as seen at |op|:
/// inside a tfm.layer, the layer's block argument for it, added as a new
/// operand when the layer did not take it. The block table travels the
/// same way.
Value positionsAt(Operation *op, Value positions) {
  auto layer = op->getParentOfType<tfm::LayerOp>();
  if (!layer)
    return positions;
  Value outer = positionsAt(layer, positions);
  Block &body = layer.getBody().front();
  for (auto [i, input] : llvm::enumerate(layer.getInputs()))
    if (input == outer)
      return body.getArgument(i);
  layer.getInputsMutable().append(outer);
  return body.addArgument(outer.getType(), outer.getLoc());
}

} // namespace

std::string mlir::strata::keyCacheName(int64_t layer) {
  return "layers." + std::to_string(layer) + ".attention.key_cache";
}

std::string mlir::strata::valueCacheName(int64_t layer) {
  return "layers." + std::to_string(layer) + ".attention.value_cache";
}

LogicalResult mlir::strata::removeLoss(func::FuncOp function) {
  FunctionType type = function.getFunctionType();
  if (type.getNumResults() == 1)
    return success();
  Block &entry = function.getBody().front();
  auto ret = cast<func::ReturnOp>(entry.getTerminator());
  auto loss = type.getNumResults() == 2
                  ? ret.getOperand(1).getDefiningOp<tfm::CrossEntropyOp>()
                  : tfm::CrossEntropyOp();
  if (!loss || loss.getLogits() != ret.getOperand(0))
    return function.emitOpError()
           << "expected results (logits, loss), the loss a tfm.cross_entropy "
              "of the logits, or (logits); got "
           << type.getResults();
  Value labels = loss.getLabels();
  ret->setOperands(ValueRange{ret.getOperand(0)});
  if (failed(function.eraseResult(1)))
    return failure();
  if (loss->use_empty())
    loss.erase();
  auto argument = dyn_cast<BlockArgument>(labels);
  if (argument && argument.getOwner() == &entry && argument.use_empty())
    return function.eraseArgument(argument.getArgNumber());
  return success();
}

void mlir::strata::removeDropout(Operation *root) {
  SmallVector<tfm::DropoutOp> dropouts;
  root->walk([&](tfm::DropoutOp op) { dropouts.push_back(op); });
  for (tfm::DropoutOp op : dropouts) {
    op.getResult().replaceAllUsesWith(op.getInput());
    op.erase();
  }
}

LogicalResult mlir::strata::useKVCache(func::FuncOp function, Value positions,
                                       const KVCacheLayout &layout,
                                       Value blockTable) {
  const int64_t cacheLength = layout.length;
  if (layout.paged() != static_cast<bool>(blockTable))
    return function.emitOpError()
           << "internal error: a paged cache layout needs a block table "
              "argument and an unpaged one none";
  auto module = function->getParentOfType<ModuleOp>();
  SmallVector<tfm::AttentionOp> attentions;
  function.walk([&](tfm::AttentionOp op) { attentions.push_back(op); });
  auto positionsType = cast<RankedTensorType>(positions.getType());
  llvm::DenseSet<int64_t> layers;
  for (auto [ordinal, op] : llvm::enumerate(attentions)) {
    auto query = cast<RankedTensorType>(op.getQuery().getType());
    auto key = cast<RankedTensorType>(op.getKey().getType());
    auto value = cast<RankedTensorType>(op.getValue().getType());
    if (!op.getCausal())
      return op.emitOpError() << "cannot use a KV cache: only causal "
                                 "attention attends the keys up to its "
                                 "position";
    if (op.getLse() && !op.getLse().use_empty())
      return op.emitOpError() << "cannot use a KV cache: its log-sum-exp is "
                                 "read (a training program)";
    if (!query.hasStaticShape() || !key.hasStaticShape() ||
        !value.hasStaticShape())
      return op.emitOpError() << "cannot use a KV cache with dynamic shapes";
    ArrayRef<int64_t> q = query.getShape(), k = key.getShape();
    if (k[1] != q[1] || positionsType.getShape() != q.take_front(2))
      return op.emitOpError()
             << "cannot use a KV cache: expected self-attention over the "
                "positions "
             << positionsType << ", got query length " << q[1]
             << " and key length " << k[1];
    if (cacheLength < q[1])
      return op.emitOpError() << "cannot use a cache of " << cacheLength
                              << " positions for " << q[1] << " queries";
    int64_t layer = layerIndexOf(op, static_cast<int64_t>(ordinal));
    if (!layers.insert(layer).second)
      return op.emitOpError()
             << "is the second attention of layer " << layer << " in @"
             << function.getSymName() << "; each layer has one pair of caches";

    // [batch, length, groups, head_dim], or paged [blocks, block_size,
    // groups, head_dim].
    auto cacheType = [&](RankedTensorType t) {
      ArrayRef<int64_t> s = t.getShape();
      if (layout.paged())
        return RankedTensorType::get(
            {layout.blocksFor(s[0]), layout.blockSize, s[2], s[3]},
            t.getElementType());
      return RankedTensorType::get({s[0], cacheLength, s[2], s[3]},
                                   t.getElementType());
    };
    FailureOr<tfm::KVCacheOp> keyCache =
        getOrCreateCache(module, op, keyCacheName(layer), cacheType(key));
    if (failed(keyCache))
      return failure();
    FailureOr<tfm::KVCacheOp> valueCache =
        getOrCreateCache(module, op, valueCacheName(layer), cacheType(value));
    if (failed(valueCache))
      return failure();

    Value localPositions = positionsAt(op, positions);
    Value localTable = blockTable ? positionsAt(op, blockTable) : Value();
    OpBuilder builder(op);
    auto keyRef = FlatSymbolRefAttr::get(keyCache->getSymNameAttr());
    auto valueRef = FlatSymbolRefAttr::get(valueCache->getSymNameAttr());
    // The writes come first: each query attends its own key. They are
    // located at their cache, which runtime errors then name.
    tfm::CacheWriteOp::create(builder, keyCache->getLoc(), keyRef, op.getKey(),
                              localPositions, localTable);
    tfm::CacheWriteOp::create(builder, valueCache->getLoc(), valueRef,
                              op.getValue(), localPositions, localTable);
    auto cached = tfm::CachedAttentionOp::create(
        builder, op.getLoc(), op.getResult().getType(), op.getQuery(), keyRef,
        valueRef, localPositions, localTable, builder.getUnitAttr(),
        op.getScaleAttr());
    op.getResult().replaceAllUsesWith(cached.getResult());
    op.erase();
  }
  return success();
}

LogicalResult mlir::strata::selectLastPositions(func::FuncOp function) {
  Block &entry = function.getBody().front();
  auto ret = cast<func::ReturnOp>(entry.getTerminator());
  if (ret.getNumOperands() != 1)
    return function.emitOpError() << "expected one result (the logits)";
  auto output = ret.getOperand(0).getDefiningOp<tfm::MatmulOp>();
  Operation *norm = output ? output.getInput().getDefiningOp() : nullptr;
  // Another shape of program keeps the logits of every position.
  if (!norm || !isa<tfm::LayerNormOp, tfm::RMSNormOp>(norm) ||
      !output->hasOneUse() || !norm->hasOneUse())
    return success();
  Value hidden = norm->getOperand(0);
  auto hiddenType = cast<RankedTensorType>(hidden.getType());
  if (hiddenType.getRank() < 2 || hiddenType.getDimSize(1) == 1)
    return success(); // one position already (decode)
  auto withOnePosition = [](Type type) {
    auto ranked = cast<RankedTensorType>(type);
    SmallVector<int64_t> shape(ranked.getShape());
    shape[1] = 1;
    return RankedTensorType::get(shape, ranked.getElementType());
  };
  OpBuilder builder(function.getContext());
  auto indexType = RankedTensorType::get({hiddenType.getDimSize(0)},
                                         builder.getI32Type());
  unsigned index = function.getNumArguments();
  if (failed(function.insertArgument(
          index, indexType,
          builder.getDictionaryAttr(builder.getNamedAttr(
              "tfm.name", builder.getStringAttr("last"))),
          function.getLoc())))
    return failure();
  builder.setInsertionPoint(norm);
  auto take = tfm::TakePositionsOp::create(
      builder, norm->getLoc(), withOnePosition(hiddenType), hidden,
      entry.getArgument(index));
  norm->setOperand(0, take.getResult());
  norm->getResult(0).setType(withOnePosition(norm->getResult(0).getType()));
  output.getResult().setType(withOnePosition(output.getResult().getType()));
  function.setType(FunctionType::get(function.getContext(),
                                     entry.getArgumentTypes(),
                                     {output.getResult().getType()}));
  return success();
}

FailureOr<Value>
mlir::strata::addBlockTableArgument(func::FuncOp function,
                                    BlockArgument positions,
                                    const KVCacheLayout &layout) {
  auto positionsType = cast<RankedTensorType>(positions.getType());
  Builder builder(function.getContext());
  auto tableType = RankedTensorType::get(
      {positionsType.getDimSize(0), layout.tableWidth()}, builder.getI32Type());
  // Right after positions: the arguments before it keep their indices.
  unsigned index = positions.getArgNumber() + 1;
  if (failed(function.insertArgument(
          index, tableType,
          builder.getDictionaryAttr(builder.getNamedAttr(
              "tfm.name", builder.getStringAttr("block_table"))),
          function.getLoc())))
    return failure();
  return Value(function.getBody().front().getArgument(index));
}

LogicalResult mlir::strata::deriveInferenceFunction(func::FuncOp function,
                                                    const KVCacheLayout &layout) {
  if (failed(removeLoss(function)))
    return failure();
  removeDropout(function);
  Block &entry = function.getBody().front();
  Value positions;
  for (BlockArgument arg : entry.getArguments())
    if (auto name = function.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                          "tfm.name");
        name && name.getValue() == "positions")
      positions = arg;
  bool hasAttention =
      function.walk([](tfm::AttentionOp) { return WalkResult::interrupt(); })
          .wasInterrupted();
  if (!hasAttention)
    return selectLastPositions(function);
  if (!positions)
    return function.emitOpError()
           << "has attention but no argument named positions (tfm.name = "
              "\"positions\") to write the KV cache at";
  auto positionsType = dyn_cast<RankedTensorType>(positions.getType());
  if (!positionsType || positionsType.getRank() != 2 ||
      !positionsType.getElementType().isInteger())
    return function.emitOpError()
           << "expected positions of type tensor<BxSxi32>, got "
           << positions.getType();
  Value blockTable;
  if (layout.paged()) {
    FailureOr<Value> table =
        addBlockTableArgument(function, cast<BlockArgument>(positions), layout);
    if (failed(table))
      return failure();
    blockTable = *table;
  }
  if (failed(useKVCache(function, positions, layout, blockTable)))
    return failure();
  return selectLastPositions(function);
}
