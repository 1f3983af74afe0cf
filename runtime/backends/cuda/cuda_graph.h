//===- cuda_graph.h - launches recorded as a CUDA graph ---------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Backend::record for the CUDA backend: stream capture of what a function
// launches (kernels, cuBLASLt matmuls, async copies and memsets on the
// stream) into a graph, instantiated once and launched per replay. The
// capture is thread-local, so other threads' CUDA calls cannot invalidate
// it; anything that synchronizes inside it fails the capture, which the
// executor then reports once and runs eagerly.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CUDA_CUDA_GRAPH_H
#define STRATA_RUNTIME_BACKENDS_CUDA_CUDA_GRAPH_H

#include "runtime/backends/backend.h"

#include <cuda_runtime_api.h>

#include <functional>
#include <memory>

namespace strata::runtime::cuda {

StatusOr<std::unique_ptr<RecordedWork>>
recordGraph(cudaStream_t stream, const std::function<Status()> &queue);

} // namespace strata::runtime::cuda

#endif // STRATA_RUNTIME_BACKENDS_CUDA_CUDA_GRAPH_H
