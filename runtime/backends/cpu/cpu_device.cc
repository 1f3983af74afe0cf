//===- cpu_device.cc - host memory as a device ----------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cpu/cpu_device.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/mman.h>

namespace strata::runtime {

namespace {
constexpr size_t kHugePage = size_t(2) << 20;
} // namespace

StatusOr<DeviceMemory> CpuDevice::allocate(size_t bytes, size_t alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0)
    return Status::internal("alignment " + std::to_string(alignment) +
                            " is not a power of two");
  if (alignment < 64)
    alignment = 64;
  if (bytes >= kHugePage && alignment < kHugePage)
    alignment = kHugePage;
  // aligned_alloc wants a multiple of the alignment; an empty program still
  // gets a valid pointer.
  const size_t rounded = (bytes + alignment - 1) / alignment * alignment;
  if (rounded < bytes)
    return Status::unavailable("cannot allocate " + std::to_string(bytes) +
                               " bytes: the size overflows");
  void *data =
      std::aligned_alloc(alignment, rounded == 0 ? alignment : rounded);
  if (!data)
    return Status::unavailable("cannot allocate " + std::to_string(bytes) +
                               " bytes of host memory");
  if (rounded >= kHugePage)
    (void)madvise(data, rounded, MADV_HUGEPAGE); // advisory; ignore failure
  // Touch every page now, once: the steps then run on resident memory.
  std::memset(data, 0, rounded == 0 ? alignment : rounded);
  return DeviceMemory(data, bytes, std::free);
}

StatusOr<HostMemory> CpuDevice::allocateHost(size_t bytes) {
  const size_t rounded = (std::max<size_t>(bytes, 1) + 63) / 64 * 64;
  void *data = rounded < bytes ? nullptr : std::aligned_alloc(64, rounded);
  if (!data)
    return Status::unavailable("cannot allocate " + std::to_string(bytes) +
                               " bytes of host staging memory");
  return HostMemory(data, bytes, std::free);
}

StatusOr<std::unique_ptr<Stream>> CpuDevice::createStream() {
  return std::make_unique<Stream>();
}

StatusOr<std::unique_ptr<Event>> CpuDevice::createEvent() {
  return std::make_unique<Event>();
}

Status CpuDevice::copyToDevice(DevicePtr dst, const void *src, size_t bytes,
                               Stream &) {
  if (bytes)
    std::memcpy(host(dst), src, bytes);
  return Status::ok();
}

Status CpuDevice::copyToHost(void *dst, DevicePtr src, size_t bytes, Stream &) {
  if (bytes)
    std::memcpy(dst, host(src), bytes);
  return Status::ok();
}

Status CpuDevice::copy(DevicePtr dst, DevicePtr src, size_t bytes, Stream &) {
  if (bytes && dst != src)
    std::memmove(host(dst), host(src), bytes);
  return Status::ok();
}

Status CpuDevice::copy2D(DevicePtr dst, size_t dstPitch, DevicePtr src,
                         size_t srcPitch, size_t rowBytes, size_t rows,
                         Stream &) {
  for (size_t r = 0; r < rows; ++r)
    std::memcpy(host(dst) + r * dstPitch, host(src) + r * srcPitch, rowBytes);
  return Status::ok();
}

Status CpuDevice::zero(DevicePtr dst, size_t bytes, Stream &) {
  if (bytes)
    std::memset(host(dst), 0, bytes);
  return Status::ok();
}

} // namespace strata::runtime
