//===- mesh_shape.h - ranks on a dp x pp x tp mesh --------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The arithmetic behind the per-axis communicators, as plain functions so it
// is tested without MPI. A mesh has three axes, dp (data), pp (pipeline) and
// tp (tensor), in that order; tp varies fastest, so the ranks of one tensor-
// parallel group are neighbours (on one node, where the links are fastest):
//   rank = (dp_i * pp + pp_i) * tp + tp_i
// An axis group of a rank is the ranks that share its other two coordinates,
// ordered by the coordinate along the axis.
//
// Usage:
//   MeshShape shape{/*dp=*/1, /*pp=*/2, /*tp=*/2};
//   if (std::optional<std::string> error = meshShapeError(shape, worldSize))
//     return fail(*error);
//   MeshCoordinates at = meshCoordinates(shape, 3);           // {0, 1, 1}
//   std::vector<int> tp = meshAxisGroup(shape, 3, MeshAxis::TP); // {2, 3}
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMMON_MESH_SHAPE_H
#define STRATA_COMMON_MESH_SHAPE_H

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

/// The axes in mesh order (slowest first).
enum class MeshAxis { DP = 0, PP = 1, TP = 2 };
constexpr std::array<MeshAxis, 3> kMeshAxes = {MeshAxis::DP, MeshAxis::PP,
                                               MeshAxis::TP};

/// "dp", "pp" or "tp": the names the compiler's dist.mesh uses.
const char *meshAxisName(MeshAxis axis);
std::optional<MeshAxis> parseMeshAxis(std::string_view name);

struct MeshShape {
  int dp = 1;
  int pp = 1;
  int tp = 1;

  int extent(MeshAxis axis) const;
  /// dp * pp * tp (the caller checks the sizes first: checkMeshShape).
  int rankCount() const;
  /// "dp=1 x pp=2 x tp=2".
  std::string toString() const;
};

struct MeshCoordinates {
  int dp = 0;
  int pp = 0;
  int tp = 0;

  int coordinate(MeshAxis axis) const;
  int &coordinate(MeshAxis axis);
  bool operator==(const MeshCoordinates &other) const {
    return dp == other.dp && pp == other.pp && tp == other.tp;
  }
};

/// Why |shape| is not a mesh of |worldSize| ranks (an axis without ranks, or
/// another count of ranks), or nothing when it is one.
std::optional<std::string> meshShapeError(const MeshShape &shape, int worldSize);

/// The coordinates of |rank| (0 <= rank < shape.rankCount()).
MeshCoordinates meshCoordinates(const MeshShape &shape, int rank);
/// The rank at |coordinates|; the inverse of meshCoordinates.
int meshRank(const MeshShape &shape, const MeshCoordinates &coordinates);
/// The ranks of |rank|'s group along |axis|, ordered by their coordinate on
/// |axis|: element i is the rank with coordinate i.
std::vector<int> meshAxisGroup(const MeshShape &shape, int rank,
                               MeshAxis axis);

} // namespace strata

#endif // STRATA_COMMON_MESH_SHAPE_H
