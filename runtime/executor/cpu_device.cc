//===- cpu_device.cc - host memory for the arena --------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/device.h"

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
  void *data = std::aligned_alloc(alignment, rounded == 0 ? alignment : rounded);
  if (!data)
    return Status::unavailable("cannot allocate " + std::to_string(bytes) +
                               " bytes of host memory for the arena");
  if (rounded >= kHugePage)
    (void)madvise(data, rounded, MADV_HUGEPAGE); // advisory; ignore failure
  // Touch every page now, once: the steps then run on resident memory.
  std::memset(data, 0, rounded == 0 ? alignment : rounded);
  return DeviceMemory(data, bytes, std::free);
}

} // namespace strata::runtime
