//===- mpi_test_session.h - the start of an MPI test program ----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The MPI test programs (run by ctest under mpirun) all start the same way:
// refuse to run outside mpirun, then initialize MPI or fail saying why.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_MPI_TEST_SESSION_H
#define STRATA_RUNTIME_EXECUTOR_MPI_TEST_SESSION_H

#include "runtime/executor/mpi_session.h"

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace strata::runtime {

/// The MPI session of test program |name|; exits 2 (naming the command to
/// run) when mpirun did not start it, 1 when MPI cannot be initialized.
inline std::unique_ptr<MpiSession> startMpiTest(const char *name) {
  if (!MpiSession::launchedUnderMpi()) {
    std::fprintf(stderr, "run under mpirun: mpirun -np 2 %s\n", name);
    std::exit(2);
  }
  StatusOr<std::unique_ptr<MpiSession>> session = MpiSession::initialize();
  if (!session.isOk()) {
    std::fprintf(stderr, "%s\n", session.status().toString().c_str());
    std::exit(1);
  }
  return std::move(*session);
}

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_MPI_TEST_SESSION_H
