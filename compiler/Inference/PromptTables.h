//===- PromptTables.h - p-tuning's tables as a function ----------*- C++
//-*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// P-tuning computes each task's virtual-token table with a prompt encoder
// (an MLP or an LSTM) inside `forward`. Inference needs only the encoder's
// output, a fixed table per task (NeMo exports it after training), so the
// training artifact gets one more function that returns the tables; the
// runtime calls it when it saves a checkpoint (docs/prompt-learning.md,
// "P-tuning tables"). It is a copy of forward's own ops, so its tables are
// those forward inserts, bit for bit, with dropout off.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_INFERENCE_PROMPTTABLES_H
#define STRATA_COMPILER_INFERENCE_PROMPTTABLES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::strata {

/// Adds after |forward| a function
///   prompt_tables() -> (table_0 [n_0, hidden], ...)
/// (common/prompt_tasks.h, kPromptTablesFunction) returning, in forward's
/// order, every table a tfm.insert_virtual_tokens of |forward| inserts that
/// is computed rather than read from a parameter: the ops that compute it,
/// copied, with every tfm.dropout replaced by its input. Result i has
/// tfm.name "prompt_table.<task>.weight", the task found by the insert's
/// offset among the module's tfm.prompt_tasks. Returns the function, or null
/// when every table is a parameter (prompt tuning, existing tasks) or there
/// are none. Fails with a diagnostic when a table depends on an argument of
/// |forward| or its offset names no task.
FailureOr<func::FuncOp> addPromptTablesFunction(func::FuncOp forward);

} // namespace mlir::strata

#endif // STRATA_COMPILER_INFERENCE_PROMPTTABLES_H
