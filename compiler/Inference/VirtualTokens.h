//===- VirtualTokens.h - a function without virtual tokens -------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A prompt-learning model's functions take `virtual_tokens` (per position -1
// or a global virtual row, docs/prompt-learning.md) and replace those
// positions' embeddings by rows of the tasks' tables. Generation's decode
// step feeds tokens the model chose, which are never virtual: its function
// needs neither the input nor the tables, and with p-tuning computing the
// tables is a whole prompt encoder per task that would run for every token.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_INFERENCE_VIRTUALTOKENS_H
#define STRATA_COMPILER_INFERENCE_VIRTUALTOKENS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::strata {

/// The tfm.name of the input that holds the virtual rows (the frontend's
/// kVirtualTokensArgumentName).
inline constexpr const char *kVirtualTokensName = "virtual_tokens";

/// Replaces every tfm.insert_virtual_tokens of |function| by its input (the
/// embeddings of the real tokens), erases what computed the tables and is
/// read by nothing else (parameter reads, p-tuning's MLP or LSTM encoder,
/// dropout included: it has no effect beyond its result) and removes the
/// argument named kVirtualTokensName. A function without that argument is
/// left alone. Fails with a diagnostic when the argument is read by anything
/// but tfm.insert_virtual_tokens.
LogicalResult removeVirtualTokens(func::FuncOp function);

} // namespace mlir::strata

#endif // STRATA_COMPILER_INFERENCE_VIRTUALTOKENS_H
