//===- executor.h - runs a loaded artifact's functions ----------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// An Executor owns one rank's memory for one artifact on one backend
// (runtime/backends): the arena, exactly the size of the compiled memory
// plan, with every buffer at its planned offset, and one workspace sized
// for the hungriest instruction. Both are allocated once, on the backend's
// device, when the executor is created, after every instruction has been
// checked and turned into a kernel descriptor (prepared_program.h) and the
// backend has said it runs every one (an error naming the first it does
// not); running a function then only calls the backend's kernels and the
// collectives.
//
// Callers fill a function's argument buffers, run it, and read its result
// buffers (write()/read(): copies, since the arena may be GPU memory the
// host cannot touch). Parameters, their gradients and AdamW moments are
// persistent buffers that keep their values between calls.
//
// Randomness: dropout masks come from counter-based Philox streams. A call
// of a function that draws random numbers uses the seed and the executor's
// invocation counter, then advances the counter, so a forward_backward call
// regenerates in its backward exactly the masks of its forward, and two
// runs with the same seed and counter are bitwise equal.
//
// Usage:
//   STRATA_ASSIGN_OR_RETURN(auto backend, createBackend("cpu"));
//   STRATA_ASSIGN_OR_RETURN(auto executor,
//                           Executor::create(std::move(artifact), *backend));
//   STRATA_RETURN_IF_ERROR(executor->write(tokensBuffer, tokens));
//   STRATA_RETURN_IF_ERROR(executor->run("forward"));
//   STRATA_ASSIGN_OR_RETURN(io::HostTensor loss, executor->read(lossBuffer));
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_EXECUTOR_H
#define STRATA_RUNTIME_EXECUTOR_EXECUTOR_H

#include "runtime/artifact/artifact_loader.h"
#include "runtime/backends/backend.h"
#include "runtime/executor/function_replays.h"
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
  /// With false, dropout (and attention dropout) passes values through
  /// unchanged: evaluation, and the numerics interface that compares with a
  /// reference.
  bool dropout = true;
  /// Seed of the dropout streams.
  uint64_t seed = 0;
  /// Time every instruction (per kernel totals in profile()).
  bool profile = false;
  /// Replay `decode` (one token's step) from a recording where the backend
  /// records (CUDA graphs): function_replays.h. Not while profiling.
  bool replayDecode = true;
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
inline io::DType toIoDType(artifact::DType dtype) {
  return toRuntimeDType(dtype);
}

class Executor {
public:
  /// Prepares every function of |artifact|, checks that |backend| runs
  /// every instruction and allocates the arena and the workspace on its
  /// device (|backend| must outlive the executor). An artifact compiled for
  /// another kind of device than |backend|'s is an error naming both.
  static StatusOr<std::unique_ptr<Executor>>
  create(LoadedArtifact artifact, Backend &backend,
         const ExecutorOptions &options = {});

  const LoadedArtifact &artifact() const { return artifact_; }
  const artifact::Artifact &root() const { return artifact_.root(); }
  const ExecutorOptions &options() const { return options_; }

  /// The arena's size: the memory plan's arena_size, to the byte.
  size_t arenaBytes() const { return arena_.size(); }
  size_t scratchBytes() const { return workspace_.size(); }
  Backend &backend() const { return *backend_; }
  Device &device() const { return backend_->device(); }

  /// The function named |name|, or null.
  const PreparedFunction *findFunction(std::string_view name) const;
  /// Like findFunction, but an error naming the functions the artifact has.
  StatusOr<const PreparedFunction *> function(std::string_view name) const;

  /// Runs every instruction of |function| in order. Stops at the first
  /// instruction that rejects its input (a token id outside the vocabulary,
  /// ...) with an error naming it.
  Status run(const PreparedFunction &function);
  Status run(std::string_view name);
  /// How many run()s of |function| were replays of a recording
  /// (options().replayDecode).
  int64_t replays(const PreparedFunction &function) const {
    return replays_.replays(function);
  }

  const artifact::Buffer &buffer(uint32_t id) const {
    return *root().buffers()->Get(id);
  }

  /// Copies |tensor| into buffer |id|; its dtype and shape must be the
  /// buffer's (an error naming both otherwise).
  Status write(uint32_t id, const io::HostTensor &tensor);
  /// Copies |bytes| bytes from host memory into buffer |id| (from its start;
  /// at most the buffer's size).
  Status writeBytes(uint32_t id, const void *data, size_t bytes);
  /// A copy of buffer |id|.
  StatusOr<io::HostTensor> read(uint32_t id) const;
  /// Copies the first |bytes| bytes of buffer |id| to host memory.
  Status readBytes(uint32_t id, void *data, size_t bytes) const;
  /// Sets buffer |id| to zeros.
  Status zero(uint32_t id);
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
  Executor(LoadedArtifact artifact, Backend &backend, ExecutorOptions options)
      : artifact_(std::move(artifact)), backend_(&backend), options_(options) {}
  Status setUpMesh(const RankMesh *given);
  Status checkTarget() const;
  Status checkBackendRunsEverything();
  /// Queues |function|'s instructions on |stream| (timing each when
  /// profiling).
  Status queueInstructions(const PreparedFunction &function,
                           const KernelRunContext &context, Stream &stream);
  /// Whether run() may replay |function| from a recording.
  bool replayable(const PreparedFunction &function) const;
  /// Buffer |id|'s address and a check that |bytes| fit it.
  StatusOr<DevicePtr> addressOf(uint32_t id, size_t bytes) const;

  LoadedArtifact artifact_;
  Backend *backend_;
  ExecutorOptions options_;
  std::vector<PreparedFunction> functions_;
  DeviceMemory arena_;
  DeviceMemory workspace_;
  uint64_t rngCounter_ = 0;
  RankMesh mesh_;
  /// The communicators of a single-rank mesh_ (when options.mesh is null).
  std::vector<std::unique_ptr<Communicator>> ownedCommunicators_;
  /// Per mesh axis, the device's communicator over mesh_'s host one.
  std::vector<std::unique_ptr<DeviceCommunicator>> deviceCommunicators_;
  std::vector<DeviceCommunicator *> deviceCommunicatorList_;
  /// Seconds and calls per artifact::Kernel value.
  std::vector<double> kernelSeconds_;
  std::vector<int64_t> kernelCalls_;
  FunctionReplays replays_;
};

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_EXECUTOR_H
