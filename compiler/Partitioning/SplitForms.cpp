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
  auto loss = tfm::VocabParallelLossOp::create(builder, loc, lossType, lseType,
                                               reduction, gathered);
  return {loss.getLoss(), loss.getLse()};
}

LogicalResult SplitForms::partitionCrossEntropy(tfm::CrossEntropyOp op,
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
LogicalResult SplitForms::partitionGradNorm(tfm::GradNormOp op) {
  if (op.getParametersAttr() || op.getPlus())
    return partitionReplicated(op);
  SmallVector<Attribute> split, whole;
  std::set<std::string> splitAxes;
  for (auto parameter : module.getOps<tfm::ParameterOp>()) {
    if (!parameter.getTrainable())
      continue;
    const TensorSharding &sharding = parameterSharding(parameter.getSymName());
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
