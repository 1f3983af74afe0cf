//===- cuda_device.h - one NVIDIA GPU as a Device ---------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Device memory from cudaMalloc (the executor allocates its arena once, of
// the plan's size); in-order CUDA streams and events; copies with
// cudaMemcpyAsync on the stream, host<->device ones synchronized before
// they return (device.h's contract). An allocation larger than the GPU's
// free memory is refused before cudaMalloc, naming both sizes.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CUDA_CUDA_DEVICE_H
#define STRATA_RUNTIME_BACKENDS_CUDA_CUDA_DEVICE_H

#include "runtime/backends/device.h"

#include <cuda_runtime_api.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace strata::runtime::cuda {

class CudaStream final : public Stream {
public:
  explicit CudaStream(cudaStream_t stream, bool owned)
      : stream_(stream), owned_(owned) {}
  ~CudaStream() override;
  cudaStream_t get() const { return stream_; }

private:
  cudaStream_t stream_;
  bool owned_;
};

class CudaEvent final : public Event {
public:
  explicit CudaEvent(cudaEvent_t event) : event_(event) {}
  ~CudaEvent() override;
  cudaEvent_t get() const { return event_; }

private:
  cudaEvent_t event_;
};

class CudaDevice final : public Device {
public:
  /// GPU |index| (cudaSetDevice'd by the caller); |name| as "cuda:0".
  static StatusOr<std::unique_ptr<CudaDevice>> open(int index);
  ~CudaDevice() override;

  std::string name() const override;
  std::string kind() const override { return "cuda"; }
  int index() const { return index_; }
  /// "NVIDIA H100 80GB HBM3, sm_90, 79.2 GiB".
  const std::string &description() const { return description_; }
  /// Compute capability major * 10 + minor (90 for Hopper).
  int computeCapability() const { return computeCapability_; }

  StatusOr<DeviceMemory> allocate(size_t bytes, size_t alignment) override;
  /// cudaMallocHost: page-locked, so copies from and to it run at full
  /// PCIe/NVLink speed without a driver bounce buffer.
  StatusOr<HostMemory> allocateHost(size_t bytes) override;
  Stream &defaultStream() override { return *stream_; }
  StatusOr<std::unique_ptr<Stream>> createStream() override;
  StatusOr<std::unique_ptr<Event>> createEvent() override;
  Status record(Event &event, Stream &stream) override;
  Status wait(Stream &stream, Event &event) override;
  Status synchronize(Stream &stream) override;

  Status copyToDevice(DevicePtr dst, const void *src, size_t bytes,
                      Stream &stream) override;
  Status copyToHost(void *dst, DevicePtr src, size_t bytes,
                    Stream &stream) override;
  Status copy(DevicePtr dst, DevicePtr src, size_t bytes,
              Stream &stream) override;
  Status copy2D(DevicePtr dst, size_t dstPitch, DevicePtr src, size_t srcPitch,
                size_t rowBytes, size_t rows, Stream &stream) override;
  Status zero(DevicePtr dst, size_t bytes, Stream &stream) override;

  /// Called while synchronize() waits on work that includes communication:
  /// a communicator whose peer died, or whose operation ran past its time
  /// limit, aborts its operations (so the queued work ends) and returns
  /// why (kUnavailable), which synchronize() then returns instead of
  /// waiting forever. Without watchers synchronize() blocks in
  /// cudaStreamSynchronize.
  using Watcher = std::function<Status()>;
  void addWatcher(const void *owner, Watcher watcher);
  void removeWatcher(const void *owner);

  /// The CUDA stream behind |stream| (one of this device's).
  static cudaStream_t raw(Stream &stream) {
    return static_cast<CudaStream &>(stream).get();
  }

private:
  CudaDevice(int index, std::string description, int computeCapability);

  int index_;
  std::string description_;
  int computeCapability_;
  std::unique_ptr<CudaStream> stream_;
  std::vector<std::pair<const void *, Watcher>> watchers_;
};

/// The number of GPUs the CUDA runtime sees (0 without a driver or GPU).
int visibleDeviceCount();

} // namespace strata::runtime::cuda

#endif // STRATA_RUNTIME_BACKENDS_CUDA_CUDA_DEVICE_H
