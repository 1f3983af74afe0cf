//===- mpi_session.cc - MPI for the lifetime of a process -----------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/mpi_session.h"

#include "runtime/executor/communicator.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#ifdef STRATA_HAVE_MPI
#include "runtime/executor/mpi_communicator.h"
#endif

namespace strata::runtime {

namespace {

const char *launcherVariable() {
  for (const char *name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"})
    if (std::getenv(name))
      return name;
  return nullptr;
}

} // namespace

StatusOr<double> commTimeoutFromEnvironment() {
  const char *text = std::getenv(kCommTimeoutVariable);
  if (!text)
    return kDefaultCommTimeoutSeconds;
  char *end = nullptr;
  double seconds = std::strtod(text, &end);
  if (end == text || *end != '\0' || !std::isfinite(seconds) || seconds <= 0)
    return Status::invalidArgument(std::string(kCommTimeoutVariable) + "='" +
                                   text +
                                   "' is not a positive number of seconds");
  return seconds;
}

bool MpiSession::launchedUnderMpi() { return launcherVariable() != nullptr; }

#ifdef STRATA_HAVE_MPI

StatusOr<std::unique_ptr<MpiSession>> MpiSession::initialize() {
  STRATA_ASSIGN_OR_RETURN(double timeout, commTimeoutFromEnvironment());
  std::unique_ptr<MpiSession> session(new MpiSession());
  session->commTimeoutSeconds_ = timeout;
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized && !launchedUnderMpi())
    return session;
  if (!initialized) {
    int provided = MPI_THREAD_SINGLE;
    if (int code = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED,
                                   &provided);
        code != MPI_SUCCESS)
      return Status::unavailable("MPI_Init_thread failed with code " +
                                 std::to_string(code));
    session->finalizes_ = true;
    if (provided < MPI_THREAD_FUNNELED)
      return Status::failedPrecondition(
          "this MPI library does not support MPI_THREAD_FUNNELED (it "
          "provides level " + std::to_string(provided) + ")");
  }
  session->usesMpi_ = true;
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &session->worldRank_);
  MPI_Comm_size(MPI_COMM_WORLD, &session->worldSize_);
  // The ranks sharing this node's memory, in world order: this rank's
  // index among them picks its GPU.
  MPI_Comm node = MPI_COMM_NULL;
  if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED,
                          session->worldRank_, MPI_INFO_NULL,
                          &node) == MPI_SUCCESS &&
      node != MPI_COMM_NULL) {
    MPI_Comm_rank(node, &session->localRank_);
    MPI_Comm_free(&node);
  }
  if (session->finalizes_) {
    STRATA_ASSIGN_OR_RETURN(
        session->finalizeBarrier_,
        MpiCommunicator::duplicate(MPI_COMM_WORLD, "world", timeout));
  }
  return session;
}

StatusOr<std::unique_ptr<Communicator>>
MpiSession::worldCommunicator(double timeoutSeconds) const {
  if (!usesMpi_)
    return std::unique_ptr<Communicator>(
        std::make_unique<SingleProcessCommunicator>());
  STRATA_ASSIGN_OR_RETURN(
      std::unique_ptr<MpiCommunicator> world,
      MpiCommunicator::duplicate(MPI_COMM_WORLD, "world", timeoutSeconds));
  return std::unique_ptr<Communicator>(std::move(world));
}

MpiSession::~MpiSession() {
  if (!finalizes_)
    return;
  if (finalizeBarrier_) {
    Status arrived = finalizeBarrier_->barrier();
    if (!arrived.isOk()) {
      std::fprintf(stderr, "strata: rank %d: %s\n", worldRank_,
                   arrived.toString().c_str());
      abort(1);
    }
    finalizeBarrier_.reset(); // frees its MPI communicator before finalizing
  }
  MPI_Finalize();
}

void MpiSession::abort(int code) {
  std::fflush(stdout);
  std::fflush(stderr);
  if (usesMpi_)
    MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code); // MPI_Abort does not return; this is the no-MPI path
}

#else // !STRATA_HAVE_MPI

StatusOr<std::unique_ptr<MpiSession>> MpiSession::initialize() {
  STRATA_ASSIGN_OR_RETURN(double timeout, commTimeoutFromEnvironment());
  // Each rank would otherwise train alone, all writing the same files.
  const char *size = std::getenv("OMPI_COMM_WORLD_SIZE");
  bool alone = size && std::string(size) == "1";
  if (launchedUnderMpi() && !alone)
    return Status::failedPrecondition(
        std::string("an MPI launcher started this process (") +
        launcherVariable() +
        " is set), but this Strata was built without MPI (install "
        "libopenmpi-dev and reconfigure)");
  std::unique_ptr<MpiSession> session(new MpiSession());
  session->commTimeoutSeconds_ = timeout;
  return session;
}

MpiSession::~MpiSession() = default;

void MpiSession::abort(int code) {
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(code);
}

#endif // STRATA_HAVE_MPI

} // namespace strata::runtime
