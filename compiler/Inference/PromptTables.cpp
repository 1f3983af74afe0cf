//===- PromptTables.cpp - p-tuning's tables as a function -----------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Inference/PromptTables.h"

#include "common/prompt_tasks.h"
#include "dialects/tfm/IR/TfmOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseSet.h"

using namespace mlir;
using namespace mlir::strata;

namespace {

/// The name of the task whose virtual rows start at |offset| in the
/// module's tfm.prompt_tasks (offsets are running sums of
/// total_virtual_tokens, common/prompt_tasks.h).
std::optional<std::string> taskAtOffset(ModuleOp module, int64_t offset) {
  auto tasks = module->getAttrOfType<ArrayAttr>("tfm.prompt_tasks");
  if (!tasks)
    return std::nullopt;
  int64_t start = 0;
  for (auto task : tasks.getAsRange<DictionaryAttr>()) {
    auto name = task.getAs<StringAttr>("name");
    auto total = task.getAs<IntegerAttr>("total_virtual_tokens");
    if (!name || !total)
      return std::nullopt;
    if (start == offset && total.getInt() > 0)
      return name.str();
    start += total.getInt();
  }
  return std::nullopt;
}

} // namespace

FailureOr<func::FuncOp>
mlir::strata::addPromptTablesFunction(func::FuncOp forward) {
  auto module = forward->getParentOfType<ModuleOp>();
  Block &entry = forward.getBody().front();
  SmallVector<Value> tables;
  SmallVector<std::string> names;
  for (auto insert : entry.getOps<tfm::InsertVirtualTokensOp>()) {
    if (isa_and_nonnull<tfm::ParamRefOp>(insert.getTable().getDefiningOp()))
      continue;
    std::optional<std::string> task = taskAtOffset(module, insert.getOffset());
    if (!task)
      return insert.emitOpError()
             << "inserts virtual rows from " << insert.getOffset()
             << ", where no task of the module's tfm.prompt_tasks starts";
    tables.push_back(insert.getTable());
    names.push_back(::strata::promptTableName(*task));
  }
  if (tables.empty())
    return func::FuncOp();

  // The tables' producers: walking the block backwards, an op is needed
  // when a needed value is one of its results.
  llvm::DenseSet<Value> needed(tables.begin(), tables.end());
  llvm::DenseSet<Operation *> slice;
  for (Operation &op : llvm::reverse(entry)) {
    if (llvm::none_of(op.getResults(),
                      [&](Value v) { return needed.contains(v); }))
      continue;
    slice.insert(&op);
    for (Value operand : op.getOperands()) {
      if (isa<BlockArgument>(operand))
        return op.emitOpError()
               << "computes a prompt table from an argument of @"
               << forward.getSymName()
               << "; a table must depend on parameters only";
      needed.insert(operand);
    }
  }

  OpBuilder builder(forward->getContext());
  builder.setInsertionPointAfter(forward);
  SmallVector<Type> types;
  for (Value table : tables)
    types.push_back(table.getType());
  auto function = func::FuncOp::create(builder, forward.getLoc(),
                                       ::strata::kPromptTablesFunction,
                                       builder.getFunctionType({}, types));
  for (auto [i, name] : llvm::enumerate(names))
    function.setResultAttr(i, "tfm.name", builder.getStringAttr(name));
  builder.setInsertionPointToStart(function.addEntryBlock());
  IRMapping mapping;
  for (Operation &op : entry) {
    if (!slice.contains(&op))
      continue;
    // The table with dropout off, as eval and generation see it.
    if (auto dropout = dyn_cast<tfm::DropoutOp>(op)) {
      mapping.map(dropout.getResult(), mapping.lookup(dropout.getInput()));
      continue;
    }
    builder.clone(op, mapping);
  }
  SmallVector<Value> results;
  for (Value table : tables)
    results.push_back(mapping.lookup(table));
  func::ReturnOp::create(builder, forward.getLoc(), results);
  return function;
}
