//===- CompilePhase.h - named phases of compilation -------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// `strata-compile --compile-to=<phase>` stops after a phase and prints its
// IR. The names follow docs/architecture.md; a phase is listed here once the
// compiler implements it.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_DRIVER_COMPILEPHASE_H
#define STRATA_COMPILER_DRIVER_COMPILEPHASE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <optional>

namespace mlir::strata {

enum class CompilePhase {
  /// Frontend output: tfm ops on global shapes, one tfm.layer per layer.
  Input,
  /// The training step: forward_backward, zero_grads, optimizer_step.
  Training,
};

struct CompilePhaseInfo {
  CompilePhase phase;
  llvm::StringRef name;
  llvm::StringRef description;
};

/// Every implemented phase, in pipeline order.
llvm::ArrayRef<CompilePhaseInfo> allCompilePhases();

std::optional<CompilePhase> parseCompilePhase(llvm::StringRef name);
llvm::StringRef toString(CompilePhase phase);

} // namespace mlir::strata

#endif // STRATA_COMPILER_DRIVER_COMPILEPHASE_H
