//===- mpi_communicator.cc - collectives over MPI with deadlines ----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/mpi_communicator.h"

#include "runtime/support/half_float.h"

#include <chrono>
#include <climits>
#include <cstdint>
#include <cstring>
#include <functional>
#include <sstream>
#include <thread>

namespace strata::runtime {

namespace {

using Clock = std::chrono::steady_clock;

// Polling: MPI only progresses inside MPI calls, so a short spin keeps small
// collectives fast; after it, sleeping between tests leaves the core to the
// peers (ranks often outnumber cores on a test machine) at a cost of at most
// one sleep of latency.
constexpr auto kSpin = std::chrono::microseconds(100);
constexpr auto kSleep = std::chrono::microseconds(100);

std::string formatSeconds(double seconds, bool fixedOneDecimal) {
  std::ostringstream out;
  if (fixedOneDecimal) {
    out.setf(std::ios::fixed);
    out.precision(1);
  }
  out << seconds;
  return out.str();
}

/// The MPI type of |type|'s elements: 16-bit floats move as their bits
/// (their reductions are operations of ours, mpiOp).
MPI_Datatype mpiType(DType type) {
  switch (type) {
  case DType::F64:
    return MPI_DOUBLE;
  case DType::I32:
    return MPI_INT32_T;
  case DType::I64:
    return MPI_INT64_T;
  case DType::I8:
    return MPI_INT8_T;
  case DType::BF16:
  case DType::F16:
    return MPI_UINT16_T;
  default:
    return MPI_FLOAT;
  }
}

size_t byteSize(DType type) { return dtypeSize(type); }

/// "f32", "bf16", ... for messages.
const char *typeName(DType type) {
  switch (type) {
  case DType::F32:
    return "f32";
  case DType::F64:
    return "f64";
  case DType::BF16:
    return "bf16";
  case DType::F16:
    return "f16";
  case DType::I32:
    return "i32";
  case DType::I64:
    return "i64";
  case DType::I8:
    return "i8";
  }
  return "?";
}

/// The element-wise sum or maximum of 16-bit floats, in f32 and rounded
/// once per combination (MPI has no bf16 or f16 type; NCCL rounds the same
/// way).
template <typename Half, bool kMax>
void reduceHalves(void *in, void *inout, int *length, MPI_Datatype *) {
  const Half *a = static_cast<const Half *>(in);
  Half *b = static_cast<Half *>(inout);
  for (int i = 0; i < *length; ++i) {
    const float x = float(a[i]), y = float(b[i]);
    b[i] = Half(kMax ? (x > y || x != x ? x : y) : x + y);
  }
}

/// The MPI operation of |op| on |type|: MPI's own for the types it knows,
/// one of ours (created once, after MPI_Init, never freed) for BF16 and
/// F16.
MPI_Op mpiOp(ReduceOp op, DType type) {
  const bool max = op == ReduceOp::Max;
  if (type != DType::BF16 && type != DType::F16)
    return max ? MPI_MAX : MPI_SUM;
  static const auto create = [](MPI_User_function *function) {
    MPI_Op created = MPI_OP_NULL;
    MPI_Op_create(function, /*commute=*/1, &created);
    return created;
  };
  static const MPI_Op ops[2][2] = {
      {create(&reduceHalves<bf16, false>), create(&reduceHalves<bf16, true>)},
      {create(&reduceHalves<f16, false>), create(&reduceHalves<f16, true>)}};
  return ops[type == DType::F16][max];
}

bool overlaps(const void *a, size_t aBytes, const void *b, size_t bBytes) {
  auto x = reinterpret_cast<uintptr_t>(a), y = reinterpret_cast<uintptr_t>(b);
  return aBytes != 0 && bBytes != 0 && x < y + bBytes && y < x + aBytes;
}

/// Calls |poll| (which sets |done|, or fails) until it is done or
/// |timeoutSeconds| pass; then |timedOut| is set.
template <typename Poll>
Status pollUntil(Poll poll, double timeoutSeconds,
                 const std::function<std::string()> &describe, bool &timedOut) {
  timedOut = false;
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline =
      start + std::chrono::duration_cast<Clock::duration>(
                  std::chrono::duration<double>(timeoutSeconds));
  for (;;) {
    bool done = false;
    STRATA_RETURN_IF_ERROR(poll(done));
    if (done)
      return Status::ok();
    Clock::time_point now = Clock::now();
    if (now >= deadline) {
      timedOut = true;
      double waited = std::chrono::duration<double>(now - start).count();
      return Status::unavailable(
          describe() + " did not complete within " +
          formatSeconds(timeoutSeconds, false) + " s (gave up after " +
          formatSeconds(waited, true) +
          " s): a peer rank has likely died or stopped communicating");
    }
    if (now - start >= kSpin)
      std::this_thread::sleep_for(kSleep);
  }
}

/// Polls |request| until it completes (Ok), MPI reports an error, or
/// |timeoutSeconds| pass; then |timedOut| is set and the request is left
/// outstanding (MPI forbids freeing or cancelling a collective's request).
Status waitFor(MPI_Request &request, double timeoutSeconds, MPI_Status *status,
               const std::function<std::string()> &describe, bool &timedOut) {
  auto test = [&](bool &done) {
    int flag = 0;
    if (int code = MPI_Test(&request, &flag, status); code != MPI_SUCCESS)
      return mpiErrorStatus(code, describe());
    done = flag != 0;
    return Status::ok();
  };
  return pollUntil(test, timeoutSeconds, describe, timedOut);
}

} // namespace

Status mpiErrorStatus(int code, const std::string &what) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  std::string reason = MPI_Error_string(code, text, &length) == MPI_SUCCESS
                           ? std::string(text, length)
                           : "MPI error " + std::to_string(code);
  std::string message = what + " failed: " + reason;
  int errorClass = code;
  MPI_Error_class(code, &errorClass);
  switch (errorClass) {
  case MPI_ERR_ARG:
  case MPI_ERR_BUFFER:
  case MPI_ERR_COUNT:
  case MPI_ERR_OP:
  case MPI_ERR_RANK:
  case MPI_ERR_TAG:
  case MPI_ERR_TRUNCATE:
  case MPI_ERR_TYPE:
    return Status::invalidArgument(message);
  default:
    return Status::unavailable(message);
  }
}

