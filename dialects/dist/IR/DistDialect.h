//===- DistDialect.h - dist dialect -----------------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_DIALECTS_DIST_IR_DISTDIALECT_H
#define STRATA_DIALECTS_DIST_IR_DISTDIALECT_H

#include "mlir/IR/Dialect.h"

#include "dialects/dist/IR/DistDialect.h.inc"

#endif // STRATA_DIALECTS_DIST_IR_DISTDIALECT_H
