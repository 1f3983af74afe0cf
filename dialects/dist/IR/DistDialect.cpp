//===- DistDialect.cpp - dist dialect registration ------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "dialects/dist/IR/DistDialect.h"
#include "dialects/dist/IR/DistOps.h"

#include "mlir/IR/DialectImplementation.h"

using namespace mlir;
using namespace mlir::strata::dist;

#include "dialects/dist/IR/DistDialect.cpp.inc"

void DistDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/dist/IR/DistOps.cpp.inc"
      >();
  registerAttributes();
}
