//===- TfmParallelOps.cpp - verifiers of the partitioned-program ops ------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "dialects/tfm/IR/TfmOps.h"
#include "dialects/tfm/IR/TfmShapeUtils.h"

using namespace mlir;
using namespace mlir::strata::tfm;
using namespace mlir::strata::tfm::detail;

/// Logits of rank >= 1 whose leading dimensions are the labels' shape.
static LogicalResult verifyLogitsAndLabels(Operation *op, Value logits,
                                           Value labels) {
  ArrayRef<int64_t> shape = shapeOf(logits);
  if (shape.empty())
    return op->emitOpError() << "expected logits of rank at least 1, got "
                             << logits.getType();
  if (!shapesAgree(shape.drop_back(), shapeOf(labels)))
    return op->emitOpError()
           << "expected labels of shape " << formatShape(shape.drop_back())
           << ", got " << formatShape(labels.getType());
  return success();
}

LogicalResult VocabParallelStatsOp::verify() {
  if (failed(verifyLogitsAndLabels(*this, getLogits(), getLabels())))
    return failure();
  SmallVector<int64_t> expected(shapeOf(getLabels()));
  expected.push_back(3);
  if (!shapesAgree(expected, shapeOf(getStats())))
    return emitOpError() << "expected statistics of shape "
                         << formatShape(expected) << ", got "
                         << formatShape(getStats().getType());
  return verifyValidVocab(*this, getValidVocab(), /*logits=*/Value());
}

LogicalResult VocabParallelLossOp::verify() {
  ArrayRef<int64_t> gathered = shapeOf(getGathered());
  if (gathered.empty() || ShapedType::isDynamic(gathered.back()) ||
      gathered.back() % 3 != 0)
    return emitOpError() << "expected gathered statistics whose last "
                            "dimension is a multiple of 3, got "
                         << formatShape(getGathered().getType());
  if (!shapesAgree(gathered.drop_back(), shapeOf(getLabels())))
    return emitOpError() << "expected labels of shape "
                         << formatShape(gathered.drop_back()) << ", got "
                         << formatShape(getLabels().getType());
  if (!shapesAgree(gathered.drop_back(), shapeOf(getLse())))
    return emitOpError() << "expected lse of shape "
                         << formatShape(gathered.drop_back()) << ", got "
                         << formatShape(getLse().getType());
  ArrayRef<int64_t> loss = getReduction() == Reduction::none
                               ? gathered.drop_back()
                               : ArrayRef<int64_t>{};
  if (!shapesAgree(loss, shapeOf(getLoss())))
    return emitOpError() << "expected a loss of shape " << formatShape(loss)
                         << " for reduction "
                         << stringifyReduction(getReduction()) << ", got "
                         << formatShape(getLoss().getType());
  return success();
}

LogicalResult VocabParallelCrossEntropyGradOp::verify() {
  if (failed(verifyLogitsAndLabels(*this, getLogits(), getLabels())))
    return failure();
  if (!shapesAgree(shapeOf(getLabels()), shapeOf(getLse())))
    return emitOpError() << "expected lse of shape "
                         << formatShape(getLabels().getType()) << ", got "
                         << formatShape(getLse().getType());
  if (failed(verifyLossGradShape(*this, getReduction() == Reduction::none,
                                 stringifyReduction(getReduction()),
                                 getLabels(), getLossGrad())))
    return failure();
  return verifyValidVocab(*this, getValidVocab(), /*logits=*/Value());
}

/// Every entry of |names| names a trainable tfm.parameter.
static LogicalResult verifyTrainableList(Operation *op, ArrayAttr names,
                                         SymbolTableCollection &symbolTable) {
  for (Attribute name : names) {
    auto parameter = symbolTable.lookupNearestSymbolFrom<ParameterOp>(
        op, cast<SymbolRefAttr>(name));
    if (!parameter || !parameter.getTrainable())
      return op->emitOpError()
             << name << " does not name a trainable tfm.parameter";
  }
  return success();
}

/// Every entry of |names| names a trainable tfm.parameter whose optimizer
/// state is split over mesh axis |axis|.
static LogicalResult verifyOptimizerShards(Operation *op, ArrayAttr names,
                                           StringRef axis,
                                           SymbolTableCollection &symbolTable) {
  if (failed(verifyTrainableList(op, names, symbolTable)))
    return failure();
  for (Attribute name : names) {
    auto parameter = symbolTable.lookupNearestSymbolFrom<ParameterOp>(
        op, cast<SymbolRefAttr>(name));
    StringAttr split = parameter.getOptimizerShardAxis();
    if (!split || split.getValue() != axis)
      return op->emitOpError()
             << "expected the optimizer state of " << name
             << " to be split over mesh axis \"" << axis << "\", but it is "
             << (split ? "split over \"" + split.str() + "\""
                       : std::string("whole"));
  }
  return success();
}

/// The single axis of a distributed-optimizer collective.
static FailureOr<StringRef> singleAxis(Operation *op, ArrayAttr axes) {
  if (axes.size() != 1)
    return op->emitOpError() << "expected one mesh axis, got " << axes;
  return cast<StringAttr>(axes[0]).getValue();
}

LogicalResult
GradSquareSumOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  if (StringAttr axis = getShardAxisAttr())
    return verifyOptimizerShards(*this, getParameters(), axis.getValue(),
                                 symbolTable);
  return verifyTrainableList(*this, getParameters(), symbolTable);
}

LogicalResult
ReduceGradsOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  return verifyTrainableList(*this, getParameters(), symbolTable);
}

LogicalResult
ReduceScatterGradsOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  FailureOr<StringRef> axis = singleAxis(*this, getAxes());
  return failure(failed(axis) ||
                 failed(verifyOptimizerShards(*this, getParameters(), *axis,
                                              symbolTable)));
}

LogicalResult
GatherParamsOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  FailureOr<StringRef> axis = singleAxis(*this, getAxes());
  return failure(failed(axis) ||
                 failed(verifyOptimizerShards(*this, getParameters(), *axis,
                                              symbolTable)));
}
