//===- DistOps.h - dist dialect operations ----------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_DIALECTS_DIST_IR_DISTOPS_H
#define STRATA_DIALECTS_DIST_IR_DISTOPS_H

#include "dialects/dist/IR/DistDialect.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/dist/IR/DistEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/dist/IR/DistAttrs.h.inc"

#define GET_OP_CLASSES
#include "dialects/dist/IR/DistOps.h.inc"

namespace mlir::strata::dist {

/// The name of the mesh axis that pipeline stages, send and recv run along.
inline constexpr llvm::StringLiteral kPipelineAxis = "pp";

/// Checks |sharding| against |mesh| and the global tensor type |type|: the
/// sharding names |mesh|, has one entry per dimension of |type|, uses only
/// axes of |mesh|, and every split dimension of static size is divisible by
/// the product of the sizes of its axes (uneven splits are errors, never
/// truncated). Reports the first violation through |emitError|.
LogicalResult verifyShardingFor(function_ref<InFlightDiagnostic()> emitError,
                                RankedTensorType type, ShardingAttr sharding,
                                MeshOp mesh);

/// The local, per-rank type of a tensor of global type |type| sharded by
/// |sharding| over |mesh|: every split static dimension divided by the product
/// of its axes' sizes (dynamic dimensions stay dynamic). Fails, reporting
/// through |emitError|, where verifyShardingFor does.
FailureOr<RankedTensorType>
getLocalType(function_ref<InFlightDiagnostic()> emitError,
             RankedTensorType type, ShardingAttr sharding, MeshOp mesh);

/// The product of the sizes of |axes| in |mesh|, or failure after reporting
/// through |emitError| an axis the mesh lacks (naming the mesh's axes).
FailureOr<int64_t> groupSize(function_ref<InFlightDiagnostic()> emitError,
                             MeshOp mesh, ArrayRef<StringRef> axes);

/// "axis 'tp' of size 4" or "axes 'dp', 'tp' of size 8": how diagnostics
/// name a group of mesh axes whose sizes multiply to |size|.
std::string describeAxisGroup(ArrayRef<StringRef> axes, int64_t size);

} // namespace mlir::strata::dist

#endif // STRATA_DIALECTS_DIST_IR_DISTOPS_H
