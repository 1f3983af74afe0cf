//===- ElementwiseFusion.cpp - fuse elementwise chains after a bias -------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Every rewrite checks all readers of the values it removes before changing
// anything, then builds the fused op at the position of the op whose result
// it replaces (so each operand already dominates it) with that op's
// location (so the result keeps its buffer name).
//
//===----------------------------------------------------------------------===//
#include "compiler/Fusion/ElementwiseFusion.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::strata;

namespace {

/// Whether |use| is the `input` operand (the pre-activation) of a
/// tfm.gelu_grad, not its incoming gradient.
bool isGeluGradInput(OpOperand &use) {
  auto grad = dyn_cast<tfm::GeluGradOp>(use.getOwner());
  return grad && &use == &grad.getInputMutable();
}

/// Replaces `%du = gelu_grad %u, %dy` with `%u = %input + %bias`, and the
/// tfm.bias_grad ops of `%du` that have the bias's type, by one
/// tfm.bias_gelu_grad.
void rewriteGeluGrad(tfm::GeluGradOp grad, Value input, Value bias,
                     ElementwiseFusionCounts &counts) {
  OpBuilder builder(grad);
  auto fused = tfm::BiasGeluGradOp::create(builder, grad.getLoc(),
                                           grad.getApproximation(), input, bias,
                                           grad.getResultGrad());
  Value du = grad.getInputGrad();
  for (Operation *user : llvm::make_early_inc_range(du.getUsers())) {
    auto biasGrad = dyn_cast<tfm::BiasGradOp>(user);
    if (biasGrad && biasGrad.getType() == bias.getType()) {
      biasGrad.getResult().replaceAllUsesWith(fused.getBiasGrad());
      biasGrad.erase();
    }
  }
  du.replaceAllUsesWith(fused.getInputGrad());
  grad.erase();
  ++counts.biasGeluGrad;
}

/// A copy of the pre-activation that a forward layer saves for a backward
/// layer: the yield operand, and the block arguments that receive it.
struct SavedPreActivation {
  unsigned yieldIndex;
  SmallVector<BlockArgument> copies;
};

/// The saved copies of |value|, yielded by |yield| of a tfm.layer, when
/// every copy is a backward layer's block argument read only as the input
/// of tfm.gelu_grad; failure otherwise.
FailureOr<SmallVector<SavedPreActivation>>
collectSavedCopies(Value value, tfm::YieldOp yield) {
  auto layer = dyn_cast<tfm::LayerOp>(yield->getParentOp());
  if (!layer)
    return failure();
  SmallVector<SavedPreActivation> saved;
  for (OpOperand &yielded : yield->getOpOperands()) {
    if (yielded.get() != value)
      continue;
    SavedPreActivation entry{yielded.getOperandNumber(), {}};
    for (OpOperand &use :
         layer->getResult(yielded.getOperandNumber()).getUses()) {
      auto reader = dyn_cast<tfm::LayerOp>(use.getOwner());
      if (!reader)
        return failure();
      BlockArgument copy =
          reader.getBody().front().getArgument(use.getOperandNumber());
      if (!llvm::all_of(copy.getUses(), isGeluGradInput))
        return failure();
      entry.copies.push_back(copy);
    }
    saved.push_back(std::move(entry));
  }
  return saved;
}

} // namespace

bool mlir::strata::fuseBiasGelu(tfm::BiasAddOp biasAdd,
                                ElementwiseFusionCounts &counts) {
  Value u = biasAdd.getResult();
  Value x = biasAdd.getInput();
  Value b = biasAdd.getBias();
  SmallVector<tfm::GeluOp> gelus;
  SmallVector<tfm::GeluGradOp> grads;
  tfm::YieldOp yield;
  for (OpOperand &use : u.getUses()) {
    Operation *user = use.getOwner();
    if (auto gelu = dyn_cast<tfm::GeluOp>(user))
      gelus.push_back(gelu);
    else if (isGeluGradInput(use))
      grads.push_back(cast<tfm::GeluGradOp>(user));
    else if (auto y = dyn_cast<tfm::YieldOp>(user))
      yield = y;
    else
      return false;
  }
  if (gelus.empty())
    return false;
  SmallVector<SavedPreActivation> saved;
  // A parameter read (under mixed precision O1: cast to the compute type).
  Operation *biasRead = b.getDefiningOp();
  if (yield) {
    // A backward layer is isolated from above: it can re-read a parameter
    // but not take any other bias from the forward layer.
    FailureOr<SmallVector<SavedPreActivation>> copies =
        collectSavedCopies(u, yield);
    if (failed(copies) || !tfm::isRematerializable(biasRead))
      return false;
    saved = std::move(*copies);
  }

  for (tfm::GeluOp gelu : gelus) {
    OpBuilder builder(gelu);
    auto fused = tfm::BiasGeluOp::create(builder, gelu.getLoc(),
                                         gelu.getApproximation(), x, b);
    gelu.getResult().replaceAllUsesWith(fused.getResult());
    gelu.erase();
    ++counts.biasGelu;
  }
  for (tfm::GeluGradOp grad : grads)
    rewriteGeluGrad(grad, x, b, counts);
  for (SavedPreActivation &entry : saved) {
    // Save the bias input instead: same type, so the layers' signatures
    // stay as they are.
    yield->setOperand(entry.yieldIndex, x);
    for (BlockArgument copy : entry.copies)
      for (Operation *user : llvm::make_early_inc_range(copy.getUsers())) {
        OpBuilder builder(user);
        IRMapping mapping;
        Value bias =
            tfm::cloneWithRematerializedOperands(builder, *biasRead, mapping)
                ->getResult(0);
        rewriteGeluGrad(cast<tfm::GeluGradOp>(user), copy, bias, counts);
      }
  }
  biasAdd.erase();
  return true;
}

