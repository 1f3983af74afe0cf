//===- mesh_communicators.cc - one communicator per mesh axis -------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/mesh_communicators.h"

#include <string>

#ifdef STRATA_HAVE_MPI
#include "runtime/executor/mpi_communicator.h"
#endif

namespace strata::runtime {

StatusOr<std::unique_ptr<MeshCommunicators>>
MeshCommunicators::create(const MeshShape &shape, const MpiSession &session) {
  if (std::optional<std::string> error =
          meshShapeError(shape, session.worldSize()))
    return Status::invalidArgument(*error);
  std::unique_ptr<MeshCommunicators> mesh(new MeshCommunicators());
  mesh->shape_ = shape;
  mesh->rank_ = session.worldRank();
  mesh->coordinates_ = meshCoordinates(shape, mesh->rank_);
  if (session.worldSize() == 1) {
    mesh->world_ = std::make_unique<SingleProcessCommunicator>();
    for (auto &axis : mesh->axes_)
      axis = std::make_unique<SingleProcessCommunicator>();
    return mesh;
  }
#ifdef STRATA_HAVE_MPI
  STRATA_ASSIGN_OR_RETURN(
      std::unique_ptr<MpiCommunicator> world,
      MpiCommunicator::duplicate(MPI_COMM_WORLD, "world",
                                 session.commTimeoutSeconds()));
  for (MeshAxis axis : kMeshAxes) {
    auto &slot = mesh->axes_[int(axis)];
    // The extent is the same on every rank, so all skip the split together.
    if (shape.extent(axis) == 1) {
      slot = std::make_unique<SingleProcessCommunicator>();
      continue;
    }
    // Colour: the group's rank at coordinate 0 names the group; key: the
    // coordinate, so the axis communicator's rank is the coordinate.
    int color = meshAxisGroup(shape, mesh->rank_, axis).front();
    int key = mesh->coordinates_.coordinate(axis);
    STRATA_ASSIGN_OR_RETURN(slot, world->split(color, key,
                                               meshAxisName(axis)));
  }
  mesh->world_ = std::move(world);
  return mesh;
#else
  // MpiSession refuses multi-rank launches in builds without MPI.
  return Status::internal("a world of " +
                          std::to_string(session.worldSize()) +
                          " ranks in a build without MPI");
#endif
}

StatusOr<Communicator *>
MeshCommunicators::communicator(std::string_view axisName) {
  if (std::optional<MeshAxis> axis = parseMeshAxis(axisName))
    return &communicator(*axis);
  return Status::notFound("the mesh has no axis '" + std::string(axisName) +
                          "' (its axes are dp, pp and tp)");
}

} // namespace strata::runtime
