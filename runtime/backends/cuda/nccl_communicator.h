//===- nccl_communicator.h - collectives on GPU buffers via NCCL -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A DeviceCommunicator over the ranks of a host communicator (one mesh axis
// group), each rank on its own GPU: one NCCL communicator per group,
// bootstrapped over the host communicator (rank 0's ncclUniqueId reaches the
// others through an allGather of every rank's 128 bytes: there is no
// broadcast), every operation enqueued on the caller's stream.
//
// Point to point: NCCL sends wait for the peer's receive (a rendezvous), and
// the operations of one NCCL communicator run one after the other, so
// sendAsync's promise (the stream goes on; stages that send to each other
// at once must not deadlock) needs three things: sendAsync copies the
// buffer into a staging buffer on the caller's stream (so the stream may
// overwrite it at once) and sends from it on a send stream of its own;
// sends to a higher rank and receives from a lower one use one NCCL
// communicator ("up"), the other direction another ("down"), so a send
// never queues behind a receive from the same peer; each ncclSend/ncclRecv
// sits in a group call. NCCL has no tags: the messages of one peer are
// received in the order they were sent (what the executor's schedules
// do). A message to this rank itself is staged at sendAsync and moved by
// the recv that takes it, as an ncclSend and ncclRecv to self in one group.
//
// Failures: the NCCL communicators are non-blocking (config.blocking = 0),
// so no NCCL call waits without a bound; every call is polled with
// ncclCommGetAsyncError until it is enqueued, at most the time limit. Each
// operation records an event when enqueued; while CudaDevice::synchronize
// waits it polls this communicator (a watcher), which reports an NCCL
// error (a peer that died over the network) or an operation not done
// within the time limit (a peer that died on the same machine) by aborting
// its NCCL communicators (ncclCommAbort ends their kernels) and returning
// kUnavailable naming the operation and the ranks. Every later call then
// fails at once.
//
// Usage:
//   STRATA_ASSIGN_OR_RETURN(auto nccl,
//       NcclCommunicator::create(host, device, timeoutSeconds));
//   STRATA_RETURN_IF_ERROR(nccl->allReduce(grads, n, DType::F32,
//                                          ReduceOp::Sum, stream));
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CUDA_NCCL_COMMUNICATOR_H
#define STRATA_RUNTIME_BACKENDS_CUDA_NCCL_COMMUNICATOR_H

#include "runtime/backends/cuda/cuda_device.h"
#include "runtime/backends/device_communicator.h"

#include <nccl.h>

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace strata::runtime::cuda {

/// OK for ncclSuccess; otherwise "|what|: <NCCL's error string>[: <NCCL's
/// last error>]": kInvalidArgument for argument and usage errors,
/// kUnavailable for system and remote errors (a peer, the network),
/// kInternal for the rest.
Status checkNccl(ncclResult_t result, const std::string &what);

class NcclCommunicator final : public DeviceCommunicator {
public:
  /// Collective over the ranks of |host|, each on its own GPU |device|
  /// (none shared: NCCL refuses duplicates). |device| must outlive it;
  /// |host| is used only here. Operations give up after |timeoutSeconds|.
  static StatusOr<std::unique_ptr<NcclCommunicator>>
  create(Communicator &host, CudaDevice &device, double timeoutSeconds);
  ~NcclCommunicator() override;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  Status allReduce(DevicePtr data, size_t count, DType type, ReduceOp op,
                   Stream &stream) override;
  Status allGather(DevicePtr send, DevicePtr recv, size_t count, DType type,
                   Stream &stream) override;
  Status reduceScatter(DevicePtr send, DevicePtr recv, size_t count,
                       DType type, ReduceOp op, Stream &stream) override;
  Status sendAsync(DevicePtr data, size_t bytes, int peer, int tag,
                   Stream &stream) override;
  Status completeSends() override;
  Status recv(DevicePtr data, size_t bytes, int peer, int tag,
              Stream &stream) override;

  /// Whether anything failed, and what is still in flight: an NCCL error,
  /// or an operation older than the time limit, aborts the NCCL
  /// communicators and returns kUnavailable. Cheap; CudaDevice's watcher.
  Status poll();

private:
  using Clock = std::chrono::steady_clock;
  /// An enqueued operation: |done| completes with it; |staging| (device
  /// memory it reads) returns to the pool then.
  struct InFlight {
    cudaEvent_t done = nullptr;
    std::string what;
    Clock::time_point since;
    DeviceMemory staging;
    bool isSend = false;
  };
  /// A sendAsync to this rank, waiting for the recv that takes it.
  struct SelfMessage {
    DeviceMemory staging;
    size_t bytes = 0;
    int tag = 0;
  };

  NcclCommunicator(CudaDevice &device, int rank, int size,
                   double timeoutSeconds);

  /// "all_reduce over NCCL (rank 1 of 2, 1031 f32)".
  std::string describe(const std::string &operation, size_t count,
                       const char *unit) const;
  /// kUnavailable with the first failure, once anything failed.
  Status usable() const;
  /// Waits (bounded) until the NCCL call that returned |result| on the
  /// communicators |comms| is enqueued (non-blocking mode returns
  /// ncclInProgress); a failure aborts everything.
  Status settle(ncclResult_t result, std::vector<ncclComm_t> comms,
                const std::string &what);
  /// Aborts the NCCL communicators and remembers |status| as the failure.
  Status fail(Status status);
  /// Records that |what| was enqueued on |stream|.
  Status track(cudaStream_t stream, std::string what,
               DeviceMemory staging = {}, bool isSend = false);
  /// Returns the resources of the operations that are done.
  Status reap();
  /// A pooled device buffer of at least |bytes|.
  StatusOr<DeviceMemory> takeStaging(size_t bytes);
  StatusOr<cudaEvent_t> takeEvent();
  Status checkPeer(int peer, const std::string &what) const;

  CudaDevice &device_;
  int rank_, size_;
  double timeoutSeconds_;
  /// Collectives and messages to this rank itself.
  ncclComm_t comm_ = nullptr;
  /// Messages to higher ranks (up_) and to lower ones (down_); null with
  /// one rank.
  ncclComm_t up_ = nullptr, down_ = nullptr;
  std::unique_ptr<Stream> sendStream_;
  /// Orders the send stream after the staging copy of a sendAsync.
  cudaEvent_t staged_ = nullptr;
  std::deque<InFlight> inFlight_;
  std::deque<SelfMessage> selfMessages_;
  std::vector<DeviceMemory> freeStaging_;
  std::vector<cudaEvent_t> freeEvents_;
  std::string failure_;
};

} // namespace strata::runtime::cuda

#endif // STRATA_RUNTIME_BACKENDS_CUDA_NCCL_COMMUNICATOR_H
