//===- mesh_communicators_test.cc - the one-rank mesh and the session -----===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Runs without mpirun, as every unit test does: the session is a world of
// one rank and never initializes MPI. The multi-rank paths are checked by
// mpi_communicator_test.cc under mpirun (ctest -L mpi).
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/mesh_communicators.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace strata::runtime {
namespace {

// These tests are about a plain start; a launcher's variables (ctest run
// inside srun, say) would make the session initialize MPI.
#define SKIP_UNDER_MPI_LAUNCHER()                                              \
  if (MpiSession::launchedUnderMpi())                                          \
  GTEST_SKIP() << "started by an MPI launcher"

TEST(MpiSessionTest, PlainStartIsAWorldOfOneWithoutMpi) {
  SKIP_UNDER_MPI_LAUNCHER();
  auto session = MpiSession::initialize();
  ASSERT_TRUE(session.isOk()) << session.status().toString();
  EXPECT_FALSE((*session)->usesMpi());
  EXPECT_EQ((*session)->worldRank(), 0);
  EXPECT_EQ((*session)->worldSize(), 1);
}

TEST(MpiSessionTest, TimeoutComesFromTheEnvironment) {
  SKIP_UNDER_MPI_LAUNCHER();
  ::unsetenv(kCommTimeoutVariable);
  auto fallback = commTimeoutFromEnvironment();
  ASSERT_TRUE(fallback.isOk());
  EXPECT_EQ(*fallback, kDefaultCommTimeoutSeconds);

  ::setenv(kCommTimeoutVariable, "2.5", 1);
  auto seconds = commTimeoutFromEnvironment();
  ASSERT_TRUE(seconds.isOk());
  EXPECT_EQ(*seconds, 2.5);

  for (const char *bad : {"abc", "0", "-3", "10s", ""}) {
    ::setenv(kCommTimeoutVariable, bad, 1);
    auto rejected = MpiSession::initialize();
    EXPECT_EQ(rejected.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(rejected.status().message().find("STRATA_COMM_TIMEOUT_S"),
              std::string::npos);
  }
  ::unsetenv(kCommTimeoutVariable);
}

#ifndef STRATA_HAVE_MPI
// Without MPI every rank of an mpirun job would train alone.
TEST(MpiSessionTest, BuildWithoutMpiRefusesAMultiRankLaunch) {
  ::setenv("OMPI_COMM_WORLD_SIZE", "2", 1);
  auto session = MpiSession::initialize();
  ::unsetenv("OMPI_COMM_WORLD_SIZE");
  EXPECT_EQ(session.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(session.status().message().find("built without MPI"),
            std::string::npos)
      << session.status().message();
}
#endif

TEST(MeshCommunicatorsTest, OneRankGetsSingleProcessCommunicators) {
  SKIP_UNDER_MPI_LAUNCHER();
  auto session = MpiSession::initialize();
  ASSERT_TRUE(session.isOk()) << session.status().toString();
  auto mesh = MeshCommunicators::create(MeshShape{}, **session);
  ASSERT_TRUE(mesh.isOk()) << mesh.status().toString();
  EXPECT_EQ((*mesh)->coordinates(), (MeshCoordinates{0, 0, 0}));
  for (const char *name : {"dp", "pp", "tp"}) {
    auto comm = (*mesh)->communicator(name);
    ASSERT_TRUE(comm.isOk()) << name;
    EXPECT_EQ((*comm)->size(), 1);
    std::vector<float> data = {1.0f, 2.0f};
    EXPECT_TRUE(
        (*comm)->allReduce(data.data(), 2, ElementType::F32, ReduceOp::Sum)
            .isOk());
    EXPECT_EQ(data, (std::vector<float>{1.0f, 2.0f}));
  }
  EXPECT_EQ((*mesh)->world().size(), 1);
  EXPECT_EQ((*mesh)->communicator("ep").status().code(),
            StatusCode::kNotFound);
}

TEST(MeshCommunicatorsTest, MultiRankMeshInAOneRankRunIsAnError) {
  SKIP_UNDER_MPI_LAUNCHER();
  auto session = MpiSession::initialize();
  ASSERT_TRUE(session.isOk()) << session.status().toString();
  auto mesh = MeshCommunicators::create(MeshShape{1, 2, 2}, **session);
  EXPECT_EQ(mesh.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(mesh.status().message().find("dp=1 x pp=2 x tp=2 needs 4 ranks"),
            std::string::npos)
      << mesh.status().message();
}

} // namespace
} // namespace strata::runtime
