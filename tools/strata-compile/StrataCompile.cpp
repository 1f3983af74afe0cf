//===- StrataCompile.cpp - strata-compile main ----------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "compiler/Driver/CompileDriver.h"

int main(int argc, char **argv) {
  return mlir::strata::runStrataCompileMain(argc, argv);
}
