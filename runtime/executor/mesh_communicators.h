//===- mesh_communicators.h - one communicator per mesh axis ----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The communicators of one rank on the artifact's dp x pp x tp mesh: one per
// axis, over the ranks that share this rank's other two coordinates, ranked
// by the coordinate along the axis (mesh_shape.h), plus one over the whole
// world. The executor asks for communicator("tp") whatever the launch: with
// one rank (no mpirun, or an MPI-less build) every communicator is a
// SingleProcessCommunicator, and so is any axis of extent 1 under MPI, whose
// collectives are then plain copies.
//
// Usage:
//   STRATA_ASSIGN_OR_RETURN(auto mesh,
//                           MeshCommunicators::create({1, 2, 2}, *session));
//   STRATA_ASSIGN_OR_RETURN(Communicator *tp, mesh->communicator("tp"));
//   STRATA_RETURN_IF_ERROR(tp->allReduce(partial, n, ElementType::F32,
//                                        ReduceOp::Sum));
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_MESH_COMMUNICATORS_H
#define STRATA_RUNTIME_EXECUTOR_MESH_COMMUNICATORS_H

#include "runtime/executor/communicator.h"
#include "common/mesh_shape.h"
#include "runtime/executor/mpi_session.h"

#include <array>
#include <memory>
#include <string_view>

namespace strata::runtime {

class MeshCommunicators {
public:
  /// Checks that |shape| has exactly |session|'s ranks and creates the
  /// communicators. Collective under MPI: every rank calls it, each bounded
  /// by the session's timeout. Destroy the result before |session|.
  static StatusOr<std::unique_ptr<MeshCommunicators>>
  create(const MeshShape &shape, const MpiSession &session);

  const MeshShape &shape() const { return shape_; }
  /// This rank's world rank and its coordinates on the mesh.
  int rank() const { return rank_; }
  const MeshCoordinates &coordinates() const { return coordinates_; }

  Communicator &world() { return *world_; }
  Communicator &communicator(MeshAxis axis) { return *axes_[int(axis)]; }
  /// The communicator of the axis named "dp", "pp" or "tp".
  StatusOr<Communicator *> communicator(std::string_view axisName);

private:
  MeshCommunicators() = default;

  MeshShape shape_;
  int rank_ = 0;
  MeshCoordinates coordinates_;
  std::unique_ptr<Communicator> world_;
  std::array<std::unique_ptr<Communicator>, kMeshAxes.size()> axes_;
};

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_MESH_COMMUNICATORS_H
