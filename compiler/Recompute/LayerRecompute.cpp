//===- LayerRecompute.cpp - full activation recomputation -----------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Recompute/LayerRecompute.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace mlir::strata;

namespace {

/// Parameter reads and constants: free to repeat, and free to merge again.
bool isFreeToRepeat(Operation *op) {
  return op->getNumOperands() == 0 && op->getNumRegions() == 0 && isPure(op);
}

/// Whether |op| may go when nothing reads its results. tfm.dropout is not
/// Pure (two dropouts of one input without streams must not be merged), but
/// its mask is addressed by its stream number, not drawn from a sequence,
/// so skipping one changes no other mask.
bool isRemovableWhenUnused(Operation *op) {
  if (op->hasTrait<OpTrait::IsTerminator>())
    return false;
  if (isa<tfm::DropoutOp>(op))
    return op->use_empty();
  return isOpTriviallyDead(op);
}

/// Removes the ops of |block| whose results are unused and that have no
/// other effect, last first, so chains that only fed a removed op go too.
/// (A recomputed layer output, for one, is never read.)
void eraseDeadOps(Block &block) {
  bool changed = true;
  while (changed) {
    changed = false;
    for (Operation &op : llvm::make_early_inc_range(llvm::reverse(block)))
      if (isRemovableWhenUnused(&op)) {
        op.erase();
        changed = true;
      }
  }
}

bool wasRewritten(func::FuncOp function) {
  return function
      .walk([](Operation *op) {
        return op->hasAttr(kRecomputedAttr) ? WalkResult::interrupt()
                                            : WalkResult::advance();
      })
      .wasInterrupted();
}

} // namespace

