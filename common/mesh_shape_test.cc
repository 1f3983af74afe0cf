//===- mesh_shape_test.cc - rank coordinates and axis groups --------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "common/mesh_shape.h"

#include <gtest/gtest.h>

#include <set>

namespace strata {
namespace {

TEST(MeshShapeTest, TensorParallelCoordinateVariesFastest) {
  MeshShape shape{/*dp=*/2, /*pp=*/3, /*tp=*/4};
  EXPECT_EQ(meshCoordinates(shape, 0), (MeshCoordinates{0, 0, 0}));
  EXPECT_EQ(meshCoordinates(shape, 1), (MeshCoordinates{0, 0, 1}));
  EXPECT_EQ(meshCoordinates(shape, 4), (MeshCoordinates{0, 1, 0}));
  EXPECT_EQ(meshCoordinates(shape, 12), (MeshCoordinates{1, 0, 0}));
  EXPECT_EQ(meshCoordinates(shape, 23), (MeshCoordinates{1, 2, 3}));
}

TEST(MeshShapeTest, RankAndCoordinatesAreInverse) {
  MeshShape shape{/*dp=*/2, /*pp=*/3, /*tp=*/4};
  for (int rank = 0; rank < shape.rankCount(); ++rank) {
    MeshCoordinates at = meshCoordinates(shape, rank);
    EXPECT_EQ(meshRank(shape, at), rank);
    EXPECT_EQ(at.dp, at.coordinate(MeshAxis::DP));
    EXPECT_EQ(at.pp, at.coordinate(MeshAxis::PP));
    EXPECT_EQ(at.tp, at.coordinate(MeshAxis::TP));
  }
}

TEST(MeshShapeTest, AxisGroupsOfTwoByTwoPipelineTensorMesh) {
  MeshShape shape{/*dp=*/1, /*pp=*/2, /*tp=*/2};
  EXPECT_EQ(meshAxisGroup(shape, 3, MeshAxis::TP), (std::vector<int>{2, 3}));
  EXPECT_EQ(meshAxisGroup(shape, 3, MeshAxis::PP), (std::vector<int>{1, 3}));
  EXPECT_EQ(meshAxisGroup(shape, 3, MeshAxis::DP), (std::vector<int>{3}));
  EXPECT_EQ(meshAxisGroup(shape, 0, MeshAxis::TP), (std::vector<int>{0, 1}));
  EXPECT_EQ(meshAxisGroup(shape, 0, MeshAxis::PP), (std::vector<int>{0, 2}));
}

// Along every axis the groups partition the ranks, and a rank's position in
// its group is its coordinate: what MPI_Comm_split's color and key rely on.
TEST(MeshShapeTest, AxisGroupsPartitionTheRanks) {
  MeshShape shape{/*dp=*/2, /*pp=*/3, /*tp=*/2};
  for (MeshAxis axis : kMeshAxes) {
    std::set<std::vector<int>> groups;
    for (int rank = 0; rank < shape.rankCount(); ++rank) {
      std::vector<int> group = meshAxisGroup(shape, rank, axis);
      ASSERT_EQ(int(group.size()), shape.extent(axis));
      EXPECT_EQ(group[meshCoordinates(shape, rank).coordinate(axis)], rank);
      for (int member : group)
        EXPECT_EQ(meshAxisGroup(shape, member, axis), group);
      groups.insert(group);
    }
    EXPECT_EQ(int(groups.size()), shape.rankCount() / shape.extent(axis))
        << meshAxisName(axis);
  }
}

TEST(MeshShapeTest, WrongWorldSizeNamesTheMeshAndTheLaunch) {
  MeshShape shape{/*dp=*/1, /*pp=*/2, /*tp=*/2};
  EXPECT_EQ(meshShapeError(shape, 4), std::nullopt);
  EXPECT_EQ(meshShapeError(shape, 2),
            "the artifact's mesh dp=1 x pp=2 x tp=2 needs 4 ranks; the "
            "launcher started 2 (start it with mpirun -np 4 or srun "
            "--mpi=pmix -n 4)");
  EXPECT_NE(meshShapeError(shape, 1).value_or("").find("mpirun -np 4"),
            std::string::npos);
}

TEST(MeshShapeTest, EveryAxisNeedsARank) {
  std::optional<std::string> error =
      meshShapeError(MeshShape{/*dp=*/1, /*pp=*/0, /*tp=*/2}, 0);
  EXPECT_NE(error.value_or("").find("axis pp"), std::string::npos);
}

TEST(MeshShapeTest, AxisNames) {
  for (MeshAxis axis : kMeshAxes)
    EXPECT_EQ(parseMeshAxis(meshAxisName(axis)), axis);
  EXPECT_FALSE(parseMeshAxis("ep").has_value());
  EXPECT_EQ(MeshShape({2, 1, 4}).toString(), "dp=2 x pp=1 x tp=4");
}

} // namespace
} // namespace strata
