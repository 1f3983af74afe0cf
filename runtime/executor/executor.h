//===- executor.h - runs a loaded artifact's functions ----------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// An Executor owns one rank's memory for one artifact: the arena, exactly
// the size of the compiled memory plan, with every buffer at its planned
// offset, and one kernel scratch region sized for the hungriest instruction.
// Both are allocated once, when the executor is created, after every
// instruction has been checked (prepared_program.h); running a function
// then only calls kernels.
//
// Callers fill a function's argument buffers, run it, and read its result
// buffers (write()/read()). Parameters, their gradients and AdamW moments
// are persistent buffers that keep their values between calls.
//
// Randomness: dropout masks come from counter-based Philox streams. A call
// of a function that draws random numbers uses the seed and the executor's
// invocation counter, then advances the counter, so a forward_backward call
// regenerates in its backward exactly the masks of its forward, and two
// runs with the same seed and counter are bitwise equal.
//
// Usage:
//   CpuDevice device;
//   STRATA_ASSIGN_OR_RETURN(auto executor,
//                           Executor::create(std::move(artifact), device, {}));
//   STRATA_RETURN_IF_ERROR(executor->write(tokensBuffer, tokens));
//   STRATA_RETURN_IF_ERROR(executor->run("forward"));
//   STRATA_ASSIGN_OR_RETURN(io::HostTensor loss, executor->read(lossBuffer));
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_EXECUTOR_H
#define STRATA_RUNTIME_EXECUTOR_EXECUTOR_H

#include "runtime/artifact/artifact_loader.h"
#include "runtime/executor/device.h"
#include "runtime/executor/prepared_program.h"
#include "runtime/executor/rank_mesh.h"
#include "runtime/io/host_tensor.h"
#include "runtime/support/status.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace strata::runtime {

struct ExecutorOptions {
  /// Kernel threads; 0 keeps OpenMP's default (OMP_NUM_THREADS or all cores).
  int numThreads = 0;
  /// With false, dropout (and attention dropout) passes values through
  /// unchanged: evaluation, and the numerics interface that compares with a
  /// reference.
  bool dropout = true;
  /// Seed of the dropout streams.
  uint64_t seed = 0;
  /// Time every instruction (per kernel totals in profile()).
  bool profile = false;
  /// This process's place in the artifact's mesh and its communicators
  /// (must outlive the executor). Null: one rank, which an artifact
  /// partitioned for several ranks refuses.
  const RankMesh *mesh = nullptr;
};

/// Time spent per kernel over every run() of an executor.
struct KernelProfile {
  std::string kernel;
  int64_t calls = 0;
  double seconds = 0.0;
};

/// io::DType of an artifact element type.
io::DType toIoDType(artifact::DType dtype);

class Executor {
public:
  /// Prepares every function of |artifact| and allocates the arena and the
  /// scratch space on |device| (which must outlive the executor).
  static StatusOr<std::unique_ptr<Executor>>
  create(LoadedArtifact artifact, Device &device,
         const ExecutorOptions &options = {});

  const LoadedArtifact &artifact() const { return artifact_; }
  const artifact::Artifact &root() const { return artifact_.root(); }
  const ExecutorOptions &options() const { return options_; }

  /// The arena's size: the memory plan's arena_size, to the byte.
  size_t arenaBytes() const { return arena_.size(); }
  size_t scratchBytes() const { return scratch_.size(); }

  /// The function named |name|, or null.
  const PreparedFunction *findFunction(std::string_view name) const;
  /// Like findFunction, but an error naming the functions the artifact has.
  StatusOr<const PreparedFunction *> function(std::string_view name) const;

  /// Runs every instruction of |function| in order. Stops at the first
  /// instruction that rejects its input (a token id outside the vocabulary,
  /// ...) with an error naming it.
  Status run(const PreparedFunction &function);
  Status run(std::string_view name);

  const artifact::Buffer &buffer(uint32_t id) const {
    return *root().buffers()->Get(id);
  }
  uint8_t *data(uint32_t id) { return arena_.data() + buffer(id).offset(); }
  const uint8_t *data(uint32_t id) const {
    return arena_.data() + buffer(id).offset();
  }

  /// Copies |tensor| into buffer |id|; its dtype and shape must be the
  /// buffer's (an error naming both otherwise).
  Status write(uint32_t id, const io::HostTensor &tensor);
  /// A copy of buffer |id|.
  io::HostTensor read(uint32_t id) const;
  /// Result |index| of |function| after a run, whole: a result split across
  /// ranks is gathered from the ranks of its axis (which must all call this).
  StatusOr<io::HostTensor> readResult(const PreparedFunction &function,
                                      size_t index) const;
  /// The whole size of dimension |dim| of result |index| (its local size
  /// times the blocks it is split in).
  int64_t resultDimension(const PreparedFunction &function, size_t index,
                          int dim) const;

  /// Waits (bounded) until the peers received what every Send instruction
  /// run so far sent (Communicator::completeSends on each mesh axis). Send
  /// returns before its peer receives; a pipeline driver calls this once per
  /// step, after its last Send, so that no message outlives the step.
  Status completeSends();

  /// Per-kernel totals, slowest first (empty unless options().profile).
  std::vector<KernelProfile> profile() const;

  /// Turns dropout on (training) or off (evaluation) for later runs; runs
  /// with dropout off leave the invocation counter alone.
  void setDropout(bool enabled) { options_.dropout = enabled; }

  /// This rank's place in the mesh (one rank of a 1 x 1 x 1 mesh when the
  /// artifact is not partitioned).
  const RankMesh &mesh() const { return mesh_; }

  /// The dropout invocation counter (saved in training checkpoints).
  uint64_t rngCounter() const { return rngCounter_; }
  void setRngCounter(uint64_t counter) { rngCounter_ = counter; }

private:
  Executor(LoadedArtifact artifact, ExecutorOptions options)
      : artifact_(std::move(artifact)), options_(options) {}
  Status setUpMesh(const RankMesh *given);

  LoadedArtifact artifact_;
  ExecutorOptions options_;
  std::vector<PreparedFunction> functions_;
  DeviceMemory arena_;
  DeviceMemory scratch_;
  /// Gradient slots of the trainable parameters, for zero_grads/grad_norm.
  std::vector<uint32_t> gradientSlots_;
  uint64_t rngCounter_ = 0;
  RankMesh mesh_;
  /// The communicators of a single-rank mesh_ (when options.mesh is null).
  std::vector<std::unique_ptr<Communicator>> ownedCommunicators_;
  /// Seconds and calls per artifact::Kernel value.
  std::vector<double> kernelSeconds_;
  std::vector<int64_t> kernelCalls_;
};

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_EXECUTOR_H
