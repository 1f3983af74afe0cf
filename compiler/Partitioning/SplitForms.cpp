//===- SplitForms.cpp - ops whose split form differs ------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Partitioning/PartitionerImpl.h"

#include <set>

using namespace mlir;
using namespace mlir::strata;
using namespace mlir::strata::partitioning;

/// The vocabulary axis of split logits, if the vocabulary is split.
std::optional<AxisList> SplitForms::vocabularySplit(Value logits) {
  TensorSharding sharding = actualOf(logits);
  if (sharding.dims.empty() || sharding.dims.back().empty())
    return std::nullopt;
  return sharding.dims.back();
}

/// Logits split only along the vocabulary and complete; labels whole.
LogicalResult SplitForms::prepareVocabularyParallel(Operation *op, Value logits,
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
std::pair<Value, Value>
SplitForms::buildVocabParallelLoss(Location loc, Value logits, Value labels,
                                   tfm::Reduction reduction, Type lossType,
                                   const AxisList &vocabAxes,
                                   IntegerAttr validVocab) {
  auto labelsType = cast<RankedTensorType>(labels.getType());
  Type element = getElementTypeOrSelf(lossType);
  SmallVector<int64_t> statsShape(labelsType.getShape());
  statsShape.push_back(3);
  auto statsType = RankedTensorType::get(statsShape, element);
  Value stats = tfm::VocabParallelStatsOp::create(
      builder, loc, statsType, logits, labels,
      builder.getStringAttr(vocabAxes.front()), validVocab);
  SmallVector<int64_t> gatheredShape(statsShape);
  gatheredShape.back() *= ::strata::sharding::groupSize(axes, vocabAxes);
  Value gathered = dist::AllGatherOp::create(
      builder, loc, RankedTensorType::get(gatheredShape, element), stats,
      meshRef(), strArray(vocabAxes),
      builder.getI64IntegerAttr(statsShape.size() - 1));
  auto lseType = RankedTensorType::get(labelsType.getShape(), element);
  auto loss = tfm::VocabParallelLossOp::create(builder, loc, lossType, lseType,
                                               reduction, gathered, labels);
  return {loss.getLoss(), loss.getLse()};
}

LogicalResult SplitForms::partitionCrossEntropy(tfm::CrossEntropyOp op,
                                                const AxisList &vocabAxes) {
  if (failed(prepareVocabularyParallel(op, op.getLogits(), 1, vocabAxes)))
    return failure();
  builder.setInsertionPoint(op);
  auto [loss, lse] =
      buildVocabParallelLoss(op.getLoc(), op.getLogits(), op.getLabels(),
                             op.getReduction(), op.getType(), vocabAxes,
                             op.getValidVocabAttr());
  lseOfLogits[op.getLogits()] = lse;
  setSharding(loss, cast<RankedTensorType>(loss.getType()),
              TensorSharding::replicated(
                  cast<RankedTensorType>(loss.getType()).getRank()));
  op.getResult().replaceAllUsesWith(loss);
  op.erase();
  return success();
}

LogicalResult SplitForms::partitionCrossEntropyGrad(tfm::CrossEntropyGradOp op,
                                                    const AxisList &vocabAxes) {
  if (failed(prepareVocabularyParallel(op, op.getLogits(), 1, vocabAxes)) ||
      failed(reshardOperand(
          op, 2,
          TensorSharding::replicated(
              cast<RankedTensorType>(op.getLossGrad().getType()).getRank()))))
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
                                 tfm::Reduction::none, lossType, vocabAxes,
                                 op.getValidVocabAttr())
              .second;
  }
  auto grad = tfm::VocabParallelCrossEntropyGradOp::create(
      builder, op.getLoc(), op.getLogits().getType(), op.getReduction(),
      op.getLogits(), op.getLabels(), lse, op.getLossGrad(),
      builder.getStringAttr(vocabAxes.front()), op.getValidVocabAttr());
  setSharding(grad.getResult(), globalTypeOf(op.getLogits()),
              actualOf(op.getLogits()));
  op.getResult().replaceAllUsesWith(grad.getResult());
  op.erase();
  return success();
}

/// grad_norm over split and whole parameters: the split ones' sum of
/// squares is a partial sum over their axes. Under the distributed optimizer
/// each dp rank counts only its block of a sharded parameter's slot (the
/// block tfm.reduce_scatter_grads completed), and those sums are completed
/// over dp (and first over tp for tensor-parallel parameters: the runtime's
/// all-reduce runs over one axis).
LogicalResult SplitForms::partitionGradNorm(tfm::GradNormOp op) {
  if (op.getParametersAttr() || op.getPlus())
    return partitionReplicated(op);
  SmallVector<Attribute> split, whole, splitBlocks, wholeBlocks;
  std::set<std::string> splitAxes;
  for (auto parameter : module.getOps<tfm::ParameterOp>()) {
    if (!parameter.getTrainable())
      continue;
    const TensorSharding &sharding = parameterSharding(parameter.getSymName());
    const bool block = optimizerShards.count(parameter.getSymName()) > 0;
    auto ref = FlatSymbolRefAttr::get(parameter.getSymNameAttr());
    if (sharding.isSplit()) {
      (block ? splitBlocks : split).push_back(ref);
      for (const AxisList &list : sharding.dims)
        splitAxes.insert(list.begin(), list.end());
    } else {
      (block ? wholeBlocks : whole).push_back(ref);
    }
  }
  if (split.empty() && splitBlocks.empty() && wholeBlocks.empty())
    return partitionReplicated(op);
  builder.setInsertionPoint(op);
  Location loc = op.getLoc();
  Type scalar = op.getType();
  auto squares = [&](ArrayRef<Attribute> list, StringAttr shard) -> Value {
    return tfm::GradSquareSumOp::create(builder, loc, scalar,
                                        builder.getArrayAttr(list), shard);
  };
  auto allReduce = [&](Value value, const AxisList &over) -> Value {
    return dist::AllReduceOp::create(
        builder, loc, scalar, value, meshRef(), strArray(over),
        dist::ReductionKindAttr::get(builder.getContext(),
                                     dist::ReductionKind::sum));
  };
  auto add = [&](Value sum, Value term) -> Value {
    return sum ? tfm::AddOp::create(builder, loc, scalar, sum, term) : term;
  };
  const AxisList tensorAxes(splitAxes.begin(), splitAxes.end());
  Value plus;
  if (!split.empty())
    plus = allReduce(squares(split, StringAttr()), tensorAxes);
  if (!splitBlocks.empty() || !wholeBlocks.empty()) {
    StringAttr dp = builder.getStringAttr("dp");
    Value blocks;
    if (!splitBlocks.empty())
      blocks = allReduce(squares(splitBlocks, dp), tensorAxes);
    if (!wholeBlocks.empty())
      blocks = add(blocks, squares(wholeBlocks, dp));
    plus = add(plus, allReduce(blocks, {"dp"}));
  }
  Value norm = tfm::GradNormOp::create(builder, loc, scalar,
                                       builder.getArrayAttr(whole), plus);
  op.getResult().replaceAllUsesWith(norm);
  op.erase();
  return success();
}
