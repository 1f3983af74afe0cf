//===- cpu_device.h - host memory as a device -------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The CPU backend's device: host memory, aligned to at least a cache line
// (2 MiB for large arenas so the kernel can back them with huge pages) and
// touched once at allocation (first-touch of fresh memory costs about 4 s
// per GiB on these machines; the steps then run on resident memory).
// Everything runs inline on the calling thread: a stream is always
// synchronized, an event always complete.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CPU_CPU_DEVICE_H
#define STRATA_RUNTIME_BACKENDS_CPU_CPU_DEVICE_H

#include "runtime/backends/device.h"

namespace strata::runtime {

class CpuDevice final : public Device {
public:
  std::string name() const override { return "cpu"; }
  std::string kind() const override { return "cpu"; }
  StatusOr<DeviceMemory> allocate(size_t bytes, size_t alignment) override;
  /// Plain heap memory: the CPU copies all memory alike.
  StatusOr<HostMemory> allocateHost(size_t bytes) override;

  Stream &defaultStream() override { return stream_; }
  StatusOr<std::unique_ptr<Stream>> createStream() override;
  StatusOr<std::unique_ptr<Event>> createEvent() override;
  Status record(Event &, Stream &) override { return Status::ok(); }
  Status wait(Stream &, Event &) override { return Status::ok(); }
  Status synchronize(Stream &) override { return Status::ok(); }

  Status copyToDevice(DevicePtr dst, const void *src, size_t bytes,
                      Stream &stream) override;
  Status copyToHost(void *dst, DevicePtr src, size_t bytes,
                    Stream &stream) override;
  Status copy(DevicePtr dst, DevicePtr src, size_t bytes,
              Stream &stream) override;
  Status copy2D(DevicePtr dst, size_t dstPitch, DevicePtr src, size_t srcPitch,
                size_t rowBytes, size_t rows, Stream &stream) override;
  Status zero(DevicePtr dst, size_t bytes, Stream &stream) override;

  /// The host address of |ptr| (CPU backend code only).
  static uint8_t *host(DevicePtr ptr) {
    return static_cast<uint8_t *>(ptr.raw());
  }

private:
  Stream stream_;
};

} // namespace strata::runtime

#endif // STRATA_RUNTIME_BACKENDS_CPU_CPU_DEVICE_H
