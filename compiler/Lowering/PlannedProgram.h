//===- PlannedProgram.h - flatten, assign buffers, plan memory --*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_LOWERING_PLANNEDPROGRAM_H
#define STRATA_COMPILER_LOWERING_PLANNEDPROGRAM_H

#include "compiler/Lowering/BufferAssignment.h"

#include "mlir/IR/OwningOpRef.h"

namespace mlir::strata {

/// A flattened copy of a module with every tensor in a planned arena.
struct PlannedProgram {
  OwningOpRef<ModuleOp> module;
  BufferAssignment assignment;
  ::strata::planning::MemoryPlan plan;
};

/// The alignment of every buffer of |module|'s plan: 256 bytes for a CUDA
/// target (the module or an enclosing one has tfm.target = "cuda..."; what
/// cuBLASLt and vectorized kernels want), 64 (a cache line) otherwise.
size_t bufferAlignmentOf(ModuleOp module);

/// Flattens layers, fuses elementwise chains (strata-tfm-fuse-elementwise)
/// and merges repeated parameter reads in a copy of |module| (which is not
/// changed), assigns buffers and plans them. With |verifyPasses| (as
/// runCompilePhases'), the IR is verified after each pass and the plan
/// independently of the planner.
/// With |inPlace| the passes rewrite |module| itself and the result holds
/// no module (an analysis that only wants the plan saves the copy).
FailureOr<PlannedProgram> planProgram(ModuleOp module,
                                      bool verifyPasses = true,
                                      bool inPlace = false);

} // namespace mlir::strata

#endif // STRATA_COMPILER_LOWERING_PLANNEDPROGRAM_H
