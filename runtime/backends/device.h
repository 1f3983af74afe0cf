//===- device.h - memory, streams and copies of one device ------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A Device is where a rank's arena lives and where its kernels run (the
// HAL device of IREE, the backend buffer type of ggml). It allocates device
// memory, orders work on in-order streams, records and waits on events, and
// copies between host and device and within the device.
//
// Device memory is addressed by DevicePtr, never by a plain pointer: only
// the backend that owns the memory (its kernels, copies and communicators)
// turns one into something it dereferences. Code outside runtime/backends
// moves data in and out of the arena through copies (Executor::write, read,
// and the kernels), so the same executor runs on a GPU, whose memory the
// host cannot touch.
//
// Copies between host and device are ordered on a stream and complete
// before they return (the host buffer may be reused, or read, at once);
// work on a stream is otherwise asynchronous until synchronize(). The CPU
// device runs everything inline: its streams are already synchronized.
//
// Usage:
//   STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Device> device,
//                           createDevice("cpu"));
//   STRATA_ASSIGN_OR_RETURN(DeviceMemory arena, device->allocate(bytes, 256));
//   Stream &stream = device->defaultStream();
//   STRATA_RETURN_IF_ERROR(device->copyToDevice(arena.at(offset), host,
//                                               n, stream));
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_DEVICE_H
#define STRATA_RUNTIME_BACKENDS_DEVICE_H

#include "runtime/support/status.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace strata::runtime {

/// An address in one device's memory. Arithmetic only; a backend converts
/// it to what its kernels take (a host pointer on the CPU, a CUDA device
/// pointer on a GPU).
class DevicePtr {
public:
  DevicePtr() = default;
  explicit DevicePtr(void *address)
      : address_(static_cast<uint8_t *>(address)) {}

  DevicePtr operator+(size_t bytes) const {
    return DevicePtr(address_ + bytes);
  }
  bool operator==(const DevicePtr &other) const {
    return address_ == other.address_;
  }
  bool operator!=(const DevicePtr &other) const { return !(*this == other); }
  explicit operator bool() const { return address_ != nullptr; }

  /// The raw address, for the backend that owns the memory.
  void *raw() const { return address_; }

private:
  uint8_t *address_ = nullptr;
};

/// An allocation that frees itself with its deleter (move-only): what
/// DeviceMemory and HostMemory own.
class OwnedAllocation {
public:
  using Deleter = std::function<void(void *)>;
  OwnedAllocation() = default;
  OwnedAllocation(void *data, size_t size, Deleter deleter)
      : data_(data), size_(size), deleter_(std::move(deleter)) {}
  OwnedAllocation(OwnedAllocation &&other) noexcept {
    *this = std::move(other);
  }
  OwnedAllocation &operator=(OwnedAllocation &&other) noexcept;
  OwnedAllocation(const OwnedAllocation &) = delete;
  OwnedAllocation &operator=(const OwnedAllocation &) = delete;
  ~OwnedAllocation() { reset(); }

  void *data() const { return data_; }
  size_t size() const { return size_; }

private:
  void reset();

  void *data_ = nullptr;
  size_t size_ = 0;
  Deleter deleter_;
};

/// One allocation of device memory; frees itself.
class DeviceMemory {
public:
  using Deleter = OwnedAllocation::Deleter;
  DeviceMemory() = default;
  DeviceMemory(void *data, size_t size, Deleter deleter)
      : memory_(data, size, std::move(deleter)) {}

  DevicePtr base() const { return DevicePtr(memory_.data()); }
  /// The address |offset| bytes into the allocation.
  DevicePtr at(uint64_t offset) const { return base() + offset; }
  size_t size() const { return memory_.size(); }

private:
  OwnedAllocation memory_;
};

/// One allocation of host memory the device copies to and from at full
/// speed (page-locked on a GPU, so its copies need no bounce buffer; plain
/// memory on the CPU); frees itself. For staging buffers.
class HostMemory {
public:
  using Deleter = OwnedAllocation::Deleter;
  HostMemory() = default;
  HostMemory(void *data, size_t size, Deleter deleter)
      : memory_(data, size, std::move(deleter)) {}

  uint8_t *data() const { return static_cast<uint8_t *>(memory_.data()); }
  size_t size() const { return memory_.size(); }

private:
  OwnedAllocation memory_;
};

/// An in-order queue of device work (a CUDA stream). Backends derive their
/// own; the base class only identifies the device it belongs to.
class Stream {
public:
  virtual ~Stream() = default;
};

/// A point in a stream's work that other streams (or the host) can wait on.
class Event {
public:
  virtual ~Event() = default;
};

class Device {
public:
  virtual ~Device() = default;

  /// The device as messages name it: "cpu", "cuda:0", "null".
  virtual std::string name() const = 0;
  /// The kind of device, as artifacts name their target: "cpu", "cuda",
  /// "null".
  virtual std::string kind() const = 0;

  /// |bytes| of zeroed device memory aligned to |alignment| (a power of
  /// two); kUnavailable naming the size (and what the device has free, when
  /// it knows) when the device has not that much.
  virtual StatusOr<DeviceMemory> allocate(size_t bytes, size_t alignment) = 0;
  /// |bytes| (at least 1) of host memory for staging copies, aligned to 64
  /// bytes: pinned (page-locked) where the device copies faster from such
  /// memory; kUnavailable naming the size when there is not that much.
  virtual StatusOr<HostMemory> allocateHost(size_t bytes) = 0;

  /// The stream kernels and copies use unless told otherwise.
  virtual Stream &defaultStream() = 0;
  virtual StatusOr<std::unique_ptr<Stream>> createStream() = 0;
  virtual StatusOr<std::unique_ptr<Event>> createEvent() = 0;
  /// |event| completes when the work queued on |stream| so far has.
  virtual Status record(Event &event, Stream &stream) = 0;
  /// Work queued on |stream| after this waits for |event|.
  virtual Status wait(Stream &stream, Event &event) = 0;
  /// Returns when the work queued on |stream| has completed; an error of
  /// any of it (a kernel fault) is reported here.
  virtual Status synchronize(Stream &stream) = 0;

  /// Host to device; complete when it returns.
  virtual Status copyToDevice(DevicePtr dst, const void *src, size_t bytes,
                              Stream &stream) = 0;
  /// Device to host; complete (|dst| readable) when it returns.
  virtual Status copyToHost(void *dst, DevicePtr src, size_t bytes,
                            Stream &stream) = 0;
  /// Within the device; |dst| and |src| may overlap (memmove).
  virtual Status copy(DevicePtr dst, DevicePtr src, size_t bytes,
                      Stream &stream) = 0;
  /// |rows| rows of |rowBytes| bytes from |src| (rows |srcPitch| bytes
  /// apart) to |dst| (rows |dstPitch| apart): gathers and scatters along a
  /// dimension other than the first. The ranges must not overlap.
  virtual Status copy2D(DevicePtr dst, size_t dstPitch, DevicePtr src,
                        size_t srcPitch, size_t rowBytes, size_t rows,
                        Stream &stream) = 0;
  /// Sets |bytes| bytes at |dst| to zero.
  virtual Status zero(DevicePtr dst, size_t bytes, Stream &stream) = 0;
};

} // namespace strata::runtime

#endif // STRATA_RUNTIME_BACKENDS_DEVICE_H
