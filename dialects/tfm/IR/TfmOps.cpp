//===- TfmOps.cpp - tfm dialect operations --------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Verifiers state the values at fault: "expected ..., got ...", with shapes
// printed as 4x1024x768 (`?` for a dynamic dimension).
//
//===----------------------------------------------------------------------===//
#include "dialects/tfm/IR/TfmOps.h"
#include "dialects/tfm/IR/TfmShapeUtils.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace mlir;
using namespace mlir::strata::tfm;

//===----------------------------------------------------------------------===//
// Shape helpers
//===----------------------------------------------------------------------===//

using namespace mlir::strata::tfm::detail;

//===----------------------------------------------------------------------===//
// ParameterOp
//===----------------------------------------------------------------------===//

LogicalResult ParameterOp::verify() {
  RankedTensorType type = getTensorType();
  if (!type.hasStaticShape())
    return emitOpError() << "expected a statically shaped parameter, got "
                         << type;
  for (auto [i, dim] : llvm::enumerate(type.getShape()))
    if (dim < 1)
      return emitOpError() << "expected every dimension of parameter @"
                           << getSymName() << " to be at least 1, got "
                           << dim << " for dimension " << i;
  // The distributed optimizer's moments: one 1-D block of the local
  // parameter.
  auto optimizerType =
      (*this)->getAttrOfType<TypeAttr>(getOptimizerLocalTypeAttrName());
  if (static_cast<bool>(getOptimizerShardAxis()) !=
      static_cast<bool>(optimizerType))
    return emitOpError() << "expected " << getOptimizerShardAxisAttrName()
                         << " and " << getOptimizerLocalTypeAttrName()
                         << " together";
  if (Type main = getMainElementType()) {
    Type element = type.getElementType();
    if (!main.isF32())
      return emitOpError() << "expected an f32 main parameter, got " << main;
    if (!element.isBF16() && !element.isF16())
      return emitOpError() << "expected a main parameter only for a bf16 or "
                              "f16 parameter, got "
                           << element;
    if (!getTrainable())
      return emitOpError() << "expected a main parameter only for a "
                              "trainable parameter (the optimizer's copy)";
  }
  const bool int8 = type.getElementType().isInteger(8);
  if (int8 != static_cast<bool>(getScalesAttr()))
    return emitOpError() << (int8 ? "expected scales for the i8 parameter @"
                                  : "expected scales only on an i8 parameter, "
                                    "got them on @")
                         << getSymName();
  if (int8 && getTrainable())
    return emitOpError() << "expected the i8 parameter @" << getSymName()
                         << " not to be trainable (weight-only quantization "
                            "is for inference)";
  if (optimizerType) {
    auto block = dyn_cast<RankedTensorType>(optimizerType.getValue());
    RankedTensorType local = getLocalType();
    if (!block || block.getRank() != 1 ||
        block.getElementType() != getSlotElementType() ||
        !block.hasStaticShape() || block.getNumElements() < 1 ||
        local.getNumElements() % block.getNumElements() != 0)
      return emitOpError() << "expected an optimizer block of a 1-D tensor "
                              "whose size divides the "
                           << local.getNumElements()
                           << " elements of the local type " << local
                           << ", got " << optimizerType.getValue();
  }
  return success();
}

LogicalResult
ParameterOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  if (!getScalesAttr())
    return success();
  auto scales =
      symbolTable.lookupNearestSymbolFrom<ParameterOp>(*this, getScalesAttr());
  if (!scales)
    return emitOpError() << "scales @" << getScalesAttr().getValue()
                         << " of @" << getSymName()
                         << " do not name a tfm.parameter";
  RankedTensorType type = getTensorType(), scale = scales.getTensorType();
  if (!scale.getElementType().isF32() || scale.getRank() >= type.getRank() ||
      scale.getShape() != type.getShape().take_front(scale.getRank()))
    return emitOpError() << "expected scales @" << getScalesAttr().getValue()
                         << " of @" << getSymName()
                         << " to be f32 of the weight's leading dimensions "
                            "(one per output channel) of "
                         << type << ", got " << scale;
  return success();
}

