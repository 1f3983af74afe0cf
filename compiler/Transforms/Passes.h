//===- Passes.h - Strata's compiler passes ----------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_TRANSFORMS_PASSES_H
#define STRATA_COMPILER_TRANSFORMS_PASSES_H

#include "dialects/dist/IR/DistDialect.h"
#include "dialects/tfm/IR/TfmDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::strata {

#define GEN_PASS_DECL
#include "compiler/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "compiler/Transforms/Passes.h.inc"

} // namespace mlir::strata

#endif // STRATA_COMPILER_TRANSFORMS_PASSES_H
