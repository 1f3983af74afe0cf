//===- VirtualTokens.cpp - a function without virtual tokens --------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Inference/VirtualTokens.h"

#include "dialects/tfm/IR/TfmOps.h"

#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace mlir::strata;

namespace {

/// Whether |op| may be erased once nothing reads its results. A dropout
/// (not Pure: two of one value draw different masks) only produces its
/// result, so an unread one is dead too. The pipeline runs no general
/// dead-code elimination, hence this walk.
bool isDeadWhenUnread(Operation *op) {
  if (!op->use_empty() || op->hasTrait<OpTrait::IsTerminator>())
    return false;
  return isa<tfm::DropoutOp>(op) || isMemoryEffectFree(op);
}

} // namespace

LogicalResult mlir::strata::removeVirtualTokens(func::FuncOp function) {
  Block &entry = function.getBody().front();
  BlockArgument virtualTokens;
  for (BlockArgument arg : entry.getArguments())
    if (auto name = function.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                          "tfm.name");
        name && name.getValue() == kVirtualTokensName)
      virtualTokens = arg;
  if (!virtualTokens)
    return success();

  SmallVector<tfm::InsertVirtualTokensOp> inserts;
  for (Operation *user : virtualTokens.getUsers()) {
    auto insert = dyn_cast<tfm::InsertVirtualTokensOp>(user);
    if (!insert || insert.getVirtualTokens() != virtualTokens)
      return user->emitOpError()
             << "reads @" << function.getSymName() << "'s "
             << kVirtualTokensName
             << " argument; only tfm.insert_virtual_tokens may when the "
                "function is to run without virtual tokens";
    inserts.push_back(insert);
  }
  // The tables' producers, erased below once nothing reads them.
  llvm::SetVector<Operation *> candidates;
  for (tfm::InsertVirtualTokensOp insert : inserts) {
    if (Operation *table = insert.getTable().getDefiningOp())
      candidates.insert(table);
    insert.getResult().replaceAllUsesWith(insert.getInput());
    insert.erase();
  }
  // An op is tried again whenever one of its readers is erased, so the
  // worklist's order does not matter.
  while (!candidates.empty()) {
    Operation *op = candidates.pop_back_val();
    if (!isDeadWhenUnread(op))
      continue;
    for (Value operand : op->getOperands())
      if (Operation *producer = operand.getDefiningOp())
        candidates.insert(producer);
    op->erase();
  }
  return function.eraseArgument(virtualTokens.getArgNumber());
}
