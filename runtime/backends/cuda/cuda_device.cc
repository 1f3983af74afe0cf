//===- cuda_device.cc - one NVIDIA GPU as a Device ------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/cuda_device.h"

#include "runtime/backends/cuda/cuda_check.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

namespace strata::runtime::cuda {

namespace {

std::string gib(size_t bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f GiB", double(bytes) / (1ull << 30));
  return text;
}

} // namespace

int visibleDeviceCount() {
  // Without a driver the call fails and leaves the count unwritten.
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    (void)cudaGetLastError(); // clear the sticky error
    return 0;
  }
  return count;
}

CudaStream::~CudaStream() {
  if (owned_)
    cudaStreamDestroy(stream_);
}

CudaEvent::~CudaEvent() { cudaEventDestroy(event_); }

CudaDevice::CudaDevice(int index, std::string description,
                       int computeCapability)
    : index_(index), description_(std::move(description)),
      computeCapability_(computeCapability) {}

CudaDevice::~CudaDevice() = default;

StatusOr<std::unique_ptr<CudaDevice>> CudaDevice::open(int index) {
  const int count = visibleDeviceCount();
  if (index >= count)
    return Status::unavailable(
        "device cuda:" + std::to_string(index) + ": " +
        (count == 0 ? std::string("no CUDA GPU is visible (no NVIDIA driver, "
                                  "no GPU, or CUDA_VISIBLE_DEVICES hides them)")
                    : "this machine has " + std::to_string(count) +
                          " CUDA GPUs, cuda:0 to cuda:" +
                          std::to_string(count - 1)));
  STRATA_RETURN_IF_ERROR(
      check(cudaSetDevice(index), "cudaSetDevice(" + std::to_string(index) + ")"));
  cudaDeviceProp prop{};
  STRATA_RETURN_IF_ERROR(
      check(cudaGetDeviceProperties(&prop, index), "cudaGetDeviceProperties"));
  const int capability = prop.major * 10 + prop.minor;
  std::unique_ptr<CudaDevice> device(new CudaDevice(
      index,
      std::string(prop.name) + ", sm_" + std::to_string(capability) + ", " +
          gib(prop.totalGlobalMem),
      capability));
  cudaStream_t stream = nullptr;
  STRATA_RETURN_IF_ERROR(
      check(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking),
            "cudaStreamCreate"));
  device->stream_ = std::make_unique<CudaStream>(stream, /*owned=*/true);
  return device;
}

std::string CudaDevice::name() const {
  return "cuda:" + std::to_string(index_);
}

StatusOr<DeviceMemory> CudaDevice::allocate(size_t bytes, size_t alignment) {
  // cudaMalloc aligns to 256 bytes; more is never asked of a GPU arena.
  if (alignment > 256 || (alignment & (alignment - 1)) != 0)
    return Status::invalidArgument(name() + ": alignment " +
                                   std::to_string(alignment) +
                                   " (at most 256, a power of two)");
  if (bytes == 0)
    return DeviceMemory();
  size_t freeBytes = 0, totalBytes = 0;
  STRATA_RETURN_IF_ERROR(
      check(cudaMemGetInfo(&freeBytes, &totalBytes), "cudaMemGetInfo"));
  if (bytes > freeBytes)
    return Status::unavailable(
        name() + " (" + description_ + "): " + std::to_string(bytes) +
        " bytes (" + gib(bytes) + ") do not fit in the " +
        std::to_string(freeBytes) + " bytes (" + gib(freeBytes) +
        ") free of its " + gib(totalBytes));
  void *data = nullptr;
  STRATA_RETURN_IF_ERROR(check(cudaMalloc(&data, bytes),
                               name() + ": cudaMalloc of " +
                                   std::to_string(bytes) + " bytes"));
  // Zeroed, as Device::allocate promises.
  if (Status zeroed = check(cudaMemset(data, 0, bytes), "cudaMemset");
      !zeroed.isOk()) {
    cudaFree(data);
    return zeroed;
  }
  return DeviceMemory(data, bytes, [](void *p) { cudaFree(p); });
}

StatusOr<HostMemory> CudaDevice::allocateHost(size_t bytes) {
  void *data = nullptr;
  // cudaMallocHost aligns to at least a page.
  if (cudaError_t error = cudaMallocHost(&data, std::max<size_t>(bytes, 1));
      error != cudaSuccess) {
    (void)cudaGetLastError();
    return Status::unavailable(name() + ": cannot allocate " +
                               std::to_string(bytes) +
                               " bytes of pinned host memory: " +
                               cudaGetErrorString(error));
  }
  return HostMemory(data, bytes, [](void *p) { cudaFreeHost(p); });
}

StatusOr<std::unique_ptr<Stream>> CudaDevice::createStream() {
  cudaStream_t stream = nullptr;
  STRATA_RETURN_IF_ERROR(
      check(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking),
            "cudaStreamCreate"));
  return std::unique_ptr<Stream>(new CudaStream(stream, /*owned=*/true));
}

