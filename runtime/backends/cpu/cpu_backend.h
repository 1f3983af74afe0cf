//===- cpu_backend.h - the CPU kernel library as a backend ------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Runs kernel descriptors with runtime/kernels/cpu on the calling thread
// (OpenMP inside the kernels), in F32, F64, BF16 and F16 (16-bit storage,
// f32 accumulation; the optimizer kernels in F32 and F64 only). A table keyed by (kernel,
// element type) says what it runs; a pair missing from it is refused at
// load (Backend::supports), never run as something else.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CPU_CPU_BACKEND_H
#define STRATA_RUNTIME_BACKENDS_CPU_CPU_BACKEND_H

#include "runtime/backends/backend.h"
#include "runtime/backends/cpu/cpu_device.h"

#include <memory>

namespace strata::runtime {

struct BackendOptions;

/// |options.numThreads| kernel threads (0: OpenMP's default).
StatusOr<std::unique_ptr<Backend>>
createCpuBackend(const BackendOptions &options);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_BACKENDS_CPU_CPU_BACKEND_H