//===----------------------------------------------------------------------===//
// Construction
//===----------------------------------------------------------------------===//

MpiCommunicator::MpiCommunicator(MPI_Comm comm, std::string axisName,
                                 double timeoutSeconds)
    : comm_(comm), axisName_(std::move(axisName)),
      timeoutSeconds_(timeoutSeconds) {
  // Errors come back as codes that become Status; the default handler would
  // abort the whole job without saying which operation failed.
  MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
}

MpiCommunicator::~MpiCommunicator() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  // Never waits: a send still in flight (completeSends was not called, or a
  // peer is gone) is left to MPI with its staging leaked, since MPI reads it
  // until the peer receives.
  for (PendingSend &send : sends_) {
    int done = 0;
    if (finalized || !failure_.empty()) {
      (void)send.staging.data.release();
      continue;
    }
    if (MPI_Test(&send.request, &done, MPI_STATUS_IGNORE) == MPI_SUCCESS &&
        done)
      continue;
    if (send.request != MPI_REQUEST_NULL)
      MPI_Request_free(&send.request); // allowed for point-to-point requests
    (void)send.staging.data.release();
  }
  // A timed-out operation may still be pending on the communicator; leave
  // it to the abort that must follow.
  if (!finalized && failure_.empty())
    MPI_Comm_free(&comm_);
}