//===----------------------------------------------------------------------===//
// ParamRefOp
//===----------------------------------------------------------------------===//

LogicalResult
ParamRefOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto parameter =
      symbolTable.lookupNearestSymbolFrom<ParameterOp>(*this, getNameAttr());
  if (!parameter) {
    Operation *found = symbolTable.lookupNearestSymbolFrom(*this, getNameAttr());
    InFlightDiagnostic diag = emitOpError()
                              << "@" << getName() << " does not name a tfm.parameter";
    if (found)
      diag << " (it names a " << found->getName() << ")";
    return diag;
  }
  if (parameter.getLocalType() != getType())
    return emitOpError() << "expected type " << parameter.getLocalType()
                         << " of parameter @" << getName() << ", got "
                         << getType();
  return success();
}

//===----------------------------------------------------------------------===//
// CastOp and rematerialization
//===----------------------------------------------------------------------===//

LogicalResult CastOp::verify() {
  auto input = cast<RankedTensorType>(getInput().getType());
  auto result = cast<RankedTensorType>(getType());
  if (input.getShape() != result.getShape())
    return emitOpError() << "expected a result of the input's shape "
                         << formatShape(input) << ", got "
                         << formatShape(result);
  if (input.getElementType() == result.getElementType())
    return emitOpError() << "expected a cast between different element "
                            "types, got "
                         << input.getElementType() << " to "
                         << result.getElementType();
  return success();
}

bool mlir::strata::tfm::isRematerializable(Operation *op) {
  if (!op || op->getNumRegions() != 0 || !isPure(op))
    return false;
  return llvm::all_of(op->getOperands(), [](Value operand) {
    return isRematerializable(operand.getDefiningOp());
  });
}

Operation *mlir::strata::tfm::cloneWithRematerializedOperands(
    OpBuilder &builder, Operation &op, IRMapping &mapping) {
  for (Value operand : op.getOperands())
    if (Operation *def = operand.getDefiningOp();
        def && !mapping.contains(operand) && isRematerializable(def))
      cloneWithRematerializedOperands(builder, *def, mapping);
  return builder.clone(op, mapping);
}

//===----------------------------------------------------------------------===//
// LayerOp
//===----------------------------------------------------------------------===//

LayerOp mlir::strata::tfm::eraseLayerResults(LayerOp layer,
                                             const llvm::BitVector &drop) {
  if (drop.none())
    return layer;
  layer.getBody().front().getTerminator()->eraseOperands(drop);
  SmallVector<Type> types;
  for (OpResult result : layer.getResults())
    if (!drop.test(result.getResultNumber()))
      types.push_back(result.getType());
  OpBuilder builder(layer);
  auto replacement =
      LayerOp::create(builder, layer.getLoc(), layer.getIndex(),
                      layer.getInputs(), types, layer.getBackward());
  replacement->setDiscardableAttrs(layer->getDiscardableAttrDictionary());
  replacement.getBody().takeBody(layer.getBody());
  unsigned next = 0;
  for (OpResult result : layer.getResults())
    if (!drop.test(result.getResultNumber()))
      result.replaceAllUsesWith(replacement.getResult(next++));
  layer.erase();
  return replacement;
}

void LayerOp::build(OpBuilder &builder, OperationState &state, int64_t index,
                    ValueRange inputs, TypeRange resultTypes, bool backward) {
  state.addAttribute(getIndexAttrName(state.name),
                     builder.getI64IntegerAttr(index));
  if (backward)
    state.addAttribute(getBackwardAttrName(state.name), builder.getUnitAttr());
  state.addOperands(inputs);
  state.addTypes(resultTypes);
  Region *body = state.addRegion();
  Block *block = new Block();
  body->push_back(block);
  for (Value input : inputs)
    block->addArgument(input.getType(), input.getLoc());
}

