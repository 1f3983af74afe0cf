//===- collectives.h - collectives and pipeline transfers -------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The collective instructions of a partitioned artifact (kernel_signatures.cc)
// on the arena, through the rank's device communicator of the instruction's
// mesh axis, with the device's copies: the same code for every backend.
// Gathers and scatters along a dimension other than the first go through
// scratch in rank-major order, which is what the communicator moves.
//
// Send and Recv move a buffer between pipeline stages: Send copies it out
// and returns (sendAsync, so the next call may reuse the arena and
// neighbouring stages may send to each other at once); Recv waits (bounded)
// for it. Whoever drives the stage calls completeSends before the step ends
// (Executor::completeSends).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_COLLECTIVES_H
#define STRATA_RUNTIME_EXECUTOR_COLLECTIVES_H

#include "runtime/backends/device.h"
#include "runtime/backends/device_communicator.h"
#include "runtime/backends/kernel_descriptor.h"
#include "runtime/support/status.h"

#include <vector>

namespace strata::runtime {

bool isCollective(Kernel kernel);

/// Where a collective instruction runs: the device and stream that order
/// it, the arena and the workspace (device memory, the workspace at least
/// the descriptor's scratchBytes), and the rank's device communicator of
/// each mesh axis.
struct CollectiveContext {
  Device &device;
  Stream &stream;
  DevicePtr arena;
  DevicePtr scratch;
  const std::vector<DeviceCommunicator *> &communicators;
};

/// Runs collective |descriptor|. Errors from the communicator (a peer that
/// died, a timeout) name the instruction.
Status runCollective(const KernelDescriptor &descriptor,
                     const CollectiveContext &context);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_COLLECTIVES_H
