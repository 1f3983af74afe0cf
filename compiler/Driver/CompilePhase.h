//===- CompilePhase.h - named phases of compilation -------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// `strata-compile --compile-to=<phase>` stops after a phase and prints its
// IR. The names follow docs/architecture.md; a phase is listed here once the
// compiler implements it. `--mode` chooses the program: training (the
// default) derives a training step from the input phase, inference derives
// prefill and decode functions with a KV cache; each mode has its own
// derivation phase after `input`.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_DRIVER_COMPILEPHASE_H
#define STRATA_COMPILER_DRIVER_COMPILEPHASE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <vector>

namespace mlir::strata {

/// What the compiled program is for (`--mode`).
enum class CompileMode {
  /// A training step (and `forward` for evaluation).
  Train,
  /// Prefill and decode functions over a KV cache.
  Infer,
};

enum class CompilePhase {
  /// Frontend output: tfm ops on global shapes, one tfm.layer per layer.
  Input,
  /// The training step: forward_backward, zero_grads, optimizer_step.
  Training,
  /// KV-cache inference: prefill and decode.
  Inference,
  /// Each rank's program over the device mesh (strata-partition).
  Partitioned,
};

struct CompilePhaseInfo {
  CompilePhase phase;
  llvm::StringRef name;
  llvm::StringRef description;
  /// The mode the phase belongs to; none for phases of every mode.
  std::optional<CompileMode> mode;
};

/// Every implemented phase: those of every mode in pipeline order, each
/// mode's own phase where it falls.
llvm::ArrayRef<CompilePhaseInfo> allCompilePhases();

/// The phases a compilation in |mode| runs through, in order.
std::vector<CompilePhaseInfo> compilePhasesOf(CompileMode mode);

/// Whether a compilation in |mode| up to |target| runs |phase|.
bool runsPhase(CompileMode mode, CompilePhase target, CompilePhase phase);

std::optional<CompilePhase> parseCompilePhase(llvm::StringRef name);
llvm::StringRef toString(CompilePhase phase);
/// The phase's mode, or none when every mode has it.
std::optional<CompileMode> modeOf(CompilePhase phase);

/// "train" and "infer".
std::optional<CompileMode> parseCompileMode(llvm::StringRef name);
llvm::StringRef toString(CompileMode mode);

} // namespace mlir::strata

#endif // STRATA_COMPILER_DRIVER_COMPILEPHASE_H
