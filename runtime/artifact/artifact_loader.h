//===- artifact_loader.h - reading and checking a .strata file -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Loading never trusts the file: the FlatBuffers verifier runs first, then
// every buffer range is checked against the arena, every parameter's slots
// against their categories and shapes, and every instruction against its
// kernel's signature (runtime/artifact/kernel_signatures.h). A truncated,
// bit-flipped or wrong-version file is a Status naming the file and the
// values at fault, never a crash.
//
// A pipeline-parallel artifact (format 0.5) is a root holding one complete
// artifact per stage and no program of its own; loading the root checks
// every stage as it checks a file (checksum, verifier, plan, instructions)
// and that the stages fit the root (one per pp coordinate, the same mesh
// and micro-batches). A rank then runs pipelineStage(its pp coordinate).
//
// Usage:
//   STRATA_ASSIGN_OR_RETURN(LoadedArtifact artifact, loadArtifact(path));
//   const artifact::Artifact &root = artifact.root();
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_ARTIFACT_ARTIFACT_LOADER_H
#define STRATA_RUNTIME_ARTIFACT_ARTIFACT_LOADER_H

#include "runtime/artifact/artifact_generated.h"
#include "runtime/artifact/artifact_version.h"
#include "runtime/support/dtype.h"
#include "runtime/support/status.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace strata::runtime {

/// Every buffer offset in the arena is a multiple of this.
inline constexpr uint64_t kArtifactBufferAlignment = 64;

/// Bytes of one element of |dtype|, or 0 for a value outside the enum.
uint64_t dtypeSize(artifact::DType dtype);

/// The runtime element type of an artifact element type (the same list).
DType toRuntimeDType(artifact::DType dtype);

struct ArtifactReader;

class LoadedArtifact {
public:
  const artifact::Artifact &root() const { return *root_; }
  const std::string &path() const { return path_; }
  /// The function named |name|, or null.
  const artifact::Function *findFunction(const std::string &name) const;

  /// Whether this is a pipeline-parallel root (stages, no program).
  bool isPipelineRoot() const;
  /// The checked stage programs of a pipeline-parallel model in stage order:
  /// a root's own, and for a stage taken with pipelineStage() its siblings
  /// (itself included), so a stage can see the whole model's parameters.
  /// Empty otherwise.
  const std::vector<LoadedArtifact> &pipelineStages() const;
  /// Stage |stage| of a pipeline root (the program of the ranks whose pp
  /// coordinate is |stage|); an error naming the stage count otherwise.
  StatusOr<LoadedArtifact> pipelineStage(int64_t stage) const;

private:
  friend struct ArtifactReader; // artifact_loader.cc
  std::string path_;
  std::shared_ptr<std::vector<uint8_t>> bytes_;
  const artifact::Artifact *root_ = nullptr;
  /// The stages of the pipeline this artifact is the root or a stage of
  /// (their own stages_ are null, so nothing owns itself).
  std::shared_ptr<const std::vector<LoadedArtifact>> stages_;
};

/// Reads and checks the artifact at |path|.
StatusOr<LoadedArtifact> loadArtifact(const std::string &path);

/// Checks |bytes| (named |path| in messages) and takes ownership of them.
StatusOr<LoadedArtifact> loadArtifactFromBytes(std::vector<uint8_t> bytes,
                                               const std::string &path);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_ARTIFACT_ARTIFACT_LOADER_H