StatusOr<std::unique_ptr<Event>> CudaDevice::createEvent() {
  cudaEvent_t event = nullptr;
  STRATA_RETURN_IF_ERROR(
      check(cudaEventCreateWithFlags(&event, cudaEventDisableTiming),
            "cudaEventCreate"));
  return std::unique_ptr<Event>(new CudaEvent(event));
}

Status CudaDevice::record(Event &event, Stream &stream) {
  return check(cudaEventRecord(static_cast<CudaEvent &>(event).get(),
                               raw(stream)),
               "cudaEventRecord");
}

Status CudaDevice::wait(Stream &stream, Event &event) {
  return check(cudaStreamWaitEvent(raw(stream),
                                   static_cast<CudaEvent &>(event).get(), 0),
               "cudaStreamWaitEvent");
}

void CudaDevice::addWatcher(const void *owner, Watcher watcher) {
  watchers_.emplace_back(owner, std::move(watcher));
}

void CudaDevice::removeWatcher(const void *owner) {
  watchers_.erase(std::remove_if(watchers_.begin(), watchers_.end(),
                                 [&](const auto &w) { return w.first == owner; }),
                  watchers_.end());
}

Status CudaDevice::synchronize(Stream &stream) {
  // A kernel fault queued earlier surfaces here.
  const std::string failed = name() + ": the queued work failed";
  if (watchers_.empty())
    return check(cudaStreamSynchronize(raw(stream)), failed);
  // Poll, so that a collective waiting for a dead rank cannot hang us: spin
  // briefly (most waits are short), then sleep between polls.
  for (int polls = 0;; ++polls) {
    const cudaError_t state = cudaStreamQuery(raw(stream));
    if (state == cudaSuccess)
      return Status::ok();
    if (state != cudaErrorNotReady)
      return check(state, failed);
    for (const auto &watcher : watchers_)
      STRATA_RETURN_IF_ERROR(watcher.second());
    if (polls < 2000)
      std::this_thread::yield();
    else
      std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

Status CudaDevice::copyToDevice(DevicePtr dst, const void *src, size_t bytes,
                                Stream &stream) {
  if (bytes == 0)
    return Status::ok();
  STRATA_RETURN_IF_ERROR(check(cudaMemcpyAsync(dst.raw(), src, bytes,
                                               cudaMemcpyHostToDevice,
                                               raw(stream)),
                               "copy to " + name()));
  return synchronize(stream);
}

Status CudaDevice::copyToHost(void *dst, DevicePtr src, size_t bytes,
                              Stream &stream) {
  if (bytes == 0)
    return Status::ok();
  STRATA_RETURN_IF_ERROR(check(cudaMemcpyAsync(dst, src.raw(), bytes,
                                               cudaMemcpyDeviceToHost,
                                               raw(stream)),
                               "copy from " + name()));
  return synchronize(stream);
}

Status CudaDevice::copy(DevicePtr dst, DevicePtr src, size_t bytes,
                        Stream &stream) {
  if (bytes == 0 || dst == src)
    return Status::ok();
  // cudaMemcpy's ranges must not overlap; memmove semantics through a
  // 2D copy is not promised either, so overlapping copies go in chunks
  // that do not overlap their source.
  const uint8_t *s = static_cast<const uint8_t *>(src.raw());
  uint8_t *d = static_cast<uint8_t *>(dst.raw());
  const size_t distance = d > s ? size_t(d - s) : size_t(s - d);
  if (distance >= bytes)
    return check(cudaMemcpyAsync(d, s, bytes, cudaMemcpyDeviceToDevice,
                                 raw(stream)),
                 "copy within " + name());
  // Overlap: copy chunks of |distance| bytes, from the end when moving up.
  for (size_t done = 0; done < bytes; done += distance) {
    const size_t n = std::min(distance, bytes - done);
    const size_t at = d > s ? bytes - done - n : done;
    STRATA_RETURN_IF_ERROR(check(cudaMemcpyAsync(d + at, s + at, n,
                                                 cudaMemcpyDeviceToDevice,
                                                 raw(stream)),
                                 "copy within " + name()));
  }
  return Status::ok();
}

Status CudaDevice::copy2D(DevicePtr dst, size_t dstPitch, DevicePtr src,
                          size_t srcPitch, size_t rowBytes, size_t rows,
                          Stream &stream) {
  if (rows == 0 || rowBytes == 0)
    return Status::ok();
  return check(cudaMemcpy2DAsync(dst.raw(), dstPitch, src.raw(), srcPitch,
                                 rowBytes, rows, cudaMemcpyDeviceToDevice,
                                 raw(stream)),
               "2D copy within " + name());
}

Status CudaDevice::zero(DevicePtr dst, size_t bytes, Stream &stream) {
  if (bytes == 0)
    return Status::ok();
  return check(cudaMemsetAsync(dst.raw(), 0, bytes, raw(stream)),
               "zero on " + name());
}

} // namespace strata::runtime::cuda
