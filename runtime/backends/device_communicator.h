//===- device_communicator.h - collectives on device buffers ----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// What the executor's collective and transfer instructions use: the
// operations of Communicator (runtime/executor/communicator.h) on device
// buffers, typed, ordered on a stream. Each backend makes its own from a
// host communicator over the same ranks (Backend::adaptCommunicator): the
// CPU's forwards to it (host memory is the device's); a GPU's uses NCCL
// bootstrapped over it, or stages through host buffers (several ranks on
// one GPU). Every operation of a multi-rank implementation gives up with
// kUnavailable naming the operation and the ranks when a rank has died.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_DEVICE_COMMUNICATOR_H
#define STRATA_RUNTIME_BACKENDS_DEVICE_COMMUNICATOR_H

#include "runtime/backends/device.h"
#include "runtime/executor/communicator.h"
#include "runtime/support/dtype.h"
#include "runtime/support/status.h"

namespace strata::runtime {

class DeviceCommunicator {
public:
  virtual ~DeviceCommunicator() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;

  /// In place: data[i] = op over ranks of data[i], i < |count|.
  virtual Status allReduce(DevicePtr data, size_t count, DType type,
                           ReduceOp op, Stream &stream) = 0;
  /// recv[r * count + i] = send_r[i].
  virtual Status allGather(DevicePtr send, DevicePtr recv, size_t count,
                           DType type, Stream &stream) = 0;
  /// recv[i] = op over ranks of send_r[rank() * count + i].
  virtual Status reduceScatter(DevicePtr send, DevicePtr recv, size_t count,
                               DType type, ReduceOp op, Stream &stream) = 0;
  /// Sends |bytes| of |data| to |peer| without waiting for it to receive
  /// them (|data| may be overwritten once the stream passes this point).
  virtual Status sendAsync(DevicePtr data, size_t bytes, int peer, int tag,
                           Stream &stream) = 0;
  /// Waits (bounded) until every sendAsync so far was received.
  virtual Status completeSends() = 0;
  virtual Status recv(DevicePtr data, size_t bytes, int peer, int tag,
                      Stream &stream) = 0;
};

/// A device communicator for memory the host addresses directly (the CPU
/// backend's): every operation is |host|'s on the same addresses, at once.
class HostMemoryCommunicator final : public DeviceCommunicator {
public:
  explicit HostMemoryCommunicator(Communicator &host) : host_(host) {}

  int rank() const override { return host_.rank(); }
  int size() const override { return host_.size(); }
  Status allReduce(DevicePtr data, size_t count, DType type, ReduceOp op,
                   Stream &) override {
    return host_.allReduce(data.raw(), count, type, op);
  }
  Status allGather(DevicePtr send, DevicePtr recv, size_t count, DType type,
                   Stream &) override {
    return host_.allGather(send.raw(), recv.raw(), count, type);
  }
  Status reduceScatter(DevicePtr send, DevicePtr recv, size_t count, DType type,
                       ReduceOp op, Stream &) override {
    return host_.reduceScatter(send.raw(), recv.raw(), count, type, op);
  }
  Status sendAsync(DevicePtr data, size_t bytes, int peer, int tag,
                   Stream &) override {
    return host_.sendAsync(data.raw(), bytes, peer, tag);
  }
  Status completeSends() override { return host_.completeSends(); }
  Status recv(DevicePtr data, size_t bytes, int peer, int tag,
              Stream &) override {
    return host_.recv(data.raw(), bytes, peer, tag);
  }

private:
  Communicator &host_;
};

} // namespace strata::runtime

#endif // STRATA_RUNTIME_BACKENDS_DEVICE_COMMUNICATOR_H
