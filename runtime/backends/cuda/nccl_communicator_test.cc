//===- nccl_communicator_test.cc - NCCL with one rank on one GPU ----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// ctest nccl-communicator-1-rank (label cuda): every collective, and
// send/recv to the rank itself, through an NcclCommunicator of one rank on
// GPU 0, checked by communicator_checks.h's exact values; then the same
// checks through what the CUDA backend gives a one-rank group (the staged
// path, collectives only: one process has no peer). Prints "device
// unavailable: ..." and exits 0 where no GPU is visible, which ctest
// reports as skipped.
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/communicator_checks.h"
#include "runtime/backends/cuda/cuda_communicators.h"
#include "runtime/backends/cuda/cuda_device.h"
#include "runtime/backends/cuda/nccl_communicator.h"
#include "runtime/executor/communicator.h"

#include <cstdio>
#include <string>

using namespace strata::runtime;

namespace {

int failures = 0;

void fail(const std::string &what) {
  ++failures;
  std::fprintf(stderr, "FAILED: %s\n", what.c_str());
}

} // namespace

int main() {
  if (cuda::visibleDeviceCount() == 0) {
    std::printf("device unavailable: no CUDA GPU is visible\n");
    return 0;
  }
  int version = 0;
  ncclGetVersion(&version);
  StatusOr<std::unique_ptr<cuda::CudaDevice>> device = cuda::CudaDevice::open(0);
  if (!device.isOk()) {
    fail(device.status().toString());
    return 1;
  }
  std::printf("%s, NCCL %d\n", (*device)->description().c_str(), version);
  SingleProcessCommunicator host;
  {
    StatusOr<std::unique_ptr<cuda::NcclCommunicator>> nccl =
        cuda::NcclCommunicator::create(host, **device, 60);
    if (!nccl.isOk()) {
      fail("NcclCommunicator::create: " + nccl.status().toString());
      return 1;
    }
    const CommunicatorCheckResult result = runCommunicatorChecks(
        **device, **nccl, {},
        [](const std::string &what) { fail("nccl: " + what); });
    if (result.outputs.empty())
      fail("nccl: no operation ran");
    if (Status polled = (*nccl)->poll(); !polled.isOk())
      fail("nccl: poll after the checks: " + polled.toString());
    // A recv from itself with no message waiting is an error, not a hang.
    StatusOr<DeviceMemory> buffer = (*device)->allocate(256, 256);
    if (buffer.isOk()) {
      Status orphan = (*nccl)->recv(buffer->base(), 16, 0, 99,
                                    (*device)->defaultStream());
      if (orphan.isOk() ||
          orphan.message().find("no sendAsync to this rank") ==
              std::string::npos)
        fail("nccl: recv without a message: " + orphan.toString());
    }
  }
  {
    StatusOr<std::unique_ptr<DeviceCommunicator>> adapted =
        cuda::adaptCudaCommunicator(host, **device, {});
    if (!adapted.isOk()) {
      fail("adaptCudaCommunicator: " + adapted.status().toString());
    } else {
      CommunicatorCheckOptions options;
      options.pointToPoint = false;
      runCommunicatorChecks(**device, **adapted, options,
                            [](const std::string &what) {
                              fail("one-rank group: " + what);
                            });
    }
  }
  std::printf("%s: %d failed checks\n", failures ? "FAILED" : "PASSED",
              failures);
  return failures ? 1 : 0;
}