bool mlir::strata::fuseBiasDropoutAdd(tfm::BiasAddOp biasAdd,
                                      ElementwiseFusionCounts &counts) {
  Value added = biasAdd.getResult();
  if (!added.hasOneUse())
    return false;
  auto dropout = dyn_cast<tfm::DropoutOp>(*added.user_begin());
  if (dropout) {
    added = dropout.getResult();
    if (!added.hasOneUse())
      return false;
  }
  auto add = dyn_cast<tfm::AddOp>(*added.user_begin());
  if (!add || add.getLhs() == add.getRhs())
    return false;
  Value residual = add.getLhs() == added ? add.getRhs() : add.getLhs();

  OpBuilder builder(add);
  FloatAttr rate =
      dropout ? dropout.getRateAttr() : builder.getF64FloatAttr(0.0);
  IntegerAttr stream = dropout ? dropout.getRngStreamAttr() : IntegerAttr();
  auto fused =
      tfm::BiasDropoutAddOp::create(
          builder, add.getLoc(), biasAdd.getInput(), biasAdd.getBias(),
          residual, rate, stream,
          dropout ? dropout.getMaskSplitDimAttr() : IntegerAttr(),
          dropout ? dropout.getMaskSplitAxisAttr() : StringAttr());
  add.getResult().replaceAllUsesWith(fused.getResult());
  add.erase();
  if (dropout)
    dropout.erase();
  biasAdd.erase();
  ++counts.biasDropoutAdd;
  return true;
}

bool mlir::strata::fuseDropoutBiasGrad(tfm::DropoutOp dropout,
                                       ElementwiseFusionCounts &counts) {
  Value dx = dropout.getResult();
  SmallVector<tfm::BiasGradOp> biasGrads;
  for (Operation *user : dx.getUsers()) {
    auto biasGrad = dyn_cast<tfm::BiasGradOp>(user);
    if (biasGrad &&
        (biasGrads.empty() || biasGrad.getType() == biasGrads[0].getType()))
      biasGrads.push_back(biasGrad);
  }
  if (biasGrads.empty())
    return false;

  OpBuilder builder(dropout);
  auto fused = tfm::BiasDropoutAddGradOp::create(
      builder, dropout.getLoc(), dx.getType(), biasGrads[0].getType(),
      dropout.getInput(), dropout.getRateAttr(), dropout.getRngStreamAttr(),
      dropout.getMaskSplitDimAttr(), dropout.getMaskSplitAxisAttr());
  for (tfm::BiasGradOp biasGrad : biasGrads) {
    biasGrad.getResult().replaceAllUsesWith(fused.getBiasGrad());
    biasGrad.erase();
  }
  dx.replaceAllUsesWith(fused.getInputGrad());
  dropout.erase();
  ++counts.biasDropoutAddGrad;
  return true;
}

ElementwiseFusionCounts mlir::strata::fuseElementwise(Operation *root) {
  ElementwiseFusionCounts counts;
  // A rewrite erases only its root and ops that read the root's values, never
  // another root, so the lists stay valid.
  SmallVector<tfm::BiasAddOp> biasAdds;
  root->walk([&](tfm::BiasAddOp op) { biasAdds.push_back(op); });
  for (tfm::BiasAddOp biasAdd : biasAdds)
    if (!fuseBiasGelu(biasAdd, counts))
      fuseBiasDropoutAdd(biasAdd, counts);
  SmallVector<tfm::DropoutOp> dropouts;
  root->walk([&](tfm::DropoutOp op) { dropouts.push_back(op); });
  for (tfm::DropoutOp dropout : dropouts)
    fuseDropoutBiasGrad(dropout, counts);
  return counts;
}
