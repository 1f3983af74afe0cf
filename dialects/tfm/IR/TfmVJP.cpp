//===- TfmVJP.cpp - vector-Jacobian products of tfm ops -------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Each differentiable op builds the gradients of its operands from the
// gradients of its results. Non-differentiable operands (ids, positions,
// labels) get a null Value. The reverse-mode driver
// (compiler/Transforms/DeriveTraining.cpp) calls these in reverse program
// order and sums the contributions a value receives from several users.
//
//===----------------------------------------------------------------------===//
#include "dialects/tfm/IR/TfmOps.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace mlir::strata::tfm;

namespace {

int64_t rankOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getRank();
}


} // namespace

LogicalResult ParamRefOp::buildVJP(OpBuilder &builder,
                                   ArrayRef<Value> resultGrads,
                                   SmallVectorImpl<Value> &operandGrads) {
  if (!resultGrads[0])
    return success();
  return buildVJPFor(
      SymbolTable::lookupNearestSymbolFrom<ParameterOp>(*this, getNameAttr()),
      builder, resultGrads);
}

LogicalResult ParamRefOp::buildVJPFor(ParameterOp parameter,
                                      OpBuilder &builder,
                                      ArrayRef<Value> resultGrads) {
  Value grad = resultGrads[0];
  if (!grad)
    return success();
  if (!parameter)
    return emitOpError() << "cannot differentiate a read of @" << getName()
                         << ", which is not a tfm.parameter";
  // Frozen parameters get no gradient work; the ops that computed |grad|
  // lose their last use and are removed as dead code.
  if (!parameter.getTrainable())
    return success();
  // Mixed precision O2: the gradient slot is f32 while the parameter (and
  // so |grad|) is bf16 or f16; each contribution is widened first.
  RankedTensorType slot = parameter.getGradType();
  if (grad.getType() != slot)
    grad = CastOp::create(builder, getLoc(), slot, grad);
  AccumulateGradOp::create(builder, getLoc(), getNameAttr(), grad);
  return success();
}

LogicalResult CastOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                               SmallVectorImpl<Value> &operandGrads) {
  Value dy = resultGrads[0];
  operandGrads.push_back(
      dy ? CastOp::create(builder, getLoc(), getInput().getType(), dy)
               .getResult()
         : Value());
  return success();
}

LogicalResult EmbeddingOp::buildVJP(OpBuilder &builder,
                                    ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  Value dy = resultGrads[0];
  operandGrads.push_back(
      dy ? EmbeddingGradOp::create(builder, getLoc(), getTable().getType(), dy,
                                   getIds(), getVocabShardAxisAttr())
               .getResult()
         : Value());
  operandGrads.push_back(Value());
  return success();
}

LogicalResult MatmulOp::buildVJP(OpBuilder &builder,
                                 ArrayRef<Value> resultGrads,
                                 SmallVectorImpl<Value> &operandGrads) {
  Value dy = resultGrads[0];
  if (!dy) {
    operandGrads.append({Value(), Value()});
    return success();
  }
  int64_t contracting = getNumContractingDims();
  int64_t outputDims = rankOf(getWeight()) - contracting;
  int64_t batchDims = rankOf(getInput()) - contracting;
  operandGrads.push_back(MatmulGradInputOp::create(
      builder, getLoc(), getInput().getType(), dy, getWeight(),
      builder.getI64IntegerAttr(outputDims)));
  // A matmul without batch dimensions (a plain vector-matrix product) has
  // no GEMM form for its weight gradient here; the frontend never emits it.
  if (batchDims < 1)
    return emitOpError() << "cannot differentiate with respect to the weight "
                            "without leading batch dimensions in the input";
  operandGrads.push_back(MatmulGradWeightOp::create(
      builder, getLoc(), getWeight().getType(), dy, getInput(),
      builder.getI64IntegerAttr(batchDims)));
  return success();
}

LogicalResult BiasAddOp::buildVJP(OpBuilder &builder,
                                  ArrayRef<Value> resultGrads,
                                  SmallVectorImpl<Value> &operandGrads) {
  Value dy = resultGrads[0];
  operandGrads.push_back(dy);
  operandGrads.push_back(
      dy ? BiasGradOp::create(builder, getLoc(), getBias().getType(), dy)
               .getResult()
         : Value());
  return success();
}

