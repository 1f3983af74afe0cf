//===- MemoryReport.h - strata-compile --report=memory ----------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_DRIVER_MEMORYREPORT_H
#define STRATA_COMPILER_DRIVER_MEMORYREPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::strata {

/// Plans the memory of (a flattened copy of) |module| and prints the arena
/// size and the peak bytes per category: parameters, gradients, optimizer
/// state, activations (with their sum without reuse), workspace, inputs and
/// outputs. |module| is not changed.
LogicalResult printMemoryReport(ModuleOp module, llvm::raw_ostream &os);

} // namespace mlir::strata

#endif // STRATA_COMPILER_DRIVER_MEMORYREPORT_H
