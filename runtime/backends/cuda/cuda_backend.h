//===- cuda_backend.h - NVIDIA GPUs as a backend ----------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Runs kernel descriptors as CUDA kernels (kernels/*.cu) queued on the
// executor's stream, in F32, BF16 and F16 (no F64: programs for the GPU
// compute in f32 or 16-bit types). Like the CPU backend, a table keyed by
// (kernel, element type) says what it runs, and a pair missing from it is
// refused at load. The table grows kernel family by kernel family; the
// conformance suite (STRATA_CONFORMANCE_DEVICE=cuda) holds each entry to
// the CPU's f64 results.
//
// Without a GPU (or a driver) createCudaBackend() fails with a message
// saying so: the same binary runs everything else on the CPU.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CUDA_CUDA_BACKEND_H
#define STRATA_RUNTIME_BACKENDS_CUDA_CUDA_BACKEND_H

#include "runtime/backends/backend.h"

#include <memory>

namespace strata::runtime {

struct BackendOptions;

/// GPU |options.deviceIndex|, or the rank's local index modulo the GPUs
/// when it is -1.
StatusOr<std::unique_ptr<Backend>>
createCudaBackend(const BackendOptions &options);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_BACKENDS_CUDA_CUDA_BACKEND_H
