//===- backend.h - a device and the kernels that run on it ------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A Backend pairs a Device (device.h) with kernels for it: it says which
// (kernel, element type) pairs it runs, how much workspace a kernel
// descriptor needs beyond the descriptor's own scratch, and runs a
// descriptor on a stream. The executor prepares an artifact once
// (prepared_program.h), asks the backend whether it supports every
// instruction (an unsupported pair is an error at load naming the kernel,
// the type and the backend: never a fall-through), sizes one workspace for
// the hungriest instruction, and then only calls run().
//
// Collectives are not backend kernels: the executor runs them through the
// device's communicators (adaptCommunicator) and device copies, the same
// code for every backend.
//
// A backend is one folder under runtime/backends plus one line in
// registry.cc. null/ is a skeleton that supports nothing, to copy when
// adding one.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_BACKEND_H
#define STRATA_RUNTIME_BACKENDS_BACKEND_H

#include "runtime/backends/device.h"
#include "runtime/backends/device_communicator.h"
#include "runtime/backends/gemm_tuning/gemm_descriptor.h"
#include "runtime/backends/gemm_tuning/gemm_tuning_cache.h"
#include "runtime/backends/kernel_descriptor.h"
#include "runtime/support/status.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace strata::runtime {

/// What changes from one call of a function to the next.
struct KernelRunContext {
  /// The arena (descriptor offsets are relative to it) and the workspace
  /// (descriptor scratch first, then the backend's own).
  DevicePtr arena;
  DevicePtr workspace;
  size_t workspaceBytes = 0;
  /// Dropout on (training) or passed through (evaluation, numerics).
  bool dropout = true;
  uint64_t seed = 0;
  /// Philox offset of random stream s in this call: rngBase + s.
  uint64_t rngBase = 0;
};

/// A function's launches recorded once and replayed as one unit (a CUDA
/// graph): no per-kernel launch cost, the same kernels on the same
/// addresses every time.
class RecordedWork {
public:
  virtual ~RecordedWork() = default;
  /// Queues the recorded launches on |stream|.
  virtual Status replay(Stream &stream) = 0;
};

class Backend {
public:
  virtual ~Backend() = default;

  /// The backend's name as --device spells it ("cpu", "null").
  virtual std::string name() const = 0;
  virtual Device &device() = 0;

  /// Whether run() accepts |kernel| computing in |dtype|.
  virtual bool supports(Kernel kernel, DType dtype) const = 0;
  /// Workspace bytes the backend needs for |descriptor| beyond its
  /// scratchBytes (which come first in the workspace).
  virtual size_t workspaceBytes(const KernelDescriptor &descriptor) const = 0;
  /// Queues |descriptor| on |stream|. Errors about input values (a token id
  /// outside the vocabulary, a cache position beyond the cache) name the
  /// instruction; a backend that checks values on the device may report
  /// them at the next synchronize instead.
  virtual Status run(const KernelDescriptor &descriptor,
                     const KernelRunContext &context, Stream &stream) = 0;

  /// A communicator for this device's buffers over the ranks of |host| (a
  /// communicator of host buffers: MPI, or one process), which must outlive
  /// it. The CPU's is |host| itself; a GPU's moves device buffers (NCCL, or
  /// MPI through staging buffers).
  virtual StatusOr<std::unique_ptr<DeviceCommunicator>>
  adaptCommunicator(Communicator &host) = 0;

  /// Records what |queue| launches on |stream| (its run() calls) without
  /// running it, for replay(). Null: this backend records nothing (the
  /// caller runs |queue| itself, every time). An error leaves |stream| as
  /// it was; the caller then runs eagerly.
  virtual StatusOr<std::unique_ptr<RecordedWork>>
  record(Stream &stream, const std::function<Status()> &queue) {
    (void)stream;
    (void)queue;
    return std::unique_ptr<RecordedWork>();
  }

  /// (optional) GEMM autotuning ahead of time: times the algorithms the
  /// backend could run |gemm| with (|reps| calls each), keeps the fastest
  /// for the runs that follow (in its tuning cache) and reports the
  /// measurement, or the cached one. Backends with no choice of GEMM
  /// algorithms: kUnimplemented naming the backend (the default).
  virtual StatusOr<GemmTuningReport> tuneGemm(const GemmDescriptor &gemm,
                                              int reps);
};

/// "kernel matmul in BF16 is not supported by the null backend"-style
/// error of an instruction a backend cannot run.
Status unsupportedKernel(const KernelDescriptor &descriptor,
                         const Backend &backend);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_BACKENDS_BACKEND_H
