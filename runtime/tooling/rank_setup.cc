//===- rank_setup.cc - strata-run as one rank of an MPI job ---------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/tooling/rank_setup.h"

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

void RankSetup::abortJob(int code) {
  std::fflush(stdout);
  std::fflush(stderr);
  if (session_ && worldSize() > 1)
    session_->abort(code);
  std::exit(code);
}

void RankSetup::shutDown() {
  communicators_.reset();
  session_.reset();
}

} // namespace strata::runtime
