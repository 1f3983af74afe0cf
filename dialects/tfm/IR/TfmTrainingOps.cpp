//===- TfmTrainingOps.cpp - verifiers of the training-phase ops -----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "dialects/tfm/IR/TfmOps.h"
#include "dialects/tfm/IR/TfmShapeUtils.h"

#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::strata::tfm;
using namespace mlir::strata::tfm::detail;

namespace {

/// Checks that |result| has shape |expected|, naming |what| it is.
LogicalResult verifyResultShape(Operation *op, Value result,
                                ArrayRef<int64_t> expected, StringRef what) {
  if (shapesAgree(expected, shapeOf(result)))
    return success();
  return op->emitOpError() << "expected " << what << " of shape "
                           << formatShape(expected) << ", got "
                           << formatShape(result.getType());
}

/// The trainable tfm.parameter that |name| names, or an error on |op|.
FailureOr<ParameterOp> lookupTrainableParameter(Operation *op,
                                                FlatSymbolRefAttr name,
                                                SymbolTableCollection &table) {
  auto parameter = table.lookupNearestSymbolFrom<ParameterOp>(op, name);
  if (!parameter) {
    InFlightDiagnostic diag = op->emitOpError()
                              << name << " does not name a tfm.parameter";
    if (Operation *found = table.lookupNearestSymbolFrom(op, name))
      diag << " (it names a " << found->getName() << ")";
    return diag;
  }
  if (!parameter.getTrainable())
    return op->emitOpError() << name
                             << " is not trainable and has no gradient slot";
  return parameter;
}

/// The main parameter and the moments have the block's size exactly when
/// |op| (an update) works on a block.
LogicalResult verifyOptimizerShard(Operation *op, ParameterOp parameter,
                                   StringAttr shard) {
  StringAttr split = parameter.getOptimizerShardAxis();
  if (split == shard)
    return success();
  return op->emitOpError() << "updates " << (shard ? "a block" : "the whole")
                           << " of @" << parameter.getSymName()
                           << ", whose optimizer state is "
                           << (split ? "split over mesh axis " + split.str()
                                     : std::string("whole"));
}

} // namespace

LogicalResult MatmulGradInputOp::verify() {
  ArrayRef<int64_t> dy = shapeOf(getResultGrad());
  ArrayRef<int64_t> w = shapeOf(getWeight());
  int64_t n = getOutputDims();
  if (n >= static_cast<int64_t>(w.size()) || n > static_cast<int64_t>(dy.size()))
    return emitOpError() << "expected " << n
                         << " output dimensions to be fewer than the weight's "
                            "rank "
                         << w.size() << " and at most the gradient's rank "
                         << dy.size();
  if (!shapesAgree(dy.take_back(n), w.take_front(n)))
    return emitOpError() << "expected the gradient's trailing dimensions "
                         << formatShape(dy.take_back(n))
                         << " to equal the weight's output dimensions "
                         << formatShape(w.take_front(n));
  SmallVector<int64_t> expected(dy.drop_back(n));
  llvm::append_range(expected, w.drop_front(n));
  return verifyResultShape(*this, getInputGrad(), expected, "input gradient");
}

LogicalResult MatmulGradWeightOp::verify() {
  ArrayRef<int64_t> dy = shapeOf(getResultGrad());
  ArrayRef<int64_t> x = shapeOf(getInput());
  int64_t n = getBatchDims();
  if (n >= static_cast<int64_t>(dy.size()) || n >= static_cast<int64_t>(x.size()))
    return emitOpError() << "expected " << n
                         << " batch dimensions to be fewer than the ranks of "
                            "the gradient ("
                         << dy.size() << ") and the input (" << x.size() << ")";
  if (!shapesAgree(dy.take_front(n), x.take_front(n)))
    return emitOpError() << "expected the gradient's batch dimensions "
                         << formatShape(dy.take_front(n))
                         << " to equal the input's "
                         << formatShape(x.take_front(n));
  SmallVector<int64_t> expected(dy.drop_front(n));
  llvm::append_range(expected, x.drop_front(n));
  return verifyResultShape(*this, getWeightGrad(), expected, "weight gradient");
}

LogicalResult BiasGradOp::verify() {
  ArrayRef<int64_t> dy = shapeOf(getResultGrad());
  ArrayRef<int64_t> db = shapeOf(getBiasGrad());
  if (db.empty() || db.size() > dy.size() ||
      !shapesAgree(dy.take_back(db.size()), db))
    return emitOpError() << "expected a result shaped like trailing "
                            "dimensions of the gradient "
                         << formatShape(dy) << ", got " << formatShape(db);
  return success();
}

LogicalResult EmbeddingGradOp::verify() {
  ArrayRef<int64_t> table = shapeOf(getTableGrad());
  if (table.size() != 2)
    return emitOpError() << "expected a table gradient of rank 2, got "
                         << formatShape(table);
  SmallVector<int64_t> expected(shapeOf(getIds()));
  expected.push_back(table[1]);
  if (!shapesAgree(expected, shapeOf(getResultGrad())))
    return emitOpError() << "expected a gradient of shape "
                         << formatShape(expected)
                         << " (the ids shape followed by the table's "
                         << formatDim(table[1]) << " columns), got "
                         << formatShape(getResultGrad().getType());
  return success();
}

