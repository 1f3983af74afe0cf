//===- rank_calls.h - the first rank drives the others ----------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Under `mpirun -np N strata-serve` every rank holds its shard of the model
// and must run the same prefill and decode calls, in the same order, with
// the same inputs (the collectives inside the calls pair them up). Only the
// first rank serves HTTP and schedules: before each call it sends the
// call's inputs to the others, which wait for them in serveAsWorker(). An
// idle first rank sends a heartbeat every second, so a worker can tell a
// quiet server from a dead one; a worker that hears nothing for the
// communicator's time limit fails, and the job ends (RankSetup::abortJob).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_SERVING_RANK_CALLS_H
#define STRATA_RUNTIME_SERVING_RANK_CALLS_H

#include "runtime/serving/paged_model.h"

namespace strata::runtime {
class Communicator;
}

namespace strata::runtime::serving {

/// The first rank's model: sends each call to every other rank of |world|,
/// then runs it on |local|.
class DrivingModel : public PagedModel {
public:
  DrivingModel(PagedModel &local, Communicator &world)
      : local_(&local), world_(&world) {}

  CallShape prefillShape() const override { return local_->prefillShape(); }
  CallShape decodeShape() const override { return local_->decodeShape(); }
  int64_t vocabSize() const override { return local_->vocabSize(); }
  int64_t blockSize() const override { return local_->blockSize(); }
  int64_t numBlocks() const override { return local_->numBlocks(); }
  bool takesVirtualTokens() const override {
    return local_->takesVirtualTokens();
  }
  StatusOr<const float *> prefill(const CallInputs &inputs) override;
  StatusOr<const float *> decode(const CallInputs &inputs) override;
  Status idle() override;
  Status close() override;

private:
  PagedModel *local_;
  Communicator *world_;
};

/// The other ranks: runs the calls the first rank sends on |local| until it
/// closes. An error when a message is malformed or the first rank goes
/// silent past the communicator's time limit.
Status serveAsWorker(PagedModel &local, Communicator &world);

} // namespace strata::runtime::serving

#endif // STRATA_RUNTIME_SERVING_RANK_CALLS_H
