//===- TfmDialect.h - tfm dialect -------------------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_DIALECTS_TFM_IR_TFMDIALECT_H
#define STRATA_DIALECTS_TFM_IR_TFMDIALECT_H

#include "mlir/IR/Dialect.h"

#include "dialects/tfm/IR/TfmDialect.h.inc"

#endif // STRATA_DIALECTS_TFM_IR_TFMDIALECT_H
