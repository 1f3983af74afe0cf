//===- StepCollectives.h - the collectives of one training step -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// What a partitioned program sends between ranks, as data: per pipeline
// stage and function, each kind of collective over each group of mesh axes,
// with its calls, payload and the bytes one rank sends with ring algorithms
// (all-reduce 2 (n-1)/n of the tensor, all-gather and reduce-scatter
// (n-1)/n of the whole tensor). strata-compile --report=parallel prints it;
// the compile library (compiler/Api) returns it to the tuner.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_DRIVER_STEPCOLLECTIVES_H
#define STRATA_COMPILER_DRIVER_STEPCOLLECTIVES_H

#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::strata {

/// The device mesh of a partitioned program: axes outermost first, ranks
/// numbered with the last axis fastest. A program without dist.mesh is one
/// rank of dp=1 x pp=1 x tp=1.
struct MeshInfo {
  std::vector<std::string> axes{"dp", "pp", "tp"};
  std::vector<int64_t> shape{1, 1, 1};

  int64_t ranks() const;
  /// The extent of |axis| (1 for an axis the mesh does not have).
  int64_t sizeOf(llvm::StringRef axis) const;
};

MeshInfo meshOf(ModuleOp module);

/// One kind of collective over one group in one function of one stage.
struct StepCollective {
  int64_t stage = 0;
  std::string function;
  /// all_reduce, all_gather, reduce_scatter, send, recv, or the bucketed
  /// gradient collectives "reduce_grads (all_reduce)",
  /// "reduce_scatter_grads", "gather_params (all_gather)".
  std::string kind;
  /// The mesh axes of the group ("tp", "dp"...); empty for send and recv.
  std::vector<std::string> axes;
  /// Ranks in the group (2 for send, 1 for recv).
  int64_t groupSize = 1;
  /// Per call of the function: collectives, bytes of their (larger, full)
  /// tensors, bytes one rank sends.
  int64_t count = 0;
  int64_t payloadBytes = 0;
  int64_t sentBytes = 0;
  /// Calls of the function per training step: the micro-batches for
  /// forward_backward and the pipeline step functions, 1 otherwise.
  int64_t callsPerStep = 1;
  /// False for the evaluation functions (forward, forward.c), which a
  /// training step does not run.
  bool inTrainingStep = true;
};

/// Calls of |function| per training step: |microBatches| for
/// forward_backward and the pipeline step functions (forward_step.c,
/// backward_step.c), 1 for the others.
int64_t stepCallsOf(llvm::StringRef function, int64_t microBatches);
/// False for the evaluation functions (forward, forward.c) and
/// prompt_tables (run when a checkpoint is saved).
bool inTrainingStep(llvm::StringRef function);

/// The collectives of every function of |stages| (the pipeline stage
/// modules, or the whole program as one stage), in stage, function, kind
/// and axes order.
std::vector<StepCollective> stepCollectives(ArrayRef<ModuleOp> stages,
                                            const MeshInfo &mesh,
                                            int64_t microBatches);

} // namespace mlir::strata

#endif // STRATA_COMPILER_DRIVER_STEPCOLLECTIVES_H
