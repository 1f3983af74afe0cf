//===- Partitioner.h - one program per rank from the global one -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Turns a module on global shapes (input, training or inference phase) into
// the program every rank of a dp x pp x tp mesh runs:
//   1. declares `dist.mesh @mesh` and splits the parameters by Megatron-LM's
//      tensor-parallel layout (MegatronLayout.h): `dist.sharding` and
//      `dist.local_type` on each tfm.parameter;
//   2. propagates dimension splits through every function in both directions
//      with the ops' ShardingRuleOpInterface until nothing changes;
//   3. walks each function in program order, decides how each op runs
//      (sharding::resolve), inserts `dist.all_reduce` where a partial sum
//      meets a consumer that needs the full value and `dist.all_gather` where
//      a split dimension meets one that needs all of it, gives every value
//      its local type, and rewrites the ops whose split form differs from the
//      global op on local shapes (vocabulary-parallel embedding and
//      cross-entropy, attention dropout by global head, the gradient norm).
// Function results keep their split (recorded as a `dist.sharding` result
// attribute) but never a pending partial sum.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_PARTITIONING_PARTITIONER_H
#define STRATA_COMPILER_PARTITIONING_PARTITIONER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <cstdint>

namespace mlir::strata {

struct MeshShape {
  int64_t dp = 1;
  int64_t pp = 1;
  int64_t tp = 1;
  int64_t ranks() const { return dp * pp * tp; }
};

/// The mesh of the module's tfm.config (data_parallel_size,
/// pipeline_model_parallel_size, tensor_model_parallel_size; 1 when absent).
MeshShape meshShapeOf(ModuleOp module);

/// Partitions |module| over |mesh| in place (see the file comment). A mesh
/// of one rank leaves the module unchanged. Errors (a parallelism this
/// version cannot partition yet, a split that does not divide) are emitted
/// on the offending op.
LogicalResult partitionModule(ModuleOp module, const MeshShape &mesh);

} // namespace mlir::strata

#endif // STRATA_COMPILER_PARTITIONING_PARTITIONER_H
