//===- FunctionSplitter.cpp - one function into pipeline pieces -----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Pipeline/FunctionSplitter.h"

#include "dialects/dist/IR/DistOps.h"
#include "dialects/tfm/IR/TfmOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace mlir::strata;
using namespace mlir::strata::pipeline;

namespace {

/// The part of a function one pipeline stage runs for one chunk.
struct Piece {
  int64_t chunk = 0;
  bool backward = false;
  bool operator==(const Piece &other) const {
    return chunk == other.chunk && backward == other.backward;
  }
};

/// A value sent from chunk |from| to the neighbouring chunk |to|.
struct Transfer {
  Value value;
  int64_t from, to;
  bool backward;
  int64_t tag;
};

/// Parameter reads, constants and casts of parameter reads (mixed
/// precision O1): cheaper to repeat in every piece than to send.
bool isCloneable(Operation *op) {
  return (op->getNumOperands() == 0 && op->getNumRegions() == 0 &&
          isMemoryEffectFree(op)) ||
         tfm::isRematerializable(op);
}

class Splitter {
public:
  Splitter(func::FuncOp function, const SplitOptions &options)
      : function(function), options(options), body(function.front()) {}

  FailureOr<SplitPieces> run() {
    if (failed(assignPieces()) || failed(routeValues()))
      return failure();
    SplitPieces pieces;
    for (int64_t chunk = 0; chunk < options.chunks; ++chunk) {
      pieces.forward.push_back(buildPiece({chunk, false}));
      if (options.backwardSeed)
        pieces.backward.push_back(buildPiece({chunk, true}));
    }
    return pieces;
  }

private:
  /// Every value a top-level op reads: its operands and what its regions
  /// capture from above.
  SmallVector<Value> usedValues(Operation *op) {
    SmallVector<Value> values(op->getOperands());
    llvm::SetVector<Value> captured;
    getUsedValuesDefinedAbove(op->getRegions(), captured);
    values.append(captured.begin(), captured.end());
    return values;
  }

  LogicalResult assignPieces() {
    DenseSet<Value> backwardValues;
    if (options.backwardSeed)
      backwardValues.insert(function.getArgument(*options.backwardSeed));
    for (Operation &op : body.without_terminator()) {
      if (isCloneable(&op))
        continue;
      Piece piece;
      int64_t chunk = -1;
      if (auto layer = dyn_cast<tfm::LayerOp>(op)) {
        const uint64_t index = layer.getIndex();
        if (index >= options.chunkOfLayer.size())
          return layer.emitError()
                 << "layer " << index << " has no pipeline chunk ("
                 << options.chunkOfLayer.size() << " layers planned)";
        chunk = options.chunkOfLayer[index];
      }
      for (Value value : usedValues(&op)) {
        if (backwardValues.contains(value))
          piece.backward = true;
        if (!isa<tfm::LayerOp>(op))
          if (auto it = definedIn.find(value); it != definedIn.end())
            chunk = std::max(chunk, it->second.chunk);
      }
      piece.chunk = std::max<int64_t>(chunk, 0);
      pieceOf[&op] = piece;
      for (Value result : op.getResults()) {
        definedIn[result] = piece;
        if (piece.backward)
          backwardValues.insert(result);
      }
    }
    return success();
  }

  /// Finds the transfers and saved values every use needs.
  LogicalResult routeValues() {
    for (Operation &op : body) {
      const bool isReturn = op.hasTrait<OpTrait::IsTerminator>();
      if (!isReturn && isCloneable(&op))
        continue;
      for (Value value : usedValues(&op)) {
        auto it = definedIn.find(value);
        if (it == definedIn.end())
          continue; // an argument or a cloned value: every piece has it
        if (isReturn)
          continue; // a result comes from the piece that computes it
        if (failed(route(value, it->second, pieceOf[&op], op)))
          return failure();
      }
    }
    return success();
  }

  LogicalResult route(Value value, Piece from, Piece to, Operation &user) {
    if (from == to)
      return success();
    if (from.chunk == to.chunk && !from.backward) {
      saved[from.chunk].insert(value);
      return success();
    }
    if (!from.backward && to.chunk == from.chunk + 1) {
      addTransfer(value, from.chunk, to.chunk, false);
      if (to.backward)
        saved[to.chunk].insert(value);
      return success();
    }
    if (from.backward && to.backward && to.chunk == from.chunk - 1) {
      addTransfer(value, from.chunk, to.chunk, true);
      return success();
    }
    return user.emitError()
           << "pipeline splitting: this op (model chunk " << to.chunk
           << (to.backward ? ", backward" : ", forward")
           << ") reads a value of model chunk " << from.chunk
           << (from.backward ? " (backward)" : " (forward)")
           << "; values may only cross to the next chunk forward or to the "
              "previous chunk backward";
  }

  void addTransfer(Value value, int64_t from, int64_t to, bool backward) {
    for (const Transfer &t : transfers)
      if (t.value == value && t.to == to)
        return;
    transfers.push_back({value, from, to, backward,
                         options.tagBase + int64_t(transfers.size())});
  }

