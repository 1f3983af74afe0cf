//===- cpu_test_backend.h - the CPU backend for unit tests ------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CPU_TEST_BACKEND_H
#define STRATA_RUNTIME_BACKENDS_CPU_TEST_BACKEND_H

#include "runtime/backends/registry.h"

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace strata::runtime {

/// The CPU backend (a test cannot go on without it).
inline std::unique_ptr<Backend> cpuTestBackend() {
  StatusOr<std::unique_ptr<Backend>> backend = createBackend("cpu");
  if (!backend.isOk()) {
    std::fprintf(stderr, "cpuTestBackend: %s\n",
                 backend.status().toString().c_str());
    std::abort();
  }
  return std::move(*backend);
}

} // namespace strata::runtime

#endif // STRATA_RUNTIME_BACKENDS_CPU_TEST_BACKEND_H
