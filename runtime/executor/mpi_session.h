//===- mpi_session.h - MPI for the lifetime of a process --------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// One MpiSession per process, created first in main() and destroyed last.
// Under mpirun it initializes MPI (MPI_Init_thread, FUNNELED: only the main
// thread communicates) and finalizes it at the end; started any other way
// the process is a world of one rank and MPI is never touched, so a plain
// `strata-run` needs neither mpirun nor a working MPI installation. Builds
// without MPI have the same class; they refuse to run under mpirun with
// more than one rank, rather than letting every rank train alone.
//
// When a rank fails it must call abort(): a rank that merely exits leaves
// the others waiting in their next collective until the timeout.
//
// Usage:
//   int main(int argc, char **argv) {
//     auto session = MpiSession::initialize();
//     if (!session.isOk()) { report(session.status()); return 1; }
//     Status status = train(**session);
//     if (!status.isOk()) {
//       report(status);
//       (*session)->abort(1);
//     }
//     return 0; // ~MpiSession finalizes
//   }
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_MPI_SESSION_H
#define STRATA_RUNTIME_EXECUTOR_MPI_SESSION_H

#include "runtime/support/status.h"

#include <memory>

namespace strata::runtime {

class Communicator;

/// The default limit of every communicator operation, and the environment
/// variable that overrides it.
constexpr double kDefaultCommTimeoutSeconds = 300;
constexpr const char *kCommTimeoutVariable = "STRATA_COMM_TIMEOUT_S";

/// STRATA_COMM_TIMEOUT_S when set (a positive number of seconds), else the
/// default.
StatusOr<double> commTimeoutFromEnvironment();

class MpiSession {
public:
  /// Initializes MPI if launchedUnderMpi() and nobody has yet (then the
  /// destructor finalizes it); otherwise a world of one rank.
  static StatusOr<std::unique_ptr<MpiSession>> initialize();

  /// Whether an MPI launcher started this process: Open MPI's mpirun sets
  /// OMPI_COMM_WORLD_SIZE, PMIx launchers (Slurm, prterun) PMIX_RANK, and
  /// MPICH's Hydra PMI_RANK.
  static bool launchedUnderMpi();

  MpiSession(const MpiSession &) = delete;
  MpiSession &operator=(const MpiSession &) = delete;
  /// Waits (bounded) for every rank to arrive, then finalizes MPI; a rank
  /// that does not arrive in time takes the job down with MPI_Abort, since
  /// MPI_Finalize would wait for it forever.
  ~MpiSession();

  /// Whether this process talks to others through MPI.
  bool usesMpi() const { return usesMpi_; }
  int worldRank() const { return worldRank_; }
  int worldSize() const { return worldSize_; }
  /// This rank's index among the ranks on its node (0 without MPI).
  int localRank() const { return localRank_; }
  /// The limit of every communicator operation (commTimeoutFromEnvironment).
  double commTimeoutSeconds() const { return commTimeoutSeconds_; }

  /// A communicator over every rank whose operations give up after
  /// |timeoutSeconds| (collective under MPI); one process without MPI gets a
  /// SingleProcessCommunicator.
  StatusOr<std::unique_ptr<Communicator>>
  worldCommunicator(double timeoutSeconds) const;

  /// Ends every rank of the job with exit code |code| (MPI_Abort); without
  /// MPI, ends this process. Output is flushed first.
  [[noreturn]] void abort(int code);

private:
  MpiSession() = default;

  bool usesMpi_ = false;
  bool finalizes_ = false;
  int worldRank_ = 0;
  int worldSize_ = 1;
  int localRank_ = 0;
  double commTimeoutSeconds_ = kDefaultCommTimeoutSeconds;
  /// A duplicate of MPI_COMM_WORLD for the barrier before MPI_Finalize.
  std::unique_ptr<Communicator> finalizeBarrier_;
};

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_MPI_SESSION_H
