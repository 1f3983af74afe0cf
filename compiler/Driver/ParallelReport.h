//===- ParallelReport.h - strata-compile --report=parallel ------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_DRIVER_PARALLELREPORT_H
#define STRATA_COMPILER_DRIVER_PARALLELREPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::strata {

/// Prints, for a partitioned module: the mesh; per rank its coordinates,
/// pipeline stage, layers, parameter bytes and the static memory plan's peak
/// bytes by category; and the collectives one training step runs (per
/// function: count, payload and the bytes each rank sends with ring
/// algorithms). A module of one rank is reported as one rank.
LogicalResult printParallelReport(ModuleOp module, llvm::raw_ostream &os);

} // namespace mlir::strata

#endif // STRATA_COMPILER_DRIVER_PARALLELREPORT_H
