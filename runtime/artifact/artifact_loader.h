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
// Usage:
//   STRATA_ASSIGN_OR_RETURN(LoadedArtifact artifact, loadArtifact(path));
//   const artifact::Artifact &root = artifact.root();
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_ARTIFACT_ARTIFACT_LOADER_H
#define STRATA_RUNTIME_ARTIFACT_ARTIFACT_LOADER_H

#include "runtime/artifact/artifact_generated.h"
#include "runtime/artifact/artifact_version.h"
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

class LoadedArtifact {
public:
  const artifact::Artifact &root() const { return *root_; }
  const std::string &path() const { return path_; }
  /// The function named |name|, or null.
  const artifact::Function *findFunction(const std::string &name) const;

private:
  friend StatusOr<LoadedArtifact> loadArtifactFromBytes(std::vector<uint8_t>,
                                                        const std::string &);
  std::string path_;
  std::shared_ptr<std::vector<uint8_t>> bytes_;
  const artifact::Artifact *root_ = nullptr;
};

/// Reads and checks the artifact at |path|.
StatusOr<LoadedArtifact> loadArtifact(const std::string &path);

/// Checks |bytes| (named |path| in messages) and takes ownership of them.
StatusOr<LoadedArtifact> loadArtifactFromBytes(std::vector<uint8_t> bytes,
                                               const std::string &path);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_ARTIFACT_ARTIFACT_LOADER_H