LogicalResult LayerNormGradOp::verify() {
  if (failed(verifyFeatureVector(*this, getInput(), getScale(), "scale")))
    return failure();
  return verifyEpsilon(*this, getEpsilon().convertToDouble());
}

LogicalResult RMSNormGradOp::verify() {
  if (failed(verifyFeatureVector(*this, getInput(), getScale(), "scale")))
    return failure();
  return verifyEpsilon(*this, getEpsilon().convertToDouble());
}

LogicalResult AttentionGradOp::verify() {
  if (failed(verifyAttentionOperands(*this, getQuery(), getKey(), getValue(),
                                     getResult(), getLse(), getCausal())))
    return failure();
  double scale = getScale().convertToDouble();
  if (!(scale > 0.0) || !std::isfinite(scale))
    return emitOpError() << "expected a positive, finite scale, got " << scale;
  double dropout = getDropout() ? getDropout()->convertToDouble() : 0.0;
  if (failed(verifyProbability(*this, "dropout", dropout)))
    return failure();
  if (dropout > 0.0 && !getRngStream())
    return emitOpError() << "expected a random stream for dropout " << dropout
                         << " (the forward op's stream)";
  return success();
}

LogicalResult CrossEntropyGradOp::verify() {
  ArrayRef<int64_t> logits = shapeOf(getLogits());
  if (logits.empty())
    return emitOpError() << "expected logits of rank at least 1, got "
                         << getLogits().getType();
  if (!shapesAgree(logits.drop_back(), shapeOf(getLabels())))
    return emitOpError() << "expected labels of shape "
                         << formatShape(logits.drop_back()) << ", got "
                         << formatShape(getLabels().getType());
  Type logitsElement = getElementTypeOrSelf(getLogits().getType());
  Type expectedElement = logitsElement.isF64()
                             ? Type(Float64Type::get(getContext()))
                             : Type(Float32Type::get(getContext()));
  if (getElementTypeOrSelf(getLossGrad().getType()) != expectedElement)
    return emitOpError() << "expected a loss gradient of element type "
                         << expectedElement << " for " << logitsElement
                         << " logits, got "
                         << getElementTypeOrSelf(getLossGrad().getType());
  if (failed(verifyLossGradShape(*this, getReduction() == Reduction::none,
                                 stringifyReduction(getReduction()),
                                 getLabels(), getLossGrad())))
    return failure();
  return verifyValidVocab(*this, getValidVocab(), getLogits());
}

LogicalResult
AccumulateGradOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  FailureOr<ParameterOp> parameter =
      lookupTrainableParameter(*this, getNameAttr(), symbolTable);
  if (failed(parameter))
    return failure();
  if (parameter->getGradType() != getValue().getType())
    return emitOpError() << "expected a gradient of type "
                         << parameter->getGradType() << " for @" << getName()
                         << ", got " << getValue().getType();
  return success();
}

LogicalResult AdamWOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  FailureOr<ParameterOp> parameter =
      lookupTrainableParameter(*this, getNameAttr(), symbolTable);
  if (failed(parameter))
    return failure();
  if (failed(verifyOptimizerShard(*this, *parameter, getShardAxisAttr())))
    return failure();
  const bool hasMain = static_cast<bool>(parameter->getMainElementType());
  if (getMain() && !hasMain)
    return emitOpError() << "updates the main parameter of @" << getName()
                         << ", which has none";
  if (!getMain() && hasMain)
    return emitOpError() << "updates @" << getName()
                         << ", which has a main parameter of type "
                         << parameter->getOptimizerLocalType();
  return success();
}

LogicalResult AdamWOp::verify() {
  if (getFiniteCheck() && getFiniteCheck().getType() != getLr().getType())
    return emitOpError() << "expected the if_finite value of type "
                         << getLr().getType() << " (the hyperparameters'), got "
                         << getFiniteCheck().getType();
  return success();
}

LogicalResult
ParamFromMainOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  FailureOr<ParameterOp> parameter =
      lookupTrainableParameter(*this, getNameAttr(), symbolTable);
  if (failed(parameter))
    return failure();
  if (!parameter->getMainElementType())
    return emitOpError() << "@" << getName() << " of type "
                         << parameter->getTensorType()
                         << " has no main parameter to round";
  return verifyOptimizerShard(*this, *parameter, getShardAxisAttr());
}

LogicalResult GradNormOp::verify() {
  // Without a list the norm reads every slot; a sum from elsewhere would
  // count the split ones twice.
  if (getPlus() && !getParametersAttr())
    return emitOpError("with a 'plus' sum lists the parameters it reads "
                       "('of [...]', possibly empty)");
  return success();
}
