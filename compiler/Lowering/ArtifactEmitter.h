//===- ArtifactEmitter.h - a planned module to a .strata file ---*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Serializes a flattened module, its buffer assignment and memory plan into
// the artifact format (runtime/artifact/artifact.fbs): one instruction per
// op, with the kernel, operand and result buffers and attributes the
// runtime's kernel signatures expect.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_LOWERING_ARTIFACTEMITTER_H
#define STRATA_COMPILER_LOWERING_ARTIFACTEMITTER_H

#include "compiler/Lowering/BufferAssignment.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::strata {

struct ArtifactSources {
  /// The model description text the module came from ("" for .mlir input).
  std::string description;
  /// The compile options, as JSON.
  std::string compileOptions = "{}";
  /// The artifact's model name; empty: the module's name.
  std::string modelName;
  /// The device it is compiled for (strata-compile --target).
  std::string target = "cpu";
};

/// The size-prefixed artifact bytes, or failure with a diagnostic at the op
/// that has no kernel.
FailureOr<std::vector<uint8_t>>
emitArtifact(ModuleOp module, const BufferAssignment &assignment,
             const ::strata::planning::MemoryPlan &plan,
             const ArtifactSources &sources);

/// The artifact of a pipeline-parallel |module| (its body the stage modules
/// of strata-pipeline): no program of its own, |stages| (each stage's
/// emitArtifact bytes, in stage order) nested.
FailureOr<std::vector<uint8_t>>
emitPipelineArtifact(ModuleOp module,
                     const std::vector<std::vector<uint8_t>> &stages,
                     const ArtifactSources &sources);

} // namespace mlir::strata

#endif // STRATA_COMPILER_LOWERING_ARTIFACTEMITTER_H
