//===- mpi_communicator.h - collectives over MPI with deadlines -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A Communicator for host buffers over an MPI communicator it owns (a
// duplicate, so Strata's messages never match anyone else's). Built only
// when CMake finds MPI (STRATA_HAVE_MPI); include it only from code that is.
//
// Every operation is bounded in time: it starts the non-blocking MPI call
// (MPI_Iallreduce, MPI_Isend, MPI_Ibarrier...) and polls MPI_Test until the
// request completes or the timeout passes (STRATA_COMM_TIMEOUT_S, default
// 300 s, read by MpiSession). A blocking call would wait forever for a rank
// that died or stopped calling collectives; this one returns kUnavailable
// naming the operation, the axis, this rank and the size, so the process can
// report it and take the job down (MpiSession::abort).
//
// After a timeout the communicator is unusable (every later call fails at
// once) and MPI may still write the buffers of the abandoned operation: the
// only sensible next step is to abort.
//
// sendAsync copies the payload into a staging buffer the communicator owns
// and starts an MPI_Isend; the request is reaped by later sendAsync calls
// and by completeSends, which return the staging buffer to a free list (no
// allocation per send once the sizes repeat). Pending sends progress inside
// MPI during any other operation, such as a recv from the same peer.
//
// Usage:
//   STRATA_ASSIGN_OR_RETURN(auto world, MpiCommunicator::duplicate(
//       MPI_COMM_WORLD, "world", session.commTimeoutSeconds()));
//   STRATA_ASSIGN_OR_RETURN(auto tp, world->split(color, key, "tp"));
//   STRATA_RETURN_IF_ERROR(tp->allReduce(grad, n, ElementType::F32,
//                                        ReduceOp::Sum));
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_MPI_COMMUNICATOR_H
#define STRATA_RUNTIME_EXECUTOR_MPI_COMMUNICATOR_H

#include "runtime/executor/communicator.h"

#include <mpi.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace strata::runtime {

class MpiCommunicator final : public Communicator {
public:
  /// A communicator over the ranks of |comm| (which stays the caller's),
  /// named |axisName| in messages. Collective over |comm|; bounded by
  /// |timeoutSeconds| like every other operation.
  static StatusOr<std::unique_ptr<MpiCommunicator>>
  duplicate(MPI_Comm comm, std::string axisName, double timeoutSeconds);

  /// A communicator over the ranks of this one that pass the same |color|,
  /// ranked by |key| (MPI_Comm_split), with this one's timeout. Collective:
  /// every rank calls it, in the same order. MPI has no non-blocking split,
  /// so a bounded barrier first makes sure every rank has arrived.
  StatusOr<std::unique_ptr<MpiCommunicator>> split(int color, int key,
                                                   std::string axisName);

  MpiCommunicator(const MpiCommunicator &) = delete;
  MpiCommunicator &operator=(const MpiCommunicator &) = delete;
  ~MpiCommunicator() override;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  const std::string &axisName() const { return axisName_; }
  double timeoutSeconds() const { return timeoutSeconds_; }

  Status allReduce(void *data, size_t count, ElementType type,
                   ReduceOp op) override;
  Status allGather(const void *send, void *recv, size_t count,
                   ElementType type) override;
  Status reduceScatter(const void *send, void *recv, size_t count,
                       ElementType type, ReduceOp op) override;
  Status send(const void *data, size_t bytes, int peer, int tag) override;
  Status sendAsync(const void *data, size_t bytes, int peer, int tag) override;
  Status completeSends() override;
  Status recv(void *data, size_t bytes, int peer, int tag) override;
  Status barrier() override;

  /// sendAsync calls not yet known to be received, and staging buffers
  /// ready for reuse (for tests).
  size_t pendingSends() const { return sends_.size(); }
  size_t freeStagingBuffers() const { return freeStaging_.size(); }

private:
  /// What an operation is, for messages: "all_reduce over 'tp' (rank 1 of
  /// 2, 4096 f32)" or "send to rank 0 over 'pp' (rank 1 of 2, 64 bytes)".
  struct Operation {
    const char *name;           // "all_reduce", "send to", "recv from"...
    size_t count = 0;
    const char *unit = nullptr; // "f32", "f64", "bytes"; null: no count
    std::optional<int> peer;    // send/recv only
    std::optional<int> tag;     // send/recv only
  };

  /// A copy of a payload that MPI reads until its send completes.
  struct Staging {
    std::unique_ptr<unsigned char[]> data;
    size_t capacity = 0;
  };
  struct PendingSend {
    MPI_Request request = MPI_REQUEST_NULL;
    Staging staging;
    size_t bytes = 0;
    int peer = 0;
    int tag = 0;
  };

  MpiCommunicator(MPI_Comm comm, std::string axisName, double timeoutSeconds);

  std::string describe(const Operation &op) const;
  /// Fails at once when an earlier operation timed out.
  Status checkUsable(const Operation &op) const;
  /// Polls |request| until it completes or the timeout passes.
  Status complete(MPI_Request &request, const Operation &op,
                  MPI_Status *status = MPI_STATUS_IGNORE);
  Status checkPeer(const Operation &op) const;
  /// A free staging buffer of at least |bytes| (allocating only when none
  /// is large enough).
  Staging takeStaging(size_t bytes);
  /// Tests every pending send once, recycling the staging of those done.
  Status reapSends();
  /// Leaks the staging of every pending send: after a failure MPI may still
  /// read them.
  void abandonSends();

  MPI_Comm comm_;
  int rank_ = 0;
  int size_ = 1;
  std::string axisName_;
  double timeoutSeconds_;
  std::string failure_; // why this communicator is unusable; empty if it is
  std::vector<PendingSend> sends_; // oldest first
  std::vector<Staging> freeStaging_;
};

/// The Status for MPI error |code| returned by the operation |what|:
/// "<what> failed: <MPI_Error_string>". Argument errors (a wrong tag, a
/// message longer than the receive) are kInvalidArgument; the rest mean the
/// transport or a peer failed and are kUnavailable.
Status mpiErrorStatus(int code, const std::string &what);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_MPI_COMMUNICATOR_H
