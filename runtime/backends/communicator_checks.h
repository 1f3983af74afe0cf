//===- communicator_checks.h - what every device communicator must do -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Test support, not runtime code: one sequence of operations that every
// DeviceCommunicator implementation runs on its own device's memory (the
// host-staged one on the CPU under mpirun, NCCL on one GPU, the CUDA
// backend's choice with two ranks on one GPU). Each rank runs every check in
// the same order (a rank that skipped a collective would leave the others
// waiting), reports its own failures through |fail|, and returns every
// output buffer it received, so that two implementations can be compared
// bit for bit on the same inputs.
//
// The expected values are exact in every type and reduction order (small
// integers and quarters), except the "noisy" all-reduces, whose results are
// only compared between implementations.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_COMMUNICATOR_CHECKS_H
#define STRATA_RUNTIME_BACKENDS_COMMUNICATOR_CHECKS_H

#include "runtime/backends/device.h"
#include "runtime/backends/device_communicator.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace strata::runtime {

struct CommunicatorCheckOptions {
  /// Send/recv checks: to the next rank and from the previous one (to and
  /// from itself with one rank).
  bool pointToPoint = true;
  /// The element types the collectives run in (the MPI communicator and
  /// NCCL take all of f32, f64, bf16 and f16).
  std::vector<DType> types = {DType::F32, DType::BF16, DType::F16, DType::F64};
};

struct CommunicatorCheckResult {
  int failures = 0;
  /// Each operation's output buffer as the device left it, in order.
  std::vector<std::vector<uint8_t>> outputs;
};

/// Runs the checks through |comm| on |device|'s memory, queued on
/// |device|'s default stream. |fail| receives one line per failed check.
CommunicatorCheckResult
runCommunicatorChecks(Device &device, DeviceCommunicator &comm,
                      const CommunicatorCheckOptions &options,
                      const std::function<void(const std::string &)> &fail);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_BACKENDS_COMMUNICATOR_CHECKS_H
