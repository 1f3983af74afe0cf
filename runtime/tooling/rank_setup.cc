//===- rank_setup.cc - strata-run as one rank of an MPI job ---------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/tooling/rank_setup.h"

#include "runtime/backends/registry.h"

#include <cstdio>
#include <cstdlib>

namespace strata::runtime {

RankSetup &rankSetup() {
  static RankSetup setup;
  return setup;
}

Status RankSetup::initialize() {
  STRATA_ASSIGN_OR_RETURN(session_, MpiSession::initialize());
  return Status::ok();
}

StatusOr<const RankMesh *> RankSetup::meshFor(const LoadedArtifact &artifact) {
  if (communicators_)
    return &mesh_;
  const auto &root = artifact.root();
  MeshShape shape;
  std::vector<std::string> axes;
  std::vector<int64_t> sizes;
  if (root.mesh_shape() && root.mesh_axes()) {
    for (uint32_t i = 0; i < root.mesh_shape()->size(); ++i) {
      const std::string name =
          i < root.mesh_axes()->size() ? root.mesh_axes()->Get(i)->str() : "?";
      std::optional<MeshAxis> axis = parseMeshAxis(name);
      if (!axis)
        return Status::dataLoss(artifact.path() + ": mesh axis '" + name +
                                "' is not one of dp, pp, tp");
      const int64_t size = root.mesh_shape()->Get(i);
      if (size < 1 || size > (1 << 20))
        return Status::dataLoss(artifact.path() + ": mesh axis '" + name +
                                "' has size " + std::to_string(size));
      switch (*axis) {
      case MeshAxis::DP:
        shape.dp = int(size);
        break;
      case MeshAxis::PP:
        shape.pp = int(size);
        break;
      case MeshAxis::TP:
        shape.tp = int(size);
        break;
      }
      axes.push_back(name);
      sizes.push_back(size);
    }
  }
  if (shape.rankCount() == 1 && worldSize() == 1)
    return static_cast<const RankMesh *>(nullptr);
  if (!session_)
    STRATA_RETURN_IF_ERROR(initialize());
  StatusOr<std::unique_ptr<MeshCommunicators>> created =
      MeshCommunicators::create(shape, *session_);
  if (!created.isOk())
    return created.status().withContext(artifact.path());
  communicators_ = std::move(*created);
  mesh_.axes = axes;
  mesh_.shape = sizes;
  mesh_.coords.clear();
  mesh_.communicators.clear();
  for (const std::string &name : axes) {
    const MeshAxis axis = *parseMeshAxis(name);
    mesh_.coords.push_back(communicators_->coordinates().coordinate(axis));
    mesh_.communicators.push_back(&communicators_->communicator(axis));
  }
  return &mesh_;
}

StatusOr<RankArtifact>
RankSetup::loadArtifact(const std::string &path,
                        const std::string &pipelineRefusal) {
  STRATA_ASSIGN_OR_RETURN(LoadedArtifact loaded, runtime::loadArtifact(path));
  if (loaded.isPipelineRoot() && !pipelineRefusal.empty())
    return Status::failedPrecondition(
        path + " is pipeline parallel (" +
        std::to_string(loaded.pipelineStages().size()) + " stages); " +
        pipelineRefusal);
  RankArtifact out;
  STRATA_ASSIGN_OR_RETURN(out.mesh, meshFor(loaded));
  if (!loaded.isPipelineRoot()) {
    out.artifact = std::move(loaded);
    return out;
  }
  // The loader checked that the root's pp axis has one stage per
  // coordinate and that stage s says it is stage s.
  int64_t stage = 0, stages = 1;
  if (out.mesh)
    for (size_t i = 0; i < out.mesh->axes.size(); ++i)
      if (out.mesh->axes[i] == "pp") {
        stage = out.mesh->coords[i];
        stages = out.mesh->shape[i];
      }
  if (stages != int64_t(loaded.pipelineStages().size()))
    return Status::dataLoss(
        path + ": " + std::to_string(loaded.pipelineStages().size()) +
        " pipeline stages for a pp axis of size " + std::to_string(stages));
  STRATA_ASSIGN_OR_RETURN(out.artifact, loaded.pipelineStage(stage));
  if (out.artifact.root().pipeline_stage() != stage)
    return Status::dataLoss(
        out.artifact.path() + ": declares pipeline_stage " +
        std::to_string(out.artifact.root().pipeline_stage()) +
        " for the ranks of pp coordinate " + std::to_string(stage));
  return out;
}

StatusOr<std::unique_ptr<Communicator>>
RankSetup::worldCommunicator(double timeoutSeconds) {
  if (!session_)
    STRATA_RETURN_IF_ERROR(initialize());
  return session_->worldCommunicator(timeoutSeconds);
}

StatusOr<Backend *> RankSetup::backend(int threads) {
  if (!backend_) {
    // The session first: the backend's communicators need the rank and
    // the communication time limit.
    if (!session_)
      STRATA_RETURN_IF_ERROR(initialize());
    BackendOptions options;
    options.numThreads = threads;
    options.worldRank = session_->worldRank();
    options.localRank = session_->localRank();
    options.commTimeoutSeconds = session_->commTimeoutSeconds();
    options.gemmCache = gemmCache_;
    StatusOr<std::unique_ptr<Backend>> created =
        createBackend(device_, options);
    if (!created.isOk())
      return created.status().withContext("--device " + device_);
    backend_ = std::move(*created);
  }
  return backend_.get();
}

void RankSetup::abortJob(int code) {
  std::fflush(stdout);
  std::fflush(stderr);
  if (session_ && worldSize() > 1)
    session_->abort(code);
  std::exit(code);
}

void RankSetup::shutDown() {
  backend_.reset();
  communicators_.reset();
  session_.reset();
}

} // namespace strata::runtime
