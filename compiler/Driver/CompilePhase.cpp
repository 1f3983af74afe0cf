//===- CompilePhase.cpp - named phases of compilation ---------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Driver/CompilePhase.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir::strata;

llvm::ArrayRef<CompilePhaseInfo> mlir::strata::allCompilePhases() {
  static const CompilePhaseInfo phases[] = {
      {CompilePhase::Input, "input",
       "frontend output: tfm ops on global shapes, one tfm.layer per layer"},
      {CompilePhase::Training, "training",
       "the training step derived by reverse-mode differentiation "
       "(forward_backward, zero_grads, optimizer_step)"},
  };
  return phases;
}

std::optional<CompilePhase> mlir::strata::parseCompilePhase(llvm::StringRef name) {
  for (const CompilePhaseInfo &info : allCompilePhases())
    if (info.name == name)
      return info.phase;
  return std::nullopt;
}

llvm::StringRef mlir::strata::toString(CompilePhase phase) {
  const auto *it = llvm::find_if(allCompilePhases(), [&](const auto &info) {
    return info.phase == phase;
  });
  return it->name;
}
