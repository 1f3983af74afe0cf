//===- Registration.cpp - every Strata dialect -------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Registration.h"

#include "compiler/Transforms/Passes.h"
#include "dialects/dist/IR/DistDialect.h"
#include "dialects/tfm/IR/TfmDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"

void mlir::strata::registerStrataDialects(DialectRegistry &registry) {
  registry.insert<tfm::TfmDialect, dist::DistDialect, func::FuncDialect>();
}

void mlir::strata::registerStrataPasses() { registerStrataTransformsPasses(); }
