//===- null_backend.h - a backend that runs nothing -------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The skeleton to copy when adding a backend (IREE's drivers/null): it
// allocates host memory and copies like a device, supports no kernel, and
// so refuses every artifact at load with the "unsupported" error naming the
// first instruction, its kernel and element type. `strata-run --device
// null` exists so that a test can show that refusal.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_NULL_NULL_BACKEND_H
#define STRATA_RUNTIME_BACKENDS_NULL_NULL_BACKEND_H

#include "runtime/backends/backend.h"

#include <memory>

namespace strata::runtime {

struct BackendOptions;

StatusOr<std::unique_ptr<Backend>>
createNullBackend(const BackendOptions &options);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_BACKENDS_NULL_NULL_BACKEND_H
