//===- ReverseMode.cpp - reverse-mode differentiation of tfm IR -----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Autodiff/ReverseMode.h"

#include "dialects/tfm/IR/TfmOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace mlir::strata;

namespace {

/// Gradients of the values of one block, summed over their uses.
class GradientMap {
public:
  explicit GradientMap(OpBuilder &builder) : builder(builder) {}

  Value lookup(Value value) const { return grads.lookup(value); }

  /// Adds |grad| to the gradient of |value|.
  void accumulate(Value value, Value grad) {
    if (!grad)
      return;
    Value &slot = grads[value];
    slot = slot ? tfm::AddOp::create(builder, value.getLoc(), slot, grad)
                      .getResult()
                : grad;
  }

private:
  OpBuilder &builder;
  DenseMap<Value, Value> grads;
};

class Differentiator {
public:
  /// Walks the ops of |block| before |end| in reverse, building their
  /// vector-Jacobian products with |builder|.
  LogicalResult differentiateOps(Block &block, Operation *end,
                                 OpBuilder &builder, GradientMap &grads);

private:
  SymbolTableCollection symbols;
  /// Builds the backward twin of |layer| at |builder|'s insertion point and
  /// returns the gradients of the layer's operands.
  LogicalResult differentiateLayer(tfm::LayerOp layer,
                                   ArrayRef<Value> resultGrads,
                                   OpBuilder &builder,
                                   SmallVectorImpl<Value> &operandGrads);
};

LogicalResult Differentiator::differentiateOps(Block &block, Operation *end,
                                               OpBuilder &builder,
                                               GradientMap &grads) {
  SmallVector<Operation *> ops;
  for (Operation &op : block) {
    if (&op == end)
      break;
    ops.push_back(&op);
  }
  for (Operation *op : llvm::reverse(ops)) {
    SmallVector<Value> resultGrads;
    for (Value result : op->getResults())
      resultGrads.push_back(grads.lookup(result));
    bool anyGrad = llvm::any_of(resultGrads, [](Value v) { return v; });
    // A parameter read with no gradient still needs nothing; everything
    // else that receives no gradient is not on a path to the loss.
    if (!anyGrad)
      continue;
    SmallVector<Value> operandGrads;
    if (auto layer = dyn_cast<tfm::LayerOp>(op)) {
      if (failed(differentiateLayer(layer, resultGrads, builder, operandGrads)))
        return failure();
    } else if (auto read = dyn_cast<tfm::ParamRefOp>(op)) {
      // Parameter reads resolve through the cached table (one per module).
      if (failed(read.buildVJPFor(
              symbols.lookupNearestSymbolFrom<tfm::ParameterOp>(
                  read, read.getNameAttr()),
              builder, resultGrads)))
        return failure();
    } else if (auto vjp = dyn_cast<tfm::VJPOpInterface>(op)) {
      if (failed(vjp.buildVJP(builder, resultGrads, operandGrads)))
        return failure();
    } else {
      return op->emitOpError()
             << "has no vector-Jacobian product, so the loss cannot be "
                "differentiated through it";
    }
    assert(operandGrads.size() == op->getNumOperands() &&
           "a VJP must return one gradient per operand");
    for (auto [operand, grad] : llvm::zip(op->getOperands(), operandGrads))
      grads.accumulate(operand, grad);
  }
  return success();
}

LogicalResult Differentiator::differentiateLayer(
    tfm::LayerOp layer, ArrayRef<Value> resultGrads, OpBuilder &builder,
    SmallVectorImpl<Value> &operandGrads) {
  Block &forwardBody = layer.getBody().front();
  auto forwardYield = cast<tfm::YieldOp>(forwardBody.getTerminator());

  // Build the backward ops in a detached block; they refer to forward
  // values directly until the fix-up below.
  auto backwardBlock = std::make_unique<Block>();
  // A detached block has no context of its own to give a builder.
  OpBuilder inner(layer.getContext());
  inner.setInsertionPointToEnd(backwardBlock.get());
  GradientMap grads(inner);
  SmallVector<Value> incomingGrads; // top-level values, one per block arg
  for (auto [yielded, grad] :
       llvm::zip(forwardYield.getValues(), resultGrads)) {
    if (!grad)
      continue;
    incomingGrads.push_back(grad);
    grads.accumulate(yielded, backwardBlock->addArgument(grad.getType(),
                                                         grad.getLoc()));
  }
  if (failed(differentiateOps(forwardBody, forwardYield, inner, grads)))
    return failure();

  // The backward layer returns the gradients of the forward layer's
  // differentiable inputs.
  SmallVector<Value> inputGrads;
  SmallVector<int64_t> inputGradIndex(forwardBody.getNumArguments(), -1);
  for (BlockArgument arg : forwardBody.getArguments())
    if (Value grad = grads.lookup(arg)) {
      inputGradIndex[arg.getArgNumber()] = inputGrads.size();
      inputGrads.push_back(grad);
    }
  tfm::YieldOp::create(inner, layer.getLoc(), inputGrads);

  // Fix-up: forward values used by backward ops become block arguments
  // (residuals), except parameter reads (and their casts under mixed
  // precision O1), which are repeated.
  IRMapping rematerialized;
  llvm::SetVector<Value> residuals;
  OpBuilder atStart(layer.getContext());
  atStart.setInsertionPointToStart(backwardBlock.get());
  backwardBlock->walk([&](Operation *op) {
    for (OpOperand &use : op->getOpOperands()) {
      Value value = use.get();
      if (value.getParentBlock() != &forwardBody)
        continue;
      Operation *def = value.getDefiningOp();
      if (tfm::isRematerializable(def)) {
        if (!rematerialized.contains(value))
          tfm::cloneWithRematerializedOperands(atStart, *def, rematerialized);
        use.set(rematerialized.lookup(value));
      } else {
        residuals.insert(value);
      }
    }
  });
  DenseMap<Value, Value> residualArg;
  for (auto [i, value] : llvm::enumerate(residuals))
    residualArg[value] =
        backwardBlock->insertArgument(i, value.getType(), value.getLoc());
  backwardBlock->walk([&](Operation *op) {
    for (OpOperand &use : op->getOpOperands())
      if (Value arg = residualArg.lookup(use.get()))
        use.set(arg);
  });

  // Residuals defined inside the forward layer become extra results; a
  // residual that is a forward block argument is the forward layer's own
  // operand, passed along at top level.
  SmallVector<Value> extraYields;
  for (Value value : residuals)
    if (!isa<BlockArgument>(value))
      extraYields.push_back(value);
  forwardYield->insertOperands(forwardYield->getNumOperands(), extraYields);
  SmallVector<Type> resultTypes(layer.getResultTypes());
  for (Value value : extraYields)
    resultTypes.push_back(value.getType());
  OpBuilder atLayer(layer);
  auto newForward = tfm::LayerOp::create(atLayer, layer.getLoc(),
                                         layer.getIndex(), layer.getInputs(),
                                         resultTypes, layer.getBackward());
  newForward->setAttrs(layer->getAttrs());
  newForward.getBody().takeBody(layer.getBody());
  for (auto [oldResult, newResult] :
       llvm::zip(layer.getResults(), newForward.getResults()))
    oldResult.replaceAllUsesWith(newResult);

  SmallVector<Value> backwardOperands;
  unsigned nextExtra = layer.getNumResults();
  for (Value value : residuals) {
    if (auto arg = dyn_cast<BlockArgument>(value))
      backwardOperands.push_back(newForward.getInputs()[arg.getArgNumber()]);
    else
      backwardOperands.push_back(newForward.getResult(nextExtra++));
  }
  llvm::append_range(backwardOperands, incomingGrads);
  SmallVector<Type> gradTypes;
  for (Value grad : inputGrads)
    gradTypes.push_back(grad.getType());
  auto backward = tfm::LayerOp::create(builder, layer.getLoc(),
                                       layer.getIndex(), backwardOperands,
                                       gradTypes, /*backward=*/true);
  Region &region = backward.getBody();
  region.getBlocks().clear();
  region.push_back(backwardBlock.release());
  layer.erase();

  for (int64_t index : inputGradIndex)
    operandGrads.push_back(index < 0 ? Value() : backward.getResult(index));
  return success();
}

/// Removes ops without side effects whose results are unused, innermost
/// first, until nothing changes.
void eraseDeadOps(Operation *root) {
  bool changed = true;
  while (changed) {
    changed = false;
    SmallVector<Operation *> dead;
    root->walk<WalkOrder::PostOrder>([&](Operation *op) {
      if (op != root && op->use_empty() && isOpTriviallyDead(op))
        dead.push_back(op);
    });
    for (Operation *op : dead) {
      op->erase();
      changed = true;
    }
  }
}

/// Drops results of |layer| that nothing uses, with their yielded values.
void dropUnusedResults(tfm::LayerOp layer) {
  llvm::BitVector unused(layer.getNumResults());
  for (OpResult result : layer.getResults())
    if (result.use_empty())
      unused.set(result.getResultNumber());
  tfm::eraseLayerResults(layer, unused);
}

/// Dead-code removal can leave a backward layer with saved values it no
/// longer reads (the inputs of a frozen parameter's weight gradient): drop
/// those block arguments, and the forward results that fed them, so the
/// memory plan does not keep them alive.
void pruneUnusedSavedValues(func::FuncOp function) {
  SmallVector<tfm::LayerOp> layers;
  function.walk([&](tfm::LayerOp layer) { layers.push_back(layer); });
  for (tfm::LayerOp layer : layers) {
    if (!layer.getBackward())
      continue;
    Block &body = layer.getBody().front();
    llvm::BitVector unused(body.getNumArguments());
    for (BlockArgument arg : body.getArguments())
      if (arg.use_empty())
        unused.set(arg.getArgNumber());
    body.eraseArguments(unused);
    layer->eraseOperands(unused);
  }
  for (tfm::LayerOp layer : layers)
    if (!layer.getBackward())
      dropUnusedResults(layer);
}

} // namespace

LogicalResult mlir::strata::differentiateFunction(func::FuncOp function,
                                                  Value loss, Value seed) {
  Block &entry = function.getBody().front();
  Operation *terminator = entry.getTerminator();
  OpBuilder builder(terminator);
  GradientMap grads(builder);
  grads.accumulate(loss, seed);
  if (failed(Differentiator().differentiateOps(entry, terminator, builder,
                                               grads)))
    return failure();
  eraseDeadOps(function);
  pruneUnusedSavedValues(function);
  eraseDeadOps(function);
  return success();
}
