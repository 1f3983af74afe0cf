//===- mpi_fault_test.cc - a rank dies in the middle of training ----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Run by mpi_fault_test.py under mpirun with 3 ranks. Every rank all-reduces
// in a loop; at step 20 rank 1 fails in one of two ways:
//   kill:  raise(SIGKILL), as the out-of-memory killer would. mpirun notices
//          the death and usually ends the job itself.
//   stall: stops communicating (sleeps), as a hung device would. mpirun sees
//          nothing; the other ranks' all-reduce times out after
//          STRATA_COMM_TIMEOUT_S, they report it and abort the job.
// Either way the job must end with a non-zero exit code, never hang.
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/mesh_communicators.h"
#include "runtime/executor/mpi_session.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

using namespace strata;
using namespace strata::runtime;

int main(int argc, char **argv) {
  bool kill = argc == 2 && std::strcmp(argv[1], "kill") == 0;
  bool stall = argc == 2 && std::strcmp(argv[1], "stall") == 0;
  if (!kill && !stall) {
    std::fprintf(stderr, "usage: mpirun -np 3 %s kill|stall\n", argv[0]);
    return 2;
  }
  auto session = MpiSession::initialize();
  if (!session.isOk()) {
    std::fprintf(stderr, "%s\n", session.status().toString().c_str());
    return 1;
  }
  const int rank = (*session)->worldRank();
  const int size = (*session)->worldSize();
  auto mesh = MeshCommunicators::create(MeshShape{size, 1, 1}, **session);
  if (!mesh.isOk()) {
    std::fprintf(stderr, "[rank %d] %s\n", rank,
                 mesh.status().toString().c_str());
    (*session)->abort(1);
  }
  Communicator &dp = (*mesh)->communicator(MeshAxis::DP);
  std::vector<float> gradient(1 << 16, 1.0f);
  for (int step = 0; step < 1000; ++step) {
    if (step == 20 && rank == 1) {
      std::fprintf(stderr, "[rank 1] failing at step %d (%s)\n", step,
                   argv[1]);
      std::fflush(stderr);
      if (kill)
        std::raise(SIGKILL);
      std::this_thread::sleep_for(std::chrono::minutes(10));
    }
    Status status = dp.allReduce(gradient.data(), gradient.size(),
                                 ElementType::F32, ReduceOp::Sum);
    if (!status.isOk()) {
      std::fprintf(stderr, "[rank %d] step %d: %s\n", rank, step,
                   status.toString().c_str());
      (*session)->abort(3);
    }
    std::fill(gradient.begin(), gradient.end(), 1.0f);
  }
  std::printf("[rank %d] finished all steps: the failure went unnoticed\n",
              rank);
  return 0;
}