LogicalResult LayerOp::verifyRegions() {
  Block &block = getBody().front();
  if (block.getNumArguments() != getInputs().size())
    return emitOpError() << "expected one block argument per input ("
                         << getInputs().size() << "), got "
                         << block.getNumArguments();
  for (auto [i, pair] :
       llvm::enumerate(llvm::zip(getInputs(), block.getArguments()))) {
    auto [input, argument] = pair;
    if (input.getType() != argument.getType())
      return emitOpError() << "expected block argument #" << i
                           << " to have the type of input #" << i << " "
                           << input.getType() << ", got "
                           << argument.getType();
  }
  auto yield = cast<YieldOp>(block.getTerminator());
  if (yield.getValues().size() != getNumResults())
    return emitOpError() << "expected tfm.yield of one value per result ("
                         << getNumResults() << "), got "
                         << yield.getValues().size();
  for (auto [i, pair] :
       llvm::enumerate(llvm::zip(yield.getValues(), getResultTypes()))) {
    auto [value, type] = pair;
    if (value.getType() != type)
      return emitOpError() << "expected yielded value #" << i
                           << " to have result type " << type << ", got "
                           << value.getType();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// EmbeddingOp
//===----------------------------------------------------------------------===//

/// An embedding's shapes (tfm.embedding, tfm.quantized_embedding): a table
/// [rows, columns] and a result of the ids' shape followed by the columns.
static LogicalResult verifyEmbeddingShapes(Operation *op, Value table,
                                           Value ids, Value result) {
  ArrayRef<int64_t> rowsColumns = shapeOf(table);
  if (rowsColumns.size() != 2)
    return op->emitOpError()
           << "expected a table of rank 2 [rows, columns], got "
           << table.getType();
  SmallVector<int64_t> expected(shapeOf(ids));
  expected.push_back(rowsColumns[1]);
  if (!shapesAgree(expected, shapeOf(result)))
    return op->emitOpError()
           << "expected result shape " << formatShape(expected)
           << " (the ids shape followed by " << formatDim(rowsColumns[1])
           << " table columns), got " << formatShape(result.getType());
  return success();
}

LogicalResult EmbeddingOp::verify() {
  return verifyEmbeddingShapes(*this, getTable(), getIds(), getResult());
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::verify() {
  ArrayRef<int64_t> input = shapeOf(getInput());
  ArrayRef<int64_t> weight = shapeOf(getWeight());
  int64_t n = getNumContractingDims();
  if (n > static_cast<int64_t>(input.size()))
    return emitOpError() << "expected at most " << input.size()
                         << " contracting dimensions (the input's rank), got "
                         << n;
  if (n >= static_cast<int64_t>(weight.size()))
    return emitOpError() << "expected a weight of rank greater than " << n
                         << " (contracting dimensions plus at least one "
                            "output dimension), got rank "
                         << weight.size();
  ArrayRef<int64_t> inputK = input.take_back(n);
  ArrayRef<int64_t> weightK = weight.take_back(n);
  if (!shapesAgree(inputK, weightK))
    return emitOpError() << "expected the input's contracting dimensions "
                         << formatShape(inputK)
                         << " to equal the weight's trailing dimensions "
                         << formatShape(weightK);
  SmallVector<int64_t> expected(input.drop_back(n));
  llvm::append_range(expected, weight.drop_back(n));
  if (!shapesAgree(expected, shapeOf(getResult())))
    return emitOpError() << "expected result shape " << formatShape(expected)
                         << " (input " << formatShape(input.drop_back(n))
                         << " by weight outputs "
                         << formatShape(weight.drop_back(n)) << "), got "
                         << formatShape(getResult().getType());
  return success();
}

//===----------------------------------------------------------------------===//
// QuantizedMatmulOp / QuantizedEmbeddingOp
//===----------------------------------------------------------------------===//

/// Input and result share one element type; the scales cover |outputs|
/// (one scale per |what|).
static LogicalResult verifyQuantizedOperands(Operation *op, Value input,
                                             Value scales,
                                             ArrayRef<int64_t> outputs,
                                             StringRef what) {
  Type result = getElementTypeOrSelf(op->getResult(0).getType());
  if (input && getElementTypeOrSelf(input.getType()) != result)
    return op->emitOpError()
           << "expected the result's element type "
           << getElementTypeOrSelf(input.getType()) << " (the input's), got "
           << result;
  if (!shapesAgree(outputs, shapeOf(scales)))
    return op->emitOpError()
           << "expected scales of shape " << formatShape(outputs)
           << " (one per " << what << "), got "
           << formatShape(scales.getType());
  return success();
}

LogicalResult QuantizedMatmulOp::verify() {
  ArrayRef<int64_t> input = shapeOf(getInput());
  ArrayRef<int64_t> weight = shapeOf(getWeight());
  int64_t n = getNumContractingDims();
  if (n > static_cast<int64_t>(input.size()) ||
      n >= static_cast<int64_t>(weight.size()))
    return emitOpError() << "expected " << n
                         << " contracting dimensions to fit the input's rank "
                         << input.size() << " and leave an output dimension "
                         << "of the weight's rank " << weight.size();
  if (!shapesAgree(input.take_back(n), weight.take_back(n)))
    return emitOpError() << "expected the input's contracting dimensions "
                         << formatShape(input.take_back(n))
                         << " to equal the weight's trailing dimensions "
                         << formatShape(weight.take_back(n));
  SmallVector<int64_t> expected(input.drop_back(n));
  llvm::append_range(expected, weight.drop_back(n));
  if (!shapesAgree(expected, shapeOf(getResult())))
    return emitOpError() << "expected result shape " << formatShape(expected)
                         << ", got " << formatShape(getResult().getType());
  return verifyQuantizedOperands(*this, getInput(), getScales(),
                                 weight.drop_back(n),
                                 "output channel of the weight");
}

LogicalResult QuantizedEmbeddingOp::verify() {
  if (failed(verifyEmbeddingShapes(*this, getTable(), getIds(), getResult())))
    return failure();
  return verifyQuantizedOperands(*this, Value(), getScales(),
                                 shapeOf(getTable()).take_front(1),
                                 "row of the table");
}

//===----------------------------------------------------------------------===//
// BiasAddOp
//===----------------------------------------------------------------------===//

LogicalResult BiasAddOp::verify() {
  return verifyTrailingBias(*this, getInput(), getBias());
}

//===----------------------------------------------------------------------===//
// SplitHeadsOp / MergeHeadsOp
//===----------------------------------------------------------------------===//

/// Checks |merged| = [lead..., H] against |split| = [lead..., heads, dim].
static LogicalResult verifyHeadsReshape(Operation *op, Value mergedValue,
                                        Value splitValue) {
  ArrayRef<int64_t> merged = shapeOf(mergedValue);
  ArrayRef<int64_t> split = shapeOf(splitValue);
  if (merged.empty() || split.size() != merged.size() + 1)
    return op->emitOpError()
           << "expected the split shape to have one more dimension than the "
              "merged shape, got "
           << formatShape(split) << " and " << formatShape(merged);
  if (!shapesAgree(merged.drop_back(), split.drop_back(2)))
    return op->emitOpError() << "expected leading dimensions "
                             << formatShape(merged.drop_back())
                             << " to be kept, got "
                             << formatShape(split.drop_back(2));
  int64_t heads = fromEnd(split, 1), dim = fromEnd(split, 0);
  if (ShapedType::isDynamic(heads) || ShapedType::isDynamic(dim))
    return op->emitOpError() << "expected static heads and head_dim, got "
                             << formatShape(split.take_back(2));
  if (!dimsAgree(merged.back(), heads * dim))
    return op->emitOpError() << "expected " << heads << " heads x " << dim
                             << " head_dim = " << heads * dim
                             << " to equal the merged dimension "
                             << merged.back();
  return success();
}

LogicalResult SplitHeadsOp::verify() {
  return verifyHeadsReshape(*this, getInput(), getResult());
}

LogicalResult MergeHeadsOp::verify() {
  return verifyHeadsReshape(*this, getResult(), getInput());
}

//===----------------------------------------------------------------------===//
// LayerNormOp / RMSNormOp
//===----------------------------------------------------------------------===//

LogicalResult LayerNormOp::verify() {
  if (failed(verifyFeatureVector(*this, getInput(), getScale(), "scale")))
    return failure();
  if (getBias() &&
      failed(verifyFeatureVector(*this, getInput(), getBias(), "bias")))
    return failure();
  return verifyEpsilon(*this, getEpsilon().convertToDouble());
}

LogicalResult RMSNormOp::verify() {
  if (failed(verifyFeatureVector(*this, getInput(), getScale(), "scale")))
    return failure();
  return verifyEpsilon(*this, getEpsilon().convertToDouble());
}

//===----------------------------------------------------------------------===//
// RotaryEmbeddingOp
//===----------------------------------------------------------------------===//

LogicalResult RotaryEmbeddingOp::verify() {
  ArrayRef<int64_t> input = shapeOf(getInput());
  ArrayRef<int64_t> positions = shapeOf(getPositions());
  if (input.size() != 4)
    return emitOpError() << "expected input of rank 4 [batch, seq, heads, "
                            "head_dim], got "
                         << getInput().getType();
  if (!shapesAgree(positions, input.take_front(2)))
    return emitOpError() << "expected positions of shape "
                         << formatShape(input.take_front(2))
                         << " (the input's batch and seq), got "
                         << formatShape(positions);
  int64_t dims = getRotaryDims();
  int64_t headDim = input[3];
  if (dims % 2 != 0)
    return emitOpError() << "expected an even number of rotary dims, got "
                         << dims;
  if (!ShapedType::isDynamic(headDim) && dims > headDim)
    return emitOpError() << "expected rotary dims " << dims
                         << " to be at most head_dim " << headDim;
  double base = getBase().convertToDouble();
  if (!(base > 1.0) || !std::isfinite(base))
    return emitOpError() << "expected a finite base greater than 1, got "
                         << base;
  return success();
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

LogicalResult mlir::strata::tfm::detail::verifyAttentionOperands(
    Operation *op, Value query, Value key, Value value, Value result,
    Value lse, bool causal) {
  if (failed(verifySameElementType(
          op, {query, key, value, result},
          {"query", "key", "value", "result"})))
    return failure();
  ArrayRef<int64_t> q = shapeOf(query);
  ArrayRef<int64_t> k = shapeOf(key);
  ArrayRef<int64_t> v = shapeOf(value);
  for (auto [name, shape] : {std::pair<StringRef, ArrayRef<int64_t>>{"query", q},
                             {"key", k},
                             {"value", v}})
    if (shape.size() != 4)
      return op->emitOpError() << "expected " << name
                           << " of rank 4 [batch, seq, heads, head_dim], got "
                           << formatShape(shape);
  if (!dimsAgree(q[0], k[0]) || !dimsAgree(k[0], v[0]))
    return op->emitOpError() << "expected equal batch sizes, got query "
                         << formatDim(q[0]) << ", key " << formatDim(k[0])
                         << ", value " << formatDim(v[0]);
  if (!dimsAgree(k[1], v[1]) || !dimsAgree(k[2], v[2]))
    return op->emitOpError() << "expected key and value to agree in length and "
                            "groups, got key "
                         << formatShape(k) << " and value " << formatShape(v);
  if (!dimsAgree(q[3], k[3]))
    return op->emitOpError() << "expected query head_dim " << q[3]
                         << " to equal key head_dim " << k[3];
  int64_t heads = q[2], groups = k[2];
  if (!ShapedType::isDynamic(heads) && !ShapedType::isDynamic(groups) &&
      (groups < 1 || heads % groups != 0))
    return op->emitOpError() << "expected " << heads
                         << " query heads to be divisible by " << groups
                         << " key/value groups";
  if (causal && !ShapedType::isDynamic(q[1]) &&
      !ShapedType::isDynamic(k[1]) && q[1] > k[1])
    return op->emitOpError() << "expected causal query length " << q[1]
                         << " to be at most key length " << k[1];
  SmallVector<int64_t> expected = {q[0], q[1], q[2], v[3]};
  if (!shapesAgree(expected, shapeOf(result)))
    return op->emitOpError() << "expected result shape " << formatShape(expected)
                         << " [batch, query length, heads, value head_dim], "
                            "got "
                         << formatShape(result.getType());
  if (lse) {
    SmallVector<int64_t> lseShape = {q[0], q[2], q[1]};
    if (!shapesAgree(lseShape, shapeOf(lse)))
      return op->emitOpError() << "expected lse of shape " << formatShape(lseShape)
                           << " [batch, heads, query length], got "
                           << formatShape(lse.getType());
    Type expectedElement =
        getElementTypeOrSelf(query.getType()).isF64()
            ? Type(Float64Type::get(op->getContext()))
            : Type(Float32Type::get(op->getContext()));
    if (getElementTypeOrSelf(lse.getType()) != expectedElement)
      return op->emitOpError() << "expected lse of element type "
                           << expectedElement << ", got "
                           << getElementTypeOrSelf(lse.getType());
  }
  return success();
}

LogicalResult AttentionOp::verify() {
  if (failed(verifyAttentionOperands(*this, getQuery(), getKey(), getValue(),
                                     getResult(), getLse(), getCausal())))
    return failure();
  double scale = getScale().convertToDouble();
  if (!(scale > 0.0) || !std::isfinite(scale))
    return emitOpError() << "expected a positive, finite scale, got "
                         << scale;
  if (failed(verifyProbability(*this, "dropout", getDropoutRate())))
    return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// DropoutOp
//===----------------------------------------------------------------------===//

LogicalResult DropoutOp::verify() {
  return verifyProbability(*this, "rate", getRate().convertToDouble());
}

//===----------------------------------------------------------------------===//
// CrossEntropyOp
//===----------------------------------------------------------------------===//

LogicalResult CrossEntropyOp::verify() {
  ArrayRef<int64_t> logits = shapeOf(getLogits());
  ArrayRef<int64_t> labels = shapeOf(getLabels());
  if (logits.empty())
    return emitOpError() << "expected logits of rank at least 1, got "
                         << getLogits().getType();
  if (!shapesAgree(logits.drop_back(), labels))
    return emitOpError() << "expected labels of shape "
                         << formatShape(logits.drop_back())
                         << " (the logits without the vocabulary "
                            "dimension), got "
                         << formatShape(labels);
  auto result = cast<RankedTensorType>(getResult().getType());
  Type logitsElement = getElementTypeOrSelf(getLogits().getType());
  Type expectedElement = logitsElement.isF64()
                             ? Type(Float64Type::get(getContext()))
                             : Type(Float32Type::get(getContext()));
  if (result.getElementType() != expectedElement)
    return emitOpError() << "expected a loss of element type "
                         << expectedElement << " for " << logitsElement
                         << " logits, got " << result.getElementType();
  ArrayRef<int64_t> expectedShape =
      getReduction() == Reduction::none ? labels : ArrayRef<int64_t>{};
  if (!shapesAgree(expectedShape, result.getShape()))
    return emitOpError() << "expected a loss of shape "
                         << formatShape(expectedShape) << " for reduction "
                         << stringifyReduction(getReduction()) << ", got "
                         << formatShape(result.getShape());
  return verifyValidVocab(*this, getValidVocab(), getLogits());
}

#include "dialects/tfm/IR/TfmInterfaces.cpp.inc"

#define GET_OP_CLASSES
#include "dialects/tfm/IR/TfmOps.cpp.inc"