LogicalResult SplitHeadsOp::buildVJP(OpBuilder &builder,
                                     ArrayRef<Value> resultGrads,
                                     SmallVectorImpl<Value> &operandGrads) {
  Value dy = resultGrads[0];
  operandGrads.push_back(
      dy ? MergeHeadsOp::create(builder, getLoc(), getInput().getType(), dy)
               .getResult()
         : Value());
  return success();
}

LogicalResult MergeHeadsOp::buildVJP(OpBuilder &builder,
                                     ArrayRef<Value> resultGrads,
                                     SmallVectorImpl<Value> &operandGrads) {
  Value dy = resultGrads[0];
  operandGrads.push_back(
      dy ? SplitHeadsOp::create(builder, getLoc(), getInput().getType(), dy)
               .getResult()
         : Value());
  return success();
}

LogicalResult LayerNormOp::buildVJP(OpBuilder &builder,
                                    ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  Value dy = resultGrads[0];
  if (!dy) {
    operandGrads.append(getNumOperands(), Value());
    return success();
  }
  auto grad =
      LayerNormGradOp::create(builder, getLoc(), dy, getInput(), getScale(),
                              getEpsilonAttr(), getZeroCenteredGammaAttr());
  operandGrads.push_back(grad.getInputGrad());
  operandGrads.push_back(grad.getScaleGrad());
  if (getBias())
    operandGrads.push_back(grad.getBiasGrad());
  return success();
}

LogicalResult RMSNormOp::buildVJP(OpBuilder &builder,
                                  ArrayRef<Value> resultGrads,
                                  SmallVectorImpl<Value> &operandGrads) {
  Value dy = resultGrads[0];
  if (!dy) {
    operandGrads.append({Value(), Value()});
    return success();
  }
  auto grad = RMSNormGradOp::create(builder, getLoc(), dy, getInput(),
                                    getScale(), getEpsilonAttr());
  operandGrads.push_back(grad.getInputGrad());
  operandGrads.push_back(grad.getScaleGrad());
  return success();
}

LogicalResult
RotaryEmbeddingOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                            SmallVectorImpl<Value> &operandGrads) {
  Value dy = resultGrads[0];
  // A rotation's transpose is the rotation by the negative angle.
  operandGrads.push_back(
      dy ? RotaryEmbeddingOp::create(builder, getLoc(), dy.getType(), dy,
                                     getPositions(), getBaseAttr(),
                                     getRotaryDimsAttr(),
                                     getInverse() ? UnitAttr()
                                                  : builder.getUnitAttr())
               .getResult()
         : Value());
  operandGrads.push_back(Value());
  return success();
}

LogicalResult AttentionOp::buildVJP(OpBuilder &builder,
                                    ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  Value dy = resultGrads[0];
  if (!dy) {
    operandGrads.append({Value(), Value(), Value()});
    return success();
  }
  if (!getLse())
    return emitOpError() << "cannot differentiate an attention that does not "
                            "produce its log-sum-exp (lse) result";
  if (getDropoutRate() > 0.0 && !getRngStream())
    return emitOpError() << "cannot differentiate dropout "
                         << getDropoutRate()
                         << " without a random stream to redraw its mask";
  auto grad = AttentionGradOp::create(
      builder, getLoc(), getQuery(), getKey(), getValue(), getResult(),
      getLse(), dy, getCausalAttr(), getScaleAttr(), getDropoutAttr(),
      getRngStreamAttr(), getHeadShardAxisAttr());
  operandGrads.push_back(grad.getQueryGrad());
  operandGrads.push_back(grad.getKeyGrad());
  operandGrads.push_back(grad.getValueGrad());
  return success();
}

LogicalResult GeluOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                               SmallVectorImpl<Value> &operandGrads) {
  Value dy = resultGrads[0];
  operandGrads.push_back(dy ? GeluGradOp::create(builder, getLoc(),
                                                 getApproximation(), getInput(),
                                                 dy)
                                  .getResult()
                            : Value());
  return success();
}

LogicalResult SiluOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                               SmallVectorImpl<Value> &operandGrads) {
  Value dy = resultGrads[0];
  operandGrads.push_back(
      dy ? SiluGradOp::create(builder, getLoc(), getInput(), dy).getResult()
         : Value());
  return success();
}

