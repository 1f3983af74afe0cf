//===- TfmOps.h - tfm dialect operations ------------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_DIALECTS_TFM_IR_TFMOPS_H
#define STRATA_DIALECTS_TFM_IR_TFMOPS_H

#include "dialects/dist/Sharding/ShardingRule.h"
#include "dialects/tfm/IR/TfmDialect.h"
#include "dialects/tfm/IR/TfmTraits.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/BitVector.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/tfm/IR/TfmEnums.h.inc"
#include "dialects/tfm/IR/TfmInterfaces.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/tfm/IR/TfmAttrs.h.inc"

#define GET_OP_CLASSES
#include "dialects/tfm/IR/TfmOps.h.inc"

namespace mlir::strata::tfm {
/// Replaces |layer| by a layer without the results in |drop| (which must
/// have no uses) and without their yielded values; the other results keep
/// their uses. Returns the new layer (|layer| itself when |drop| is empty).
LayerOp eraseLayerResults(LayerOp layer, const llvm::BitVector &drop);

/// True for ops that later passes repeat where their value is needed
/// instead of keeping it alive or sending it: parameter reads and
/// constants (pure, no operands, no regions), and pure region-free ops
/// of such values only (a parameter read cast to the compute type under
/// mixed precision O1). The backward layers of the training derivation
/// and the pipeline pieces re-read parameters this way.
bool isRematerializable(Operation *op);

/// Clones |op| and, first, the rematerializable ops that define its
/// operands and are not mapped yet, at |builder|'s insertion point; records
/// the clones in |mapping| and returns the clone of |op|.
Operation *cloneWithRematerializedOperands(OpBuilder &builder, Operation &op,
                                           IRMapping &mapping);

/// Attaches ShardingRuleOpInterface to the tfm ops (TfmShardingRules.cpp);
/// called when the dialect is loaded.
void registerShardingRules(MLIRContext &context);
} // namespace mlir::strata::tfm

#endif // STRATA_DIALECTS_TFM_IR_TFMOPS_H
