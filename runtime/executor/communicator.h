//===- communicator.h - collectives between ranks ---------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The one interface the executor uses for every transfer between ranks. The
// compiler decides which collective runs where; a communicator only moves
// bytes. Implementations: SingleProcessCommunicator (one rank; here),
// MpiCommunicator for host buffers (mpi_communicator.h), and an NCCL one for
// GPU buffers (parallelism issue). MeshCommunicators hands out one per mesh
// axis. Every operation of a multi-rank implementation must give up with
// kUnavailable, naming the operation and the ranks, when a rank has died,
// instead of hanging.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_COMMUNICATOR_H
#define STRATA_RUNTIME_EXECUTOR_COMMUNICATOR_H

#include "runtime/support/dtype.h"
#include "runtime/support/status.h"

#include <cstddef>
#include <cstdint>

namespace strata::runtime {

/// Element types of collectives: the runtime's (the MPI communicator sums
/// BF16 and F16 in f32). ElementType is the older name.
using ElementType = DType;
enum class ReduceOp { Sum, Max };

class Communicator {
public:
  virtual ~Communicator() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;

  /// In place: data[i] = op over ranks of data[i], i < |count|.
  virtual Status allReduce(void *data, size_t count, ElementType type,
                           ReduceOp op) = 0;
  /// recv[r * count + i] = send_r[i]: every rank's |count| elements, in rank
  /// order.
  virtual Status allGather(const void *send, void *recv, size_t count,
                           ElementType type) = 0;
  /// recv[i] = op over ranks of send_r[rank() * count + i].
  virtual Status reduceScatter(const void *send, void *recv, size_t count,
                               ElementType type, ReduceOp op) = 0;
  /// Returns once |peer| has received the |bytes| bytes of |data|.
  virtual Status send(const void *data, size_t bytes, int peer, int tag) = 0;
  /// Sends a copy of |bytes| bytes of |data| to |peer| without waiting for
  /// the peer to receive it: returns once the payload is copied out (the
  /// caller may overwrite |data| at once). Pipeline stages send to each
  /// other at the same time (1F1B), which blocking sends would deadlock.
  virtual Status sendAsync(const void *data, size_t bytes, int peer,
                           int tag) = 0;
  /// Waits (bounded, like every operation) until every sendAsync so far was
  /// received.
  virtual Status completeSends() = 0;
  /// Waits for the message of |peer| with |tag| (from send or sendAsync;
  /// messages of one peer and tag arrive in the order they were sent).
  virtual Status recv(void *data, size_t bytes, int peer, int tag) = 0;
  virtual Status barrier() = 0;
};

/// The communicator of a run with one rank: collectives are copies (or
/// nothing), and send/sendAsync/recv are errors because there is no peer.
class SingleProcessCommunicator final : public Communicator {
public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  Status allReduce(void *data, size_t count, ElementType type,
                   ReduceOp op) override;
  Status allGather(const void *send, void *recv, size_t count,
                   ElementType type) override;
  Status reduceScatter(const void *send, void *recv, size_t count,
                       ElementType type, ReduceOp op) override;
  Status send(const void *data, size_t bytes, int peer, int tag) override;
  Status sendAsync(const void *data, size_t bytes, int peer, int tag) override;
  Status completeSends() override { return Status::ok(); }
  Status recv(void *data, size_t bytes, int peer, int tag) override;
  Status barrier() override { return Status::ok(); }
};

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_COMMUNICATOR_H
