//===- host_staged_communicator.cc - device collectives via host ----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/host_staged_communicator.h"

#include <string>

namespace strata::runtime {

namespace {

Status inContext(Status status, const char *operation) {
  return status.isOk() ? status
                       : status.withContext(std::string("host-staged ") +
                                            operation);
}

} // namespace

StatusOr<uint8_t *> HostStagedCommunicator::staging(size_t bytes) {
  if (!staging_.data() || staging_.size() < bytes) {
    // Free the old buffer first: pinned memory is precious.
    staging_ = HostMemory();
    STRATA_ASSIGN_OR_RETURN(staging_, device_.allocateHost(bytes));
  }
  return staging_.data();
}

Status HostStagedCommunicator::allReduce(DevicePtr data, size_t count,
                                         DType type, ReduceOp op,
                                         Stream &stream) {
  const size_t bytes = count * dtypeSize(type);
  STRATA_ASSIGN_OR_RETURN(uint8_t * host, staging(bytes));
  STRATA_RETURN_IF_ERROR(
      inContext(device_.copyToHost(host, data, bytes, stream), "all_reduce"));
  STRATA_RETURN_IF_ERROR(host_.allReduce(host, count, type, op));
  return inContext(device_.copyToDevice(data, host, bytes, stream),
                   "all_reduce");
}

Status HostStagedCommunicator::allGather(DevicePtr send, DevicePtr recv,
                                         size_t count, DType type,
                                         Stream &stream) {
  // Separate send and receive regions: the host communicator need not
  // support aliasing, and |send| may lie inside |recv| on the device.
  const size_t bytes = count * dtypeSize(type);
  const size_t gathered = bytes * size_t(size());
  STRATA_ASSIGN_OR_RETURN(uint8_t * host, staging(bytes + gathered));
  STRATA_RETURN_IF_ERROR(
      inContext(device_.copyToHost(host, send, bytes, stream), "all_gather"));
  STRATA_RETURN_IF_ERROR(host_.allGather(host, host + bytes, count, type));
  return inContext(device_.copyToDevice(recv, host + bytes, gathered, stream),
                   "all_gather");
}

Status HostStagedCommunicator::reduceScatter(DevicePtr send, DevicePtr recv,
                                             size_t count, DType type,
                                             ReduceOp op, Stream &stream) {
  const size_t bytes = count * dtypeSize(type);
  const size_t whole = bytes * size_t(size());
  STRATA_ASSIGN_OR_RETURN(uint8_t * host, staging(whole + bytes));
  STRATA_RETURN_IF_ERROR(inContext(
      device_.copyToHost(host, send, whole, stream), "reduce_scatter"));
  STRATA_RETURN_IF_ERROR(
      host_.reduceScatter(host, host + whole, count, type, op));
  return inContext(device_.copyToDevice(recv, host + whole, bytes, stream),
                   "reduce_scatter");
}

Status HostStagedCommunicator::sendAsync(DevicePtr data, size_t bytes,
                                         int peer, int tag, Stream &stream) {
  STRATA_ASSIGN_OR_RETURN(uint8_t * host, staging(bytes));
  STRATA_RETURN_IF_ERROR(
      inContext(device_.copyToHost(host, data, bytes, stream), "send"));
  return host_.sendAsync(host, bytes, peer, tag);
}

Status HostStagedCommunicator::recv(DevicePtr data, size_t bytes, int peer,
                                    int tag, Stream &stream) {
  STRATA_ASSIGN_OR_RETURN(uint8_t * host, staging(bytes));
  STRATA_RETURN_IF_ERROR(host_.recv(host, bytes, peer, tag));
  return inContext(device_.copyToDevice(data, host, bytes, stream), "recv");
}

} // namespace strata::runtime
