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
       "frontend output: tfm ops on global shapes, one tfm.layer per layer",
       std::nullopt},
      {CompilePhase::Training, "training",
       "the training step derived by reverse-mode differentiation "
       "(forward_backward, zero_grads, optimizer_step), layers recomputed "
       "in the backward pass as activations_checkpoint_* ask",
       CompileMode::Train},
      {CompilePhase::Inference, "inference",
       "prefill and decode functions over a KV cache per attention layer",
       CompileMode::Infer},
      {CompilePhase::Partitioned, "partitioned",
       "the program of each rank over the device mesh: local shapes, "
       "dist collectives (unchanged for one rank)",
       std::nullopt},
  };
  return phases;
}

std::vector<CompilePhaseInfo> mlir::strata::compilePhasesOf(CompileMode mode) {
  std::vector<CompilePhaseInfo> phases;
  for (const CompilePhaseInfo &info : allCompilePhases())
    if (!info.mode || *info.mode == mode)
      phases.push_back(info);
  return phases;
}

bool mlir::strata::runsPhase(CompileMode mode, CompilePhase target,
                             CompilePhase phase) {
  for (const CompilePhaseInfo &info : compilePhasesOf(mode)) {
    if (info.phase == phase)
      return true;
    if (info.phase == target)
      return false;
  }
  return false;
}

std::optional<CompilePhase>
mlir::strata::parseCompilePhase(llvm::StringRef name) {
  for (const CompilePhaseInfo &info : allCompilePhases())
    if (info.name == name)
      return info.phase;
  return std::nullopt;
}

static const CompilePhaseInfo &infoOf(CompilePhase phase) {
  const auto *it = llvm::find_if(allCompilePhases(), [&](const auto &info) {
    return info.phase == phase;
  });
  return *it;
}

llvm::StringRef mlir::strata::toString(CompilePhase phase) {
  return infoOf(phase).name;
}

std::optional<CompileMode> mlir::strata::modeOf(CompilePhase phase) {
  return infoOf(phase).mode;
}

std::optional<CompileMode>
mlir::strata::parseCompileMode(llvm::StringRef name) {
  if (name == "train")
    return CompileMode::Train;
  if (name == "infer")
    return CompileMode::Infer;
  return std::nullopt;
}

llvm::StringRef mlir::strata::toString(CompileMode mode) {
  return mode == CompileMode::Train ? "train" : "infer";
}
