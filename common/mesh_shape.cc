//===- mesh_shape.cc - ranks on a dp x pp x tp mesh -----------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "common/mesh_shape.h"

#include <cassert>
#include <cstdint>

namespace strata {

const char *meshAxisName(MeshAxis axis) {
  switch (axis) {
  case MeshAxis::DP: return "dp";
  case MeshAxis::PP: return "pp";
  case MeshAxis::TP: return "tp";
  }
  return "?";
}

std::optional<MeshAxis> parseMeshAxis(std::string_view name) {
  for (MeshAxis axis : kMeshAxes)
    if (name == meshAxisName(axis))
      return axis;
  return std::nullopt;
}

int MeshShape::extent(MeshAxis axis) const {
  switch (axis) {
  case MeshAxis::DP: return dp;
  case MeshAxis::PP: return pp;
  case MeshAxis::TP: return tp;
  }
  return 0;
}

int MeshShape::rankCount() const { return dp * pp * tp; }

std::string MeshShape::toString() const {
  return "dp=" + std::to_string(dp) + " x pp=" + std::to_string(pp) +
         " x tp=" + std::to_string(tp);
}

int MeshCoordinates::coordinate(MeshAxis axis) const {
  switch (axis) {
  case MeshAxis::DP: return dp;
  case MeshAxis::PP: return pp;
  case MeshAxis::TP: return tp;
  }
  return 0;
}

int &MeshCoordinates::coordinate(MeshAxis axis) {
  switch (axis) {
  case MeshAxis::DP: return dp;
  case MeshAxis::PP: return pp;
  case MeshAxis::TP: break;
  }
  return tp;
}

std::optional<std::string> meshShapeError(const MeshShape &shape, int worldSize) {
  int64_t ranks = 1;
  for (MeshAxis axis : kMeshAxes) {
    if (shape.extent(axis) < 1)
      return std::string(
          "the artifact's mesh " + shape.toString() + " gives axis " +
          meshAxisName(axis) + " no rank; every axis needs at least one");
    ranks *= shape.extent(axis);
    if (ranks > INT32_MAX)
      return std::string("the artifact's mesh " + shape.toString() +
                                     " has more ranks than an int can count");
  }
  if (ranks == worldSize)
    return std::nullopt;
  // The size comes from the launcher (mpirun, or srun through PMIx).
  const std::string fits = "mpirun -np " + std::to_string(ranks) +
                           " or srun --mpi=pmix -n " + std::to_string(ranks);
  std::string started =
      worldSize == 1 ? "this process runs alone (start it with " + fits + ")"
                     : "the launcher started " + std::to_string(worldSize) +
                           " (start it with " + fits + ")";
  return std::string("the artifact's mesh " + shape.toString() +
                                 " needs " + std::to_string(ranks) +
                                 " ranks; " + started);
}

MeshCoordinates meshCoordinates(const MeshShape &shape, int rank) {
  assert(rank >= 0 && rank < shape.rankCount() && "rank outside the mesh");
  MeshCoordinates at;
  at.tp = rank % shape.tp;
  at.pp = rank / shape.tp % shape.pp;
  at.dp = rank / (shape.tp * shape.pp);
  return at;
}

int meshRank(const MeshShape &shape, const MeshCoordinates &at) {
  return (at.dp * shape.pp + at.pp) * shape.tp + at.tp;
}

std::vector<int> meshAxisGroup(const MeshShape &shape, int rank,
                               MeshAxis axis) {
  MeshCoordinates at = meshCoordinates(shape, rank);
  std::vector<int> group;
  group.reserve(shape.extent(axis));
  for (int i = 0; i < shape.extent(axis); ++i) {
    at.coordinate(axis) = i;
    group.push_back(meshRank(shape, at));
  }
  return group;
}

} // namespace strata