FailureOr<SmallVector<LayerPair>>
mlir::strata::pairLayers(func::FuncOp function) {
  SmallVector<tfm::LayerOp> forwards;
  DenseMap<int64_t, tfm::LayerOp> forwardOf, backwardOf;
  WalkResult walk = function.walk([&](tfm::LayerOp layer) {
    auto &slot = layer.getBackward() ? backwardOf[layer.getIndex()]
                                     : forwardOf[layer.getIndex()];
    if (slot) {
      InFlightDiagnostic diag =
          layer.emitOpError()
          << "is the second " << (layer.getBackward() ? "backward" : "forward")
          << " layer with index " << layer.getIndex() << " in @"
          << function.getSymName() << "; cannot pair layers with their twins";
      diag.attachNote(slot.getLoc()) << "the first one";
      return WalkResult::interrupt();
    }
    slot = layer;
    if (!layer.getBackward())
      forwards.push_back(layer);
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  SmallVector<LayerPair> pairs;
  for (tfm::LayerOp forward : forwards)
    if (tfm::LayerOp backward = backwardOf.lookup(forward.getIndex()))
      pairs.push_back({forward, backward});
  return pairs;
}

LogicalResult mlir::strata::recomputeGroup(MutableArrayRef<LayerPair> group) {
  assert(!group.empty() && "a recompute group has at least one layer");
  // The backward twin of the group's last layer runs first: it recomputes
  // the whole group and hands the other twins what they read.
  tfm::LayerOp first = group.back().backward;
  for (LayerPair &pair : group.drop_back())
    if (pair.backward->getBlock() != first->getBlock() ||
        !first->isBeforeInBlock(pair.backward))
      return pair.backward.emitOpError()
             << "must follow the backward layer " << first.getIndex()
             << " in the same block to share its recomputation (layers "
             << group.front().forward.getIndex() << ".."
             << group.back().forward.getIndex() << " are one recompute group)";

  // Everything the forward layers of the group produce is recomputed; what
  // they read from elsewhere is stored.
  llvm::DenseSet<Value> produced;
  for (LayerPair &pair : group)
    produced.insert(pair.forward.getResults().begin(),
                    pair.forward.getResults().end());
  llvm::SetVector<Value> operands;
  for (LayerPair &pair : group)
    for (Value input : pair.forward.getInputs())
      if (!produced.contains(input))
        operands.insert(input);
  DominanceInfo dominance(first->getParentOp());
  for (Value input : operands)
    if (!dominance.properlyDominates(input, first))
      return first.emitOpError()
             << "cannot recompute layers " << group.front().forward.getIndex()
             << ".." << group.back().forward.getIndex() << ": their input "
             << input << " is not available here";
  for (Value input : first.getInputs())
    if (!produced.contains(input))
      operands.insert(input);

  MLIRContext *context = first.getContext();
  auto block = std::make_unique<Block>();
  DenseMap<Value, Value> argumentOf;
  for (Value operand : operands)
    argumentOf[operand] =
        block->addArgument(operand.getType(), operand.getLoc());
  OpBuilder builder(context);
  builder.setInsertionPointToEnd(block.get());
  UnitAttr mark = builder.getUnitAttr();

  // Re-run the forward layers, in order.
  DenseMap<Value, Value> recomputed; // forward layer result -> its clone
  auto valueOf = [&](Value outer) {
    return produced.contains(outer) ? recomputed.lookup(outer)
                                    : argumentOf.lookup(outer);
  };
  for (LayerPair &pair : group) {
    Block &body = pair.forward.getBody().front();
    IRMapping mapping;
    for (auto [argument, input] :
         llvm::zip(body.getArguments(), pair.forward.getInputs()))
      mapping.map(argument, valueOf(input));
    for (Operation &op : body.without_terminator()) {
      Operation *copy = builder.clone(op, mapping);
      if (!isFreeToRepeat(copy))
        copy->setAttr(kRecomputedAttr, mark);
    }
    auto yield = cast<tfm::YieldOp>(body.getTerminator());
    for (auto [result, yielded] :
         llvm::zip(pair.forward.getResults(), yield.getValues()))
      recomputed[result] = mapping.lookupOrDefault(yielded);
  }

  // Then the backward ops of the first twin, on the recomputed values. Its
  // parameter reads repeat the clones' (ReverseMode re-reads parameters
  // rather than saving them): one read each is enough.
  SmallVector<Operation *> reads;
  for (Operation &op : *block)
    if (isFreeToRepeat(&op))
      reads.push_back(&op);
  Block &oldBody = first.getBody().front();
  IRMapping mapping;
  for (auto [argument, input] :
       llvm::zip(oldBody.getArguments(), first.getInputs()))
    mapping.map(argument, valueOf(input));
  for (Operation &op : oldBody) {
    if (isFreeToRepeat(&op)) {
      auto *same = llvm::find_if(reads, [&](Operation *read) {
        return OperationEquivalence::isEquivalentTo(
            &op, read, OperationEquivalence::IgnoreLocations);
      });
      if (same != reads.end()) {
        mapping.map(op.getResults(), (*same)->getResults());
        continue;
      }
    }
    builder.clone(op, mapping);
  }

  // The other twins read their recomputed values from extra results.
  llvm::SetVector<Value> handedOver;
  for (LayerPair &pair : group.drop_back())
    for (Value input : pair.backward.getInputs())
      if (produced.contains(input))
        handedOver.insert(input);
  auto yield = cast<tfm::YieldOp>(block->getTerminator());
  SmallVector<Type> resultTypes(first.getResultTypes());
  for (Value value : handedOver) {
    yield->insertOperands(yield->getNumOperands(), recomputed.lookup(value));
    resultTypes.push_back(value.getType());
  }
  eraseDeadOps(*block);

  OpBuilder atFirst(first);
  auto replacement = tfm::LayerOp::create(
      atFirst, first.getLoc(), first.getIndex(), operands.getArrayRef(),
      resultTypes, /*backward=*/true);
  replacement->setDiscardableAttrs(first->getDiscardableAttrDictionary());
  Region &region = replacement.getBody();
  region.getBlocks().clear();
  region.push_back(block.release());
  for (auto [oldResult, newResult] :
       llvm::zip(first.getResults(), replacement.getResults()))
    oldResult.replaceAllUsesWith(newResult);
  DenseMap<Value, Value> handedResult;
  for (auto [i, value] : llvm::enumerate(handedOver))
    handedResult[value] = replacement.getResult(first.getNumResults() + i);
  for (LayerPair &pair : group.drop_back())
    for (OpOperand &use : pair.backward->getOpOperands())
      if (Value result = handedResult.lookup(use.get()))
        use.set(result);
  first.erase();
  group.back().backward = replacement;
  return success();
}

tfm::LayerOp mlir::strata::dropUnusedResults(tfm::LayerOp layer) {
  llvm::BitVector unused(layer.getNumResults());
  for (OpResult result : layer.getResults())
    if (result.use_empty())
      unused.set(result.getResultNumber());
  if (unused.none())
    return layer;
  tfm::LayerOp replacement = tfm::eraseLayerResults(layer, unused);
  // The ops that only computed the dropped values.
  eraseDeadOps(replacement.getBody().front());
  return replacement;
}

FailureOr<int64_t>
mlir::strata::recomputeActivations(func::FuncOp function,
                                   const RecomputePolicy &policy) {
  if (!policy.recomputesLayers() || wasRewritten(function))
    return 0;
  FailureOr<SmallVector<LayerPair>> pairs = pairLayers(function);
  if (failed(pairs))
    return failure();
  if (pairs->empty())
    return 0;
  auto layerCount = static_cast<int64_t>(pairs->size());
  if (policy.numLayers > layerCount)
    return function.emitOpError()
           << "has " << layerCount << (layerCount == 1 ? " layer" : " layers")
           << " with a backward pass, fewer than "
              "activations_checkpoint_num_layers "
           << policy.numLayers;
  int64_t recomputedLayers = 0;
  for (const std::vector<int64_t> &positions :
       selectRecomputeGroups(policy, layerCount)) {
    // Groups are runs of consecutive positions.
    MutableArrayRef<LayerPair> group = MutableArrayRef<LayerPair>(*pairs).slice(
        positions.front(), positions.size());
    if (failed(recomputeGroup(group)))
      return failure();
    recomputedLayers += static_cast<int64_t>(positions.size());
  }
  for (LayerPair &pair : *pairs)
    pair.forward = dropUnusedResults(pair.forward);
  return recomputedLayers;
}
