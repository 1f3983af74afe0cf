//===- cuda_communicators.h - how a GPU rank talks to the others -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The CUDA backend's adaptCommunicator. Per host communicator (one mesh
// axis group) the ranks exchange their GPUs' PCI bus ids over it; when
// every rank has a GPU of its own (and the build has NCCL) the group gets an
// NcclCommunicator, otherwise a HostStagedCommunicator through pinned host
// memory, and world rank 0 says once on stderr why. A group of one rank
// moves nothing between processes and takes the staged path without a
// word (no NCCL communicator to set up).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CUDA_CUDA_COMMUNICATORS_H
#define STRATA_RUNTIME_BACKENDS_CUDA_CUDA_COMMUNICATORS_H

#include "runtime/backends/cuda/cuda_device.h"
#include "runtime/backends/device_communicator.h"
#include "runtime/backends/registry.h"

#include <memory>

namespace strata::runtime::cuda {

/// Whether this build talks to other GPUs through NCCL.
bool haveNccl();

StatusOr<std::unique_ptr<DeviceCommunicator>>
adaptCudaCommunicator(Communicator &host, CudaDevice &device,
                      const BackendOptions &options);

} // namespace strata::runtime::cuda

#endif // STRATA_RUNTIME_BACKENDS_CUDA_CUDA_COMMUNICATORS_H
