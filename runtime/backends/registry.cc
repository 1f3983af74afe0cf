//===- registry.cc - the backends this build has --------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/registry.h"

#include "runtime/backends/cpu/cpu_backend.h"
#include "runtime/backends/null/null_backend.h"
#if STRATA_HAVE_CUDA
#include "runtime/backends/cuda/cuda_backend.h"
#endif

#include <charconv>

namespace strata::runtime {

const std::vector<BackendEntry> &registeredBackends() {
  static const std::vector<BackendEntry> entries = {
      {"cpu", "host memory and the CPU kernel library (F32, F64, BF16, F16)",
       createCpuBackend},
      {"null", "a skeleton that runs nothing (to copy for a new backend)",
       createNullBackend},
#if STRATA_HAVE_CUDA
      {"cuda", "an NVIDIA GPU through the CUDA runtime (F32, BF16, F16)",
       createCudaBackend},
#endif
  };
  return entries;
}

std::string registeredBackendNames() {
  std::string names;
  for (const BackendEntry &entry : registeredBackends())
    names += (names.empty() ? "" : ", ") + std::string(entry.name);
  return names;
}

StatusOr<std::unique_ptr<Backend>> createBackend(std::string_view device,
                                                 BackendOptions options) {
  std::string_view name = device;
  if (const size_t colon = device.find(':'); colon != std::string_view::npos) {
    name = device.substr(0, colon);
    const std::string_view index = device.substr(colon + 1);
    int value = -1;
    const auto [end, error] =
        std::from_chars(index.data(), index.data() + index.size(), value);
    if (error != std::errc() || end != index.data() + index.size() || value < 0)
      return Status::invalidArgument("device '" + std::string(device) + "': '" +
                                     std::string(index) +
                                     "' is not a device index");
    options.deviceIndex = value;
  }
  for (const BackendEntry &entry : registeredBackends())
    if (entry.name == name)
      return entry.create(options);
  return Status::invalidArgument(
      "no backend '" + std::string(name) +
      "' in this build; it has: " + registeredBackendNames());
}

} // namespace strata::runtime
