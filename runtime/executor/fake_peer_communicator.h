//===- fake_peer_communicator.h - a two-rank communicator for tests -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Unit tests of code that talks to a peer (gathers of split parameters,
// optimizer shards) without MPI: this rank is rank 1 of 2 and every
// operation fails as unused; a test overrides the ones it exercises to play
// the peer's part.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_FAKE_PEER_COMMUNICATOR_H
#define STRATA_RUNTIME_EXECUTOR_FAKE_PEER_COMMUNICATOR_H

#include "runtime/executor/communicator.h"

namespace strata::runtime {

class FakePeerCommunicator : public Communicator {
public:
  int rank() const override { return 1; }
  int size() const override { return 2; }
  Status allReduce(void *, size_t, ElementType, ReduceOp) override {
    return unused();
  }
  Status allGather(const void *, void *, size_t, ElementType) override {
    return unused();
  }
  Status reduceScatter(const void *, void *, size_t, ElementType,
                       ReduceOp) override {
    return unused();
  }
  Status send(const void *, size_t, int, int) override { return unused(); }
  Status sendAsync(const void *, size_t, int, int) override {
    return unused();
  }
  Status completeSends() override { return Status::ok(); }
  Status recv(void *, size_t, int, int) override { return unused(); }
  Status barrier() override { return Status::ok(); }

private:
  static Status unused() {
    return Status::internal("the fake peer does not implement this operation");
  }
};

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_FAKE_PEER_COMMUNICATOR_H
