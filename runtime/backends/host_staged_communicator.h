//===- host_staged_communicator.h - device collectives via host -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A DeviceCommunicator for devices whose library communicator cannot serve
// the group (several ranks on one GPU: NCCL refuses duplicate devices; or a
// GPU build without NCCL): every operation copies the device buffer into a
// host staging buffer, runs the host Communicator's operation (MPI) on it,
// and copies the result back. Written against the Device interface only
// (its copies and allocateHost), so it runs, and is tested, on the CPU
// device as well.
//
// Ordering: Device copies between host and device wait for the work queued
// on the stream before them and are complete when they return, so each
// operation sees what the stream computed and leaves its result where the
// stream's later work reads it; the host blocks for the duration (no
// overlap with compute: the price of the fallback).
//
// The staging buffer comes from Device::allocateHost (pinned on a GPU); it
// grows to the largest operation seen and is reused after that, so the
// steps of a run allocate nothing. Errors are the host communicator's
// (kUnavailable naming the operation and the ranks when a rank died) or
// the device's copies', with "host-staged <operation>" as context.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_HOST_STAGED_COMMUNICATOR_H
#define STRATA_RUNTIME_BACKENDS_HOST_STAGED_COMMUNICATOR_H

#include "runtime/backends/device.h"
#include "runtime/backends/device_communicator.h"

namespace strata::runtime {

class HostStagedCommunicator final : public DeviceCommunicator {
public:
  /// Over the ranks of |host|; |device| and |host| must outlive it.
  HostStagedCommunicator(Device &device, Communicator &host)
      : device_(device), host_(host) {}

  int rank() const override { return host_.rank(); }
  int size() const override { return host_.size(); }
  Status allReduce(DevicePtr data, size_t count, DType type, ReduceOp op,
                   Stream &stream) override;
  Status allGather(DevicePtr send, DevicePtr recv, size_t count, DType type,
                   Stream &stream) override;
  Status reduceScatter(DevicePtr send, DevicePtr recv, size_t count,
                       DType type, ReduceOp op, Stream &stream) override;
  /// Copies |data| to the host (so the stream may overwrite it at once) and
  /// hands it to the host communicator's sendAsync, which keeps its own
  /// copy until the peer received it.
  Status sendAsync(DevicePtr data, size_t bytes, int peer, int tag,
                   Stream &stream) override;
  Status completeSends() override { return host_.completeSends(); }
  Status recv(DevicePtr data, size_t bytes, int peer, int tag,
              Stream &stream) override;

  /// The staging buffer's size in bytes (for tests: it only grows).
  size_t stagingBytes() const { return staging_.size(); }

private:
  /// The staging buffer, at least |bytes| long.
  StatusOr<uint8_t *> staging(size_t bytes);

  Device &device_;
  Communicator &host_;
  HostMemory staging_;
};

} // namespace strata::runtime

#endif // STRATA_RUNTIME_BACKENDS_HOST_STAGED_COMMUNICATOR_H
