//===- StrataOpt.cpp - strata-opt main ------------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// MlirOptMain with Strata's dialects and every upstream dialect, extension
// and pass registered, for pass debugging (--pass-pipeline,
// --mlir-print-ir-after-all, -split-input-file, -verify-diagnostics).
//
//===----------------------------------------------------------------------===//
#include "compiler/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllPasses();
  mlir::strata::registerStrataDialects(registry);
  mlir::strata::registerStrataPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "Strata optimizer driver: runs passes over tfm modules\n",
      registry));
}