LogicalResult SwiGLUOp::buildVJP(OpBuilder &builder,
                                 ArrayRef<Value> resultGrads,
                                 SmallVectorImpl<Value> &operandGrads) {
  Value dy = resultGrads[0];
  if (!dy) {
    operandGrads.append({Value(), Value()});
    return success();
  }
  auto grad = SwiGLUGradOp::create(builder, getLoc(), getGate(), getUp(), dy);
  operandGrads.push_back(grad.getGateGrad());
  operandGrads.push_back(grad.getUpGrad());
  return success();
}

LogicalResult DropoutOp::buildVJP(OpBuilder &builder,
                                  ArrayRef<Value> resultGrads,
                                  SmallVectorImpl<Value> &operandGrads) {
  Value dy = resultGrads[0];
  if (dy && !getRngStream())
    return emitOpError() << "cannot differentiate dropout "
                         << getRate().convertToDouble()
                         << " without a random stream to redraw its mask";
  // The same mask and scale applied to the gradient.
  operandGrads.push_back(
      dy ? DropoutOp::create(builder, getLoc(), dy, getRateAttr(),
                             getRngStreamAttr(), getMaskSplitDimAttr(),
                             getMaskSplitAxisAttr())
               .getResult()
         : Value());
  return success();
}

LogicalResult AddOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                              SmallVectorImpl<Value> &operandGrads) {
  operandGrads.append({resultGrads[0], resultGrads[0]});
  return success();
}

LogicalResult CrossEntropyOp::buildVJP(OpBuilder &builder,
                                       ArrayRef<Value> resultGrads,
                                       SmallVectorImpl<Value> &operandGrads) {
  Value dloss = resultGrads[0];
  operandGrads.push_back(
      dloss ? CrossEntropyGradOp::create(builder, getLoc(), getReduction(),
                                         getLogits(), getLabels(), dloss,
                                         getValidVocabAttr())
                  .getResult()
            : Value());
  operandGrads.push_back(Value());
  return success();
}

//===----------------------------------------------------------------------===//
// Prompt learning (TfmPromptOps.td)
//===----------------------------------------------------------------------===//

LogicalResult InsertVirtualTokensOp::buildVJP(
    OpBuilder &builder, ArrayRef<Value> resultGrads,
    SmallVectorImpl<Value> &operandGrads) {
  Value dy = resultGrads[0];
  if (!dy) {
    operandGrads.append({Value(), Value(), Value()});
    return success();
  }
  const int64_t rows = cast<RankedTensorType>(getTable().getType()).getDimSize(0);
  // The replaced positions reach the output through the table only.
  operandGrads.push_back(MaskVirtualTokensOp::create(
      builder, getLoc(), dy, getVirtualTokens(), getOffsetAttr(),
      builder.getI64IntegerAttr(rows)));
  operandGrads.push_back(VirtualTokenTableGradOp::create(
      builder, getLoc(), getTable().getType(), dy, getVirtualTokens(),
      getOffsetAttr()));
  operandGrads.push_back(Value());
  return success();
}

LogicalResult ReluOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                               SmallVectorImpl<Value> &operandGrads) {
  Value dy = resultGrads[0];
  operandGrads.push_back(
      dy ? ReluGradOp::create(builder, getLoc(), getInput(), dy).getResult()
         : Value());
  return success();
}

LogicalResult ScaleOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                                SmallVectorImpl<Value> &operandGrads) {
  Value dy = resultGrads[0];
  operandGrads.push_back(
      dy ? ScaleOp::create(builder, getLoc(), dy, getFactorAttr()).getResult()
         : Value());
  return success();
}

LogicalResult LstmOp::buildVJP(OpBuilder &builder, ArrayRef<Value> resultGrads,
                               SmallVectorImpl<Value> &operandGrads) {
  Value dy = resultGrads[0];
  if (!dy) {
    operandGrads.append(4, Value());
    return success();
  }
  auto grad = LstmGradOp::create(builder, getLoc(), getInput().getType(),
                                 getWeightIh().getType(),
                                 getWeightHh().getType(), getBias().getType(),
                                 getInput(), getWeightIh(), getWeightHh(),
                                 getBias(), dy);
  operandGrads.append(grad->result_begin(), grad->result_end());
  return success();
}
