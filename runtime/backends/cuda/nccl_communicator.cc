//===- nccl_communicator.cc - collectives on GPU buffers via NCCL ---------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/nccl_communicator.h"

#include "runtime/backends/cuda/cuda_check.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <thread>

namespace strata::runtime::cuda {

namespace {

StatusOr<ncclDataType_t> ncclType(DType type) {
  switch (type) {
  case DType::F32:
    return ncclFloat32;
  case DType::F64:
    return ncclFloat64;
  case DType::BF16:
    return ncclBfloat16;
  case DType::F16:
    return ncclFloat16;
  case DType::I32:
    return ncclInt32;
  case DType::I64:
    return ncclInt64;
  case DType::I8:
    return ncclInt8;
  }
  return Status::invalidArgument("NCCL has no element type for dtype " +
                                 std::to_string(int(type)));
}

ncclRedOp_t ncclOp(ReduceOp op) { return op == ReduceOp::Max ? ncclMax : ncclSum; }

bool overlaps(DevicePtr a, size_t aBytes, DevicePtr b, size_t bBytes) {
  const auto *x = static_cast<const uint8_t *>(a.raw());
  const auto *y = static_cast<const uint8_t *>(b.raw());
  return x < y + bBytes && y < x + aBytes;
}

} // namespace

Status checkNccl(ncclResult_t result, const std::string &what) {
  if (result == ncclSuccess)
    return Status::ok();
  std::string message = what + ": " + ncclGetErrorString(result);
  const char *last = ncclGetLastError(nullptr);
  if (last && *last)
    message += std::string(": ") + last;
  switch (result) {
  case ncclInvalidArgument:
  case ncclInvalidUsage:
    return Status::invalidArgument(message);
  case ncclSystemError:
  case ncclRemoteError:
    return Status::unavailable(message);
  default:
    return Status::internal(message);
  }
}

NcclCommunicator::NcclCommunicator(CudaDevice &device, int rank, int size,
                                   double timeoutSeconds)
    : device_(device), rank_(rank), size_(size),
      timeoutSeconds_(timeoutSeconds) {}

StatusOr<std::unique_ptr<NcclCommunicator>>
NcclCommunicator::create(Communicator &host, CudaDevice &device,
                         double timeoutSeconds) {
  const int rank = host.rank(), size = host.size();
  std::unique_ptr<NcclCommunicator> comm(
      new NcclCommunicator(device, rank, size, timeoutSeconds));
  const std::string where = comm->describe("NCCL set-up", 0, nullptr);

  // Rank 0's id to every rank: each contributes a flag (rank 0: whether it
  // made an id) and 128 bytes, so that a failure on rank 0 is everyone's
  // error rather than a wait for a broadcast that never comes.
  constexpr size_t kWords = 1 + sizeof(ncclUniqueId) / sizeof(int32_t);
  static_assert(sizeof(ncclUniqueId) % sizeof(int32_t) == 0);
  std::vector<int32_t> mine(kWords, 0), all(kWords * size_t(size), 0);
  Status made = Status::ok();
  if (rank == 0) {
    ncclUniqueId id{};
    made = checkNccl(ncclGetUniqueId(&id), where + ": ncclGetUniqueId");
    mine[0] = made.isOk() ? 1 : 0;
    std::memcpy(mine.data() + 1, &id, sizeof(id));
  }
  STRATA_RETURN_IF_ERROR(host.allGather(mine.data(), all.data(), kWords,
                                        DType::I32)
                             .withContext(where + ": sharing rank 0's id"));
  STRATA_RETURN_IF_ERROR(made);
  if (all[0] != 1)
    return Status::unavailable(where +
                               ": rank 0 could not create an NCCL unique id");
  ncclUniqueId id{};
  std::memcpy(&id, all.data() + 1, sizeof(id));

  // NCCL binds a communicator to the current device.
  STRATA_RETURN_IF_ERROR(check(cudaSetDevice(device.index()),
                               where + ": cudaSetDevice"));
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = 0;
  ncclResult_t result =
      ncclCommInitRankConfig(&comm->comm_, size, id, rank, &config);
  STRATA_RETURN_IF_ERROR(
      comm->settle(result, {comm->comm_}, where + ": ncclCommInitRank"));
  if (size > 1) {
    // Same ranks, same order: the two directions of point-to-point.
    result = ncclCommSplit(comm->comm_, 0, rank, &comm->up_, &config);
    STRATA_RETURN_IF_ERROR(comm->settle(result, {comm->comm_, comm->up_},
                                        where + ": ncclCommSplit (up)"));
    result = ncclCommSplit(comm->comm_, 0, rank, &comm->down_, &config);
    STRATA_RETURN_IF_ERROR(comm->settle(result, {comm->comm_, comm->down_},
                                        where + ": ncclCommSplit (down)"));
  }
  STRATA_ASSIGN_OR_RETURN(comm->sendStream_, device.createStream());
  STRATA_ASSIGN_OR_RETURN(comm->staged_, comm->takeEvent());
  NcclCommunicator *raw = comm.get();
  device.addWatcher(raw, [raw] { return raw->poll(); });
  return comm;
}

NcclCommunicator::~NcclCommunicator() {
  device_.removeWatcher(this);
  // Let what is in flight finish (bounded) before its buffers are freed.
  while (failure_.empty() && !inFlight_.empty()) {
    if (!poll().isOk())
      break;
    std::this_thread::yield();
  }
  for (ncclComm_t *comm : {&up_, &down_, &comm_}) {
    if (!*comm)
      continue;
    if (failure_.empty()) {
      // Finalize flushes the communicator's work with its peers (they
      // finalize too); bounded like everything else.
      if (!settle(ncclCommFinalize(*comm), {*comm}, "ncclCommFinalize").isOk())
        break; // settle aborted every communicator
      ncclCommDestroy(*comm);
    } else {
      ncclCommAbort(*comm);
    }
    *comm = nullptr;
  }
  if (sendStream_)
    cudaStreamSynchronize(CudaDevice::raw(*sendStream_));
  for (InFlight &op : inFlight_)
    freeEvents_.push_back(op.done);
  if (staged_)
    freeEvents_.push_back(staged_);
  for (cudaEvent_t event : freeEvents_)
    cudaEventDestroy(event);
}

std::string NcclCommunicator::describe(const std::string &operation,
                                       size_t count, const char *unit) const {
  std::string text = operation + " over NCCL (rank " + std::to_string(rank_) +
                     " of " + std::to_string(size_);
  if (unit)
    text += ", " + std::to_string(count) + " " + unit;
  return text + ")";
}

Status NcclCommunicator::usable() const {
  if (failure_.empty())
    return Status::ok();
  return Status::unavailable("the NCCL communicator failed earlier: " +
                             failure_);
}

Status NcclCommunicator::fail(Status status) {
  if (failure_.empty())
    failure_ = status.message();
  // Abort ends the communicators' kernels, so the streams drain.
  for (ncclComm_t *comm : {&comm_, &up_, &down_})
    if (*comm) {
      ncclCommAbort(*comm);
      *comm = nullptr;
    }
  return status;
}

Status NcclCommunicator::settle(ncclResult_t result,
                                std::vector<ncclComm_t> comms,
                                const std::string &what) {
  if (result != ncclSuccess && result != ncclInProgress)
    return fail(checkNccl(result, what));
  const auto deadline =
      Clock::now() + std::chrono::duration<double>(timeoutSeconds_);
  for (ncclComm_t comm : comms) {
    if (!comm)
      continue;
    for (;;) {
      ncclResult_t state = ncclSuccess;
      const ncclResult_t asked = ncclCommGetAsyncError(comm, &state);
      if (asked != ncclSuccess)
        return fail(checkNccl(asked, what + ": ncclCommGetAsyncError"));
      if (state == ncclSuccess)
        break;
      if (state != ncclInProgress)
        return fail(checkNccl(state, what));
      if (Clock::now() > deadline)
        return fail(Status::unavailable(
            what + " did not complete within " +
            std::to_string(int(timeoutSeconds_)) +
            " s (a rank died or stopped communicating)"));
      std::this_thread::yield();
    }
  }
  return Status::ok();
}

StatusOr<cudaEvent_t> NcclCommunicator::takeEvent() {
  if (!freeEvents_.empty()) {
    cudaEvent_t event = freeEvents_.back();
    freeEvents_.pop_back();
    return event;
  }
  cudaEvent_t event = nullptr;
  STRATA_RETURN_IF_ERROR(
      check(cudaEventCreateWithFlags(&event, cudaEventDisableTiming),
            "cudaEventCreate for NCCL"));
  return event;
}

StatusOr<DeviceMemory> NcclCommunicator::takeStaging(size_t bytes) {
  // The smallest free buffer that fits; sizes repeat from step to step.
  auto best = freeStaging_.end();
  for (auto it = freeStaging_.begin(); it != freeStaging_.end(); ++it)
    if (it->size() >= bytes && (best == freeStaging_.end() ||
                                it->size() < best->size()))
      best = it;
  if (best != freeStaging_.end()) {
    DeviceMemory memory = std::move(*best);
    freeStaging_.erase(best);
    return memory;
  }
  StatusOr<DeviceMemory> memory =
      device_.allocate(std::max<size_t>(bytes, 256), 256);
  if (!memory.isOk())
    return memory.status().withContext("NCCL staging buffer");
  return memory;
}

Status NcclCommunicator::track(cudaStream_t stream, std::string what,
                               DeviceMemory staging, bool isSend) {
  STRATA_ASSIGN_OR_RETURN(cudaEvent_t done, takeEvent());
  if (Status recorded = check(cudaEventRecord(done, stream), what);
      !recorded.isOk()) {
    freeEvents_.push_back(done);
    return fail(recorded);
  }
  inFlight_.push_back(
      {done, std::move(what), Clock::now(), std::move(staging), isSend});
  // Keep the list short between synchronizations.
  return inFlight_.size() > 64 ? reap() : Status::ok();
}

Status NcclCommunicator::reap() {
  for (auto it = inFlight_.begin(); it != inFlight_.end();) {
    const cudaError_t state = cudaEventQuery(it->done);
    if (state == cudaErrorNotReady) {
      ++it;
      continue;
    }
    if (state != cudaSuccess)
      return fail(check(state, it->what));
    freeEvents_.push_back(it->done);
    if (it->staging.size())
      freeStaging_.push_back(std::move(it->staging));
    it = inFlight_.erase(it);
  }
  return Status::ok();
}

Status NcclCommunicator::poll() {
  STRATA_RETURN_IF_ERROR(usable());
  for (ncclComm_t comm : {comm_, up_, down_}) {
    if (!comm)
      continue;
    ncclResult_t state = ncclSuccess;
    const ncclResult_t asked = ncclCommGetAsyncError(comm, &state);
    if (asked != ncclSuccess)
      return fail(checkNccl(asked, describe("ncclCommGetAsyncError", 0,
                                            nullptr)));
    if (state != ncclSuccess && state != ncclInProgress)
      return fail(checkNccl(
          state, describe("an operation in flight", 0, nullptr)));
  }
  STRATA_RETURN_IF_ERROR(reap());
  const auto limit = std::chrono::duration<double>(timeoutSeconds_);
  for (const InFlight &op : inFlight_)
    if (Clock::now() - op.since > limit)
      return fail(Status::unavailable(
          op.what + " did not complete within " +
          std::to_string(int(timeoutSeconds_)) +
          " s (a rank died or stopped communicating)"));
  return Status::ok();
}

Status NcclCommunicator::checkPeer(int peer, const std::string &what) const {
  if (peer < 0 || peer >= size_)
    return Status::invalidArgument(what + ": peer " + std::to_string(peer) +
                                   " is not a rank of the group");
  return Status::ok();
}

Status NcclCommunicator::allReduce(DevicePtr data, size_t count, DType type,
                                   ReduceOp op, Stream &stream) {
  const std::string what = describe("all_reduce", count, toString(type));
  STRATA_RETURN_IF_ERROR(usable());
  STRATA_ASSIGN_OR_RETURN(ncclDataType_t t, ncclType(type));
  const cudaStream_t s = CudaDevice::raw(stream);
  STRATA_RETURN_IF_ERROR(settle(
      ncclAllReduce(data.raw(), data.raw(), count, t, ncclOp(op), comm_, s),
      {comm_}, what));
  return track(s, what);
}

Status NcclCommunicator::allGather(DevicePtr send, DevicePtr recv,
                                   size_t count, DType type, Stream &stream) {
  const std::string what = describe("all_gather", count, toString(type));
  STRATA_RETURN_IF_ERROR(usable());
  STRATA_ASSIGN_OR_RETURN(ncclDataType_t t, ncclType(type));
  const cudaStream_t s = CudaDevice::raw(stream);
  const size_t bytes = count * dtypeSize(type);
  // NCCL allows one overlap, in place (the send buffer is this rank's slot
  // of the output); any other goes through a copy.
  DeviceMemory staging;
  if (send != recv + size_t(rank_) * bytes &&
      overlaps(send, bytes, recv, bytes * size_t(size_))) {
    STRATA_ASSIGN_OR_RETURN(staging, takeStaging(bytes));
    STRATA_RETURN_IF_ERROR(device_.copy(staging.base(), send, bytes, stream));
    send = staging.base();
  }
  STRATA_RETURN_IF_ERROR(settle(
      ncclAllGather(send.raw(), recv.raw(), count, t, comm_, s), {comm_},
      what));
  return track(s, what, std::move(staging));
}

Status NcclCommunicator::reduceScatter(DevicePtr send, DevicePtr recv,
                                       size_t count, DType type, ReduceOp op,
                                       Stream &stream) {
  const std::string what = describe("reduce_scatter", count, toString(type));
  STRATA_RETURN_IF_ERROR(usable());
  STRATA_ASSIGN_OR_RETURN(ncclDataType_t t, ncclType(type));
  const cudaStream_t s = CudaDevice::raw(stream);
  const size_t bytes = count * dtypeSize(type);
  DeviceMemory staging;
  if (recv != send + size_t(rank_) * bytes &&
      overlaps(send, bytes * size_t(size_), recv, bytes)) {
    STRATA_ASSIGN_OR_RETURN(staging, takeStaging(bytes * size_t(size_)));
    STRATA_RETURN_IF_ERROR(
        device_.copy(staging.base(), send, bytes * size_t(size_), stream));
    send = staging.base();
  }
  STRATA_RETURN_IF_ERROR(settle(ncclReduceScatter(send.raw(), recv.raw(),
                                                  count, t, ncclOp(op), comm_,
                                                  s),
                                {comm_}, what));
  return track(s, what, std::move(staging));
}

Status NcclCommunicator::sendAsync(DevicePtr data, size_t bytes, int peer,
                                   int tag, Stream &stream) {
  const std::string what = describe(
      "send to rank " + std::to_string(peer) + " (tag " + std::to_string(tag) +
          ")",
      bytes, "bytes");
  STRATA_RETURN_IF_ERROR(usable());
  STRATA_RETURN_IF_ERROR(checkPeer(peer, what));
  // The copy on the caller's stream: once the stream passes it, |data| may
  // change.
  STRATA_ASSIGN_OR_RETURN(DeviceMemory staging, takeStaging(bytes));
  STRATA_RETURN_IF_ERROR(device_.copy(staging.base(), data, bytes, stream));
  if (peer == rank_) {
    selfMessages_.push_back({std::move(staging), bytes, tag});
    return Status::ok();
  }
  const cudaStream_t sendStream = CudaDevice::raw(*sendStream_);
  STRATA_RETURN_IF_ERROR(
      check(cudaEventRecord(staged_, CudaDevice::raw(stream)), what));
  STRATA_RETURN_IF_ERROR(
      check(cudaStreamWaitEvent(sendStream, staged_, 0), what));
  ncclComm_t comm = rank_ < peer ? up_ : down_;
  STRATA_RETURN_IF_ERROR(settle(ncclGroupStart(), {}, what));
  const ncclResult_t sent =
      ncclSend(staging.base().raw(), bytes, ncclUint8, peer, comm, sendStream);
  const ncclResult_t ended = ncclGroupEnd();
  STRATA_RETURN_IF_ERROR(settle(sent, {}, what));
  STRATA_RETURN_IF_ERROR(settle(ended, {comm}, what));
  return track(sendStream, what, std::move(staging), /*isSend=*/true);
}

Status NcclCommunicator::completeSends() {
  for (;;) {
    STRATA_RETURN_IF_ERROR(poll());
    const bool sending =
        std::any_of(inFlight_.begin(), inFlight_.end(),
                    [](const InFlight &op) { return op.isSend; });
    if (!sending)
      return Status::ok();
    std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
}

Status NcclCommunicator::recv(DevicePtr data, size_t bytes, int peer, int tag,
                              Stream &stream) {
  const std::string what = describe(
      "recv from rank " + std::to_string(peer) + " (tag " +
          std::to_string(tag) + ")",
      bytes, "bytes");
  STRATA_RETURN_IF_ERROR(usable());
  STRATA_RETURN_IF_ERROR(checkPeer(peer, what));
  const cudaStream_t s = CudaDevice::raw(stream);
  if (peer != rank_) {
    ncclComm_t comm = peer < rank_ ? up_ : down_;
    STRATA_RETURN_IF_ERROR(settle(ncclGroupStart(), {}, what));
    const ncclResult_t received =
        ncclRecv(data.raw(), bytes, ncclUint8, peer, comm, s);
    const ncclResult_t ended = ncclGroupEnd();
    STRATA_RETURN_IF_ERROR(settle(received, {}, what));
    STRATA_RETURN_IF_ERROR(settle(ended, {comm}, what));
    return track(s, what);
  }
  // To itself: the oldest message with this tag, sent and received in one
  // group (NCCL pairs a send and a receive to self only within a group).
  auto message = std::find_if(
      selfMessages_.begin(), selfMessages_.end(),
      [&](const SelfMessage &m) { return m.tag == tag; });
  if (message == selfMessages_.end())
    return Status::failedPrecondition(
        what + ": no sendAsync to this rank with that tag came first");
  if (message->bytes != bytes)
    return Status::invalidArgument(what + ": the message sent has " +
                                   std::to_string(message->bytes) + " bytes");
  DeviceMemory staging = std::move(message->staging);
  selfMessages_.erase(message);
  STRATA_RETURN_IF_ERROR(settle(ncclGroupStart(), {}, what));
  const ncclResult_t sent =
      ncclSend(staging.base().raw(), bytes, ncclUint8, rank_, comm_, s);
  const ncclResult_t received =
      ncclRecv(data.raw(), bytes, ncclUint8, rank_, comm_, s);
  const ncclResult_t ended = ncclGroupEnd();
  STRATA_RETURN_IF_ERROR(settle(sent, {}, what));
  STRATA_RETURN_IF_ERROR(settle(received, {}, what));
  STRATA_RETURN_IF_ERROR(settle(ended, {comm_}, what));
  return track(s, what, std::move(staging));
}

} // namespace strata::runtime::cuda
