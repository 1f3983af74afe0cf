//===- single_process_communicator.cc - the one-rank communicator ---------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/communicator.h"

#include <cstring>
#include <string>

namespace strata::runtime {

Status SingleProcessCommunicator::allReduce(void *, size_t, ElementType,
                                            ReduceOp) {
  return Status::ok(); // the sum (or max) over one rank is the value itself
}

Status SingleProcessCommunicator::allGather(const void *send, void *recv,
                                            size_t count, ElementType type) {
  if (send != recv)
    std::memmove(recv, send, count * dtypeSize(type));
  return Status::ok();
}

Status SingleProcessCommunicator::reduceScatter(const void *send, void *recv,
                                                size_t count, ElementType type,
                                                ReduceOp) {
  if (send != recv)
    std::memmove(recv, send, count * dtypeSize(type));
  return Status::ok();
}

Status SingleProcessCommunicator::send(const void *, size_t, int peer, int) {
  return Status::failedPrecondition("send to rank " + std::to_string(peer) +
                                    " in a single-process run: there is no "
                                    "other rank");
}

Status SingleProcessCommunicator::sendAsync(const void *data, size_t bytes,
                                            int peer, int tag) {
  return send(data, bytes, peer, tag);
}

Status SingleProcessCommunicator::recv(void *, size_t, int peer, int) {
  return Status::failedPrecondition("receive from rank " +
                                    std::to_string(peer) +
                                    " in a single-process run: there is no "
                                    "other rank");
}

} // namespace strata::runtime