StatusOr<std::unique_ptr<MpiCommunicator>>
MpiCommunicator::duplicate(MPI_Comm comm, std::string axisName,
                           double timeoutSeconds) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  auto describe = [&] {
    return "creating the communicator for '" + axisName + "' (rank " +
           std::to_string(rank) + " of " + std::to_string(size) + ")";
  };
  MPI_Comm copy = MPI_COMM_NULL;
  MPI_Request request = MPI_REQUEST_NULL;
  if (int code = MPI_Comm_idup(comm, &copy, &request); code != MPI_SUCCESS)
    return mpiErrorStatus(code, describe());
  bool timedOut = false;
  STRATA_RETURN_IF_ERROR(waitFor(request, timeoutSeconds, MPI_STATUS_IGNORE,
                                 describe, timedOut));
  return std::unique_ptr<MpiCommunicator>(
      new MpiCommunicator(copy, std::move(axisName), timeoutSeconds));
}

StatusOr<std::unique_ptr<MpiCommunicator>>
MpiCommunicator::split(int color, int key, std::string axisName) {
  Operation op{"split"};
  STRATA_RETURN_IF_ERROR(barrier().withContext("before splitting off '" +
                                               axisName + "'"));
  MPI_Comm part = MPI_COMM_NULL;
  if (int code = MPI_Comm_split(comm_, color, key, &part); code != MPI_SUCCESS)
    return mpiErrorStatus(code, describe(op) + " into '" + axisName + "'");
  return std::unique_ptr<MpiCommunicator>(
      new MpiCommunicator(part, std::move(axisName), timeoutSeconds_));
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

std::string MpiCommunicator::describe(const Operation &op) const {
  std::string text = op.name;
  if (op.peer)
    text += " rank " + std::to_string(*op.peer);
  text += " over '" + axisName_ + "' (rank " + std::to_string(rank_) +
          " of " + std::to_string(size_);
  if (op.unit)
    text += ", " + std::to_string(op.count) + " " + op.unit;
  if (op.tag)
    text += ", tag " + std::to_string(*op.tag);
  return text + ")";
}

Status MpiCommunicator::checkUsable(const Operation &op) const {
  if (!failure_.empty())
    return Status::unavailable(describe(op) +
                               " not started: an earlier operation failed: " +
                               failure_);
  if (op.count > size_t(INT_MAX))
    return Status::invalidArgument(describe(op) + ": MPI counts at most " +
                                   std::to_string(INT_MAX) + " per call");
  return Status::ok();
}

Status MpiCommunicator::checkPeer(const Operation &op) const {
  if (*op.peer < 0 || *op.peer >= size_ || *op.peer == rank_)
    return Status::invalidArgument(
        describe(op) + ": the peer must be another rank of the " +
        std::to_string(size_) + " in '" + axisName_ + "'");
  return Status::ok();
}

MpiCommunicator::Staging MpiCommunicator::takeStaging(size_t bytes) {
  // The smallest free buffer that fits; if none does, the largest is
  // replaced, so the free list never outgrows the most sends in flight.
  size_t best = freeStaging_.size(), largest = freeStaging_.size();
  for (size_t i = 0; i < freeStaging_.size(); ++i) {
    const size_t capacity = freeStaging_[i].capacity;
    if (capacity >= bytes &&
        (best == freeStaging_.size() || capacity < freeStaging_[best].capacity))
      best = i;
    if (largest == freeStaging_.size() ||
        capacity > freeStaging_[largest].capacity)
      largest = i;
  }
  Staging staging;
  const size_t pick = best != freeStaging_.size() ? best : largest;
  if (pick != freeStaging_.size()) {
    staging = std::move(freeStaging_[pick]);
    freeStaging_[pick] = std::move(freeStaging_.back());
    freeStaging_.pop_back();
  }
  if (staging.capacity < bytes || !staging.data) {
    staging.data.reset(new unsigned char[bytes ? bytes : 1]);
    staging.capacity = bytes;
  }
  return staging;
}

Status MpiCommunicator::reapSends() {
  size_t kept = 0;
  Status result = Status::ok();
  for (size_t i = 0; i < sends_.size(); ++i) {
    PendingSend &send = sends_[i];
    int done = 0;
    if (result.isOk()) {
      if (int code = MPI_Test(&send.request, &done, MPI_STATUS_IGNORE);
          code != MPI_SUCCESS) {
        Operation op{"send to", send.bytes, "bytes", send.peer, send.tag};
        result = mpiErrorStatus(code, describe(op));
      }
    }
    if (done)
      freeStaging_.push_back(std::move(send.staging));
    else if (kept != i)
      sends_[kept++] = std::move(send);
    else
      ++kept;
  }
  sends_.resize(kept);
  if (!result.isOk()) {
    // MPI's state of the failed send is unknown: stop using the communicator.
    failure_ = result.message();
    abandonSends();
  }
  return result;
}

void MpiCommunicator::abandonSends() {
  for (PendingSend &send : sends_)
    (void)send.staging.data.release();
  sends_.clear();
}

Status MpiCommunicator::complete(MPI_Request &request, const Operation &op,
                                 MPI_Status *status) {
  bool timedOut = false;
  Status result = waitFor(
      request, timeoutSeconds_, status, [&] { return describe(op); },
      timedOut);
  if (timedOut)
    failure_ = result.message();
  return result;
}

//===----------------------------------------------------------------------===//
// Operations
//===----------------------------------------------------------------------===//

Status MpiCommunicator::allReduce(void *data, size_t count, ElementType type,
                                  ReduceOp reduce) {
  Operation op{"all_reduce", count, typeName(type)};
  STRATA_RETURN_IF_ERROR(checkUsable(op));
  MPI_Request request = MPI_REQUEST_NULL;
  if (int code = MPI_Iallreduce(MPI_IN_PLACE, data, int(count), mpiType(type),
                                mpiOp(reduce, type), comm_, &request);
      code != MPI_SUCCESS)
    return mpiErrorStatus(code, describe(op));
  return complete(request, op);
}

Status MpiCommunicator::allGather(const void *send, void *recv, size_t count,
                                  ElementType type) {
  Operation op{"all_gather", count, typeName(type)};
  STRATA_RETURN_IF_ERROR(checkUsable(op));
  const size_t bytes = count * byteSize(type);
  char *out = static_cast<char *>(recv);
  // MPI forbids aliased buffers: this rank's slot of |recv| is MPI_IN_PLACE,
  // any other overlap goes through a copy.
  const void *in = send;
  std::unique_ptr<char[]> staging;
  if (send == out + size_t(rank_) * bytes) {
    in = MPI_IN_PLACE;
  } else if (overlaps(send, bytes, recv, bytes * size_)) {
    staging.reset(new char[bytes]);
    std::memcpy(staging.get(), send, bytes);
    in = staging.get();
  }
  MPI_Request request = MPI_REQUEST_NULL;
  if (int code = MPI_Iallgather(in, int(count), mpiType(type), recv,
                                int(count), mpiType(type), comm_, &request);
      code != MPI_SUCCESS)
    return mpiErrorStatus(code, describe(op));
  Status status = complete(request, op);
  if (!status.isOk())
    staging.release(); // MPI may still read it
  return status;
}

Status MpiCommunicator::reduceScatter(const void *send, void *recv,
                                      size_t count, ElementType type,
                                      ReduceOp reduce) {
  Operation op{"reduce_scatter", count, typeName(type)};
  STRATA_RETURN_IF_ERROR(checkUsable(op));
  const size_t bytes = count * byteSize(type);
  // send == recv is MPI_IN_PLACE (the input is the whole buffer, the result
  // its first |count| elements); any other overlap goes through a copy.
  const void *in = send;
  std::unique_ptr<char[]> staging;
  if (send == recv) {
    in = MPI_IN_PLACE;
  } else if (overlaps(send, bytes * size_, recv, bytes)) {
    staging.reset(new char[bytes * size_]);
    std::memcpy(staging.get(), send, bytes * size_);
    in = staging.get();
  }
  MPI_Request request = MPI_REQUEST_NULL;
  if (int code = MPI_Ireduce_scatter_block(in, recv, int(count), mpiType(type),
                                           mpiOp(reduce, type), comm_, &request);
      code != MPI_SUCCESS)
    return mpiErrorStatus(code, describe(op));
  Status status = complete(request, op);
  if (!status.isOk())
    staging.release(); // MPI may still read it
  return status;
}

Status MpiCommunicator::send(const void *data, size_t bytes, int peer,
                             int tag) {
  Operation op{"send to", bytes, "bytes", peer, tag};
  STRATA_RETURN_IF_ERROR(checkUsable(op));
  STRATA_RETURN_IF_ERROR(checkPeer(op));
  MPI_Request request = MPI_REQUEST_NULL;
  if (int code = MPI_Isend(data, int(bytes), MPI_BYTE, peer, tag, comm_,
                           &request);
      code != MPI_SUCCESS)
    return mpiErrorStatus(code, describe(op));
  return complete(request, op);
}

Status MpiCommunicator::sendAsync(const void *data, size_t bytes, int peer,
                                  int tag) {
  Operation op{"send to", bytes, "bytes", peer, tag};
  STRATA_RETURN_IF_ERROR(checkUsable(op));
  STRATA_RETURN_IF_ERROR(checkPeer(op));
  STRATA_RETURN_IF_ERROR(reapSends());
  PendingSend send{MPI_REQUEST_NULL, takeStaging(bytes), bytes, peer, tag};
  if (bytes != 0)
    std::memcpy(send.staging.data.get(), data, bytes);
  if (int code = MPI_Isend(send.staging.data.get(), int(bytes), MPI_BYTE, peer,
                           tag, comm_, &send.request);
      code != MPI_SUCCESS) {
    freeStaging_.push_back(std::move(send.staging));
    return mpiErrorStatus(code, describe(op));
  }
  sends_.push_back(std::move(send));
  return Status::ok();
}

Status MpiCommunicator::completeSends() {
  Operation op{"complete_sends"};
  STRATA_RETURN_IF_ERROR(checkUsable(op));
  if (sends_.empty())
    return Status::ok();
  // Names the oldest send still pending when the wait gives up.
  auto describePending = [&] {
    const PendingSend &oldest = sends_.front();
    Operation send{"send to", oldest.bytes, "bytes", oldest.peer, oldest.tag};
    std::string text = "complete_sends: " + describe(send);
    if (sends_.size() > 1)
      text += " and " + std::to_string(sends_.size() - 1) + " later sends";
    return text;
  };
  auto reaped = [&](bool &done) {
    STRATA_RETURN_IF_ERROR(reapSends());
    done = sends_.empty();
    return Status::ok();
  };
  bool timedOut = false;
  Status status = pollUntil(reaped, timeoutSeconds_, describePending, timedOut);
  if (timedOut) {
    failure_ = status.message();
    abandonSends();
  }
  return status;
}

Status MpiCommunicator::recv(void *data, size_t bytes, int peer, int tag) {
  Operation op{"recv from", bytes, "bytes", peer, tag};
  STRATA_RETURN_IF_ERROR(checkUsable(op));
  STRATA_RETURN_IF_ERROR(checkPeer(op));
  MPI_Request request = MPI_REQUEST_NULL;
  if (int code = MPI_Irecv(data, int(bytes), MPI_BYTE, peer, tag, comm_,
                           &request);
      code != MPI_SUCCESS)
    return mpiErrorStatus(code, describe(op));
  MPI_Status status;
  STRATA_RETURN_IF_ERROR(complete(request, op, &status));
  int received = 0;
  MPI_Get_count(&status, MPI_BYTE, &received);
  if (size_t(received) != bytes)
    return Status::invalidArgument(describe(op) + ": the peer sent " +
                                   std::to_string(received) + " bytes");
  return Status::ok();
}

Status MpiCommunicator::barrier() {
  Operation op{"barrier"};
  STRATA_RETURN_IF_ERROR(checkUsable(op));
  MPI_Request request = MPI_REQUEST_NULL;
  if (int code = MPI_Ibarrier(comm_, &request); code != MPI_SUCCESS)
    return mpiErrorStatus(code, describe(op));
  return complete(request, op);
}

} // namespace strata::runtime
