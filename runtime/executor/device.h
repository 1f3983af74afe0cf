//===- device.h - where the arena lives -------------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A device hands out the one arena a compiled program runs in (the memory
// plan fixes every buffer's offset in it) and the kernel scratch space. The
// executor allocates both once, at load, and reuses them for every step: on
// these machines first-touch of fresh memory costs about 4 s per GiB, so the
// CPU device touches the pages at allocation and never again.
//
// Implementations: CpuDevice (here); a CUDA device joins with the GPU
// kernels.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_DEVICE_H
#define STRATA_RUNTIME_EXECUTOR_DEVICE_H

#include "runtime/support/status.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace strata::runtime {

/// One allocation of device memory; frees itself.
class DeviceMemory {
public:
  using Deleter = void (*)(void *);
  DeviceMemory() = default;
  DeviceMemory(void *data, size_t size, Deleter deleter)
      : data_(data, deleter), size_(size) {}

  uint8_t *data() const { return static_cast<uint8_t *>(data_.get()); }
  size_t size() const { return size_; }

private:
  std::unique_ptr<void, Deleter> data_{nullptr, [](void *) {}};
  size_t size_ = 0;
};

class Device {
public:
  virtual ~Device() = default;

  /// "cpu", "cuda:0", ...
  virtual std::string name() const = 0;

  /// |bytes| of zeroed memory aligned to |alignment| (a power of two);
  /// kUnavailable naming the size when the device has not that much.
  virtual StatusOr<DeviceMemory> allocate(size_t bytes, size_t alignment) = 0;

  /// Whether the host may read and write the memory directly.
  virtual bool hostAccessible() const = 0;
};

/// Host memory, aligned to at least a cache line (2 MiB for large arenas so
/// the kernel can back them with huge pages).
class CpuDevice final : public Device {
public:
  std::string name() const override { return "cpu"; }
  StatusOr<DeviceMemory> allocate(size_t bytes, size_t alignment) override;
  bool hostAccessible() const override { return true; }
};

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_DEVICE_H
