//===- TfmDialect.cpp - tfm dialect registration --------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "dialects/tfm/IR/TfmDialect.h"
#include "dialects/tfm/IR/TfmOps.h"

#include "mlir/IR/DialectImplementation.h"

using namespace mlir;
using namespace mlir::strata::tfm;

#include "dialects/tfm/IR/TfmDialect.cpp.inc"

void TfmDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/tfm/IR/TfmOps.cpp.inc"
      >();
  registerAttributes();
  registerShardingRules(*getContext());
}