  func::FuncOp buildPiece(Piece piece) {
    OpBuilder builder(function.getContext());
    builder.setInsertionPointAfter(function);
    Location loc = function.getLoc();
    const llvm::SetVector<Value> &savedValues = saved[piece.chunk];

    // Arguments: the function's (forward pieces without the seed), then
    // the saved values (backward pieces).
    SmallVector<Type> argTypes;
    SmallVector<DictionaryAttr> argAttrs;
    SmallVector<unsigned> argIndex;
    for (BlockArgument arg : function.getArguments()) {
      if (!piece.backward && options.backwardSeed &&
          arg.getArgNumber() == *options.backwardSeed)
        continue;
      argTypes.push_back(arg.getType());
      argAttrs.push_back(function.getArgAttrDict(arg.getArgNumber()));
      argIndex.push_back(arg.getArgNumber());
    }
    auto savedName = builder.getDictionaryAttr(
        builder.getNamedAttr("tfm.name", builder.getStringAttr("saved")));
    if (piece.backward)
      for (Value value : savedValues) {
        argTypes.push_back(value.getType());
        argAttrs.push_back(savedName);
      }

    // Results: the original results this piece computes, then the saved
    // values (forward pieces).
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    SmallVector<Value> originalResults;
    SmallVector<DictionaryAttr> resultAttrs;
    for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
      auto it = definedIn.find(value);
      if (it != definedIn.end() && it->second == piece) {
        originalResults.push_back(value);
        resultAttrs.push_back(function.getResultAttrDict(i));
      }
    }
    SmallVector<Type> resultTypes;
    for (Value value : originalResults)
      resultTypes.push_back(value.getType());
    if (!piece.backward)
      for (Value value : savedValues) {
        resultTypes.push_back(value.getType());
        resultAttrs.push_back(DictionaryAttr());
      }

    const std::string name =
        (piece.backward ? options.backwardName : options.forwardName) + "." +
        std::to_string(piece.chunk);
    auto result = func::FuncOp::create(
        builder, loc, name, builder.getFunctionType(argTypes, resultTypes));
    result.setAllArgAttrs(argAttrs);
    result.setAllResultAttrs(resultAttrs);
    Block *entry = result.addEntryBlock();
    builder.setInsertionPointToStart(entry);

    IRMapping mapping;
    for (auto [i, original] : llvm::enumerate(argIndex))
      mapping.map(function.getArgument(original), entry->getArgument(i));
    if (piece.backward)
      for (auto [i, value] : llvm::enumerate(savedValues))
        mapping.map(value, entry->getArgument(argIndex.size() + i));

    auto meshRef =
        FlatSymbolRefAttr::get(builder.getContext(), options.meshName);
    for (const Transfer &t : transfers)
      if (t.to == piece.chunk && t.backward == piece.backward) {
        // The sender is the previous chunk's stage forward (offset -1) or
        // the next chunk's backward (+1), modulo the pp axis.
        auto recv =
            dist::RecvOp::create(builder, loc, t.value.getType(), meshRef,
                                 builder.getI64IntegerAttr(t.backward ? 1 : -1),
                                 builder.getI64IntegerAttr(t.tag));
        mapping.map(t.value, recv.getResult());
      }
    for (Operation &op : body.without_terminator()) {
      if (isCloneable(&op))
        continue;
      if (!(pieceOf[&op] == piece))
        continue;
      for (Value value : usedValues(&op))
        if (Operation *def = value.getDefiningOp();
            def && isCloneable(def) && !mapping.contains(value))
          tfm::cloneWithRematerializedOperands(builder, *def, mapping);
      builder.clone(op, mapping);
    }
    for (const Transfer &t : transfers)
      if (t.from == piece.chunk && t.backward == piece.backward)
        dist::SendOp::create(builder, loc, mapping.lookup(t.value), meshRef,
                             builder.getI64IntegerAttr(t.backward ? -1 : 1),
                             builder.getI64IntegerAttr(t.tag));
    SmallVector<Value> returned;
    for (Value value : originalResults)
      returned.push_back(mapping.lookup(value));
    if (!piece.backward)
      for (Value value : savedValues)
        returned.push_back(mapping.lookup(value));
    func::ReturnOp::create(builder, loc, returned);
    return result;
  }

  func::FuncOp function;
  const SplitOptions &options;
  Block &body;
  DenseMap<Operation *, Piece> pieceOf;
  DenseMap<Value, Piece> definedIn;
  SmallVector<Transfer> transfers;
  /// Per chunk, the values its backward part reads from its forward part,
  /// in first-use order.
  DenseMap<int64_t, llvm::SetVector<Value>> saved;
};

} // namespace

FailureOr<SplitPieces>
mlir::strata::pipeline::splitFunction(func::FuncOp function,
                                      const SplitOptions &options) {
  return Splitter(function, options).run();
}
