//===- cuda_communicators_mpi_test.cc - two ranks on one GPU --------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// ctest cuda-communicators-2-ranks (labels cuda, mpi): mpirun -np 2 with
// both ranks on GPU 0, as tp 2 on one GPU runs. The CUDA backend must see
// the shared GPU and stage through host memory (NCCL would refuse the
// group), and every operation must give exactly what the MPI communicator
// gives on host memory for the same inputs. Rank 0 prints "device
// unavailable: ..." and every rank exits 0 where no GPU is visible, which
// ctest reports as skipped. Not GoogleTest, for the reason
// mpi_communicator_test.cc gives.
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/mpi_test_session.h"
#include "runtime/backends/communicator_checks.h"
#include "runtime/backends/cpu/cpu_device.h"
#include "runtime/backends/cuda/cuda_communicators.h"
#include "runtime/backends/cuda/cuda_device.h"
#include "runtime/backends/host_staged_communicator.h"
#include "runtime/executor/mpi_communicator.h"
#include "runtime/executor/mpi_session.h"

#include <cstdio>
#include <string>

using namespace strata::runtime;

namespace {

int rank = 0;
int failures = 0;

void fail(const std::string &what) {
  ++failures;
  std::fprintf(stderr, "[rank %d] %s\n", rank, what.c_str());
}

void runChecks(Communicator &world) {
  StatusOr<std::unique_ptr<cuda::CudaDevice>> device = cuda::CudaDevice::open(0);
  if (!device.isOk()) {
    fail(device.status().toString());
    return;
  }
  BackendOptions options;
  options.worldRank = rank;
  options.commTimeoutSeconds = 60;
  StatusOr<std::unique_ptr<DeviceCommunicator>> adapted =
      cuda::adaptCudaCommunicator(world, **device, options);
  if (!adapted.isOk()) {
    fail("adaptCudaCommunicator: " + adapted.status().toString());
    return;
  }
  if (!dynamic_cast<HostStagedCommunicator *>(adapted->get()))
    fail("two ranks on one GPU did not get the host-staged communicator");
  const CommunicatorCheckOptions checks;
  const CommunicatorCheckResult onGpu = runCommunicatorChecks(
      **device, **adapted, checks,
      [](const std::string &what) { fail("GPU: " + what); });
  CpuDevice cpu;
  HostMemoryCommunicator direct(world);
  const CommunicatorCheckResult onHost = runCommunicatorChecks(
      cpu, direct, checks,
      [](const std::string &what) { fail("host: " + what); });
  if (onGpu.outputs.size() != onHost.outputs.size() || onGpu.outputs.empty())
    fail("the GPU and host runs did not run the same operations");
  for (size_t i = 0; i < onGpu.outputs.size() && i < onHost.outputs.size();
       ++i)
    if (onGpu.outputs[i] != onHost.outputs[i])
      fail("output " + std::to_string(i) +
           " differs between the GPU (staged) and host memory");
}

} // namespace

int main() {
  std::unique_ptr<MpiSession> session = startMpiTest("StrataCudaCommunicatorsMpiTest");
  rank = session->worldRank();
  if (cuda::visibleDeviceCount() == 0) {
    // The same machine for every rank: all skip.
    if (rank == 0)
      std::printf("device unavailable: no CUDA GPU is visible\n");
    return 0;
  }
  auto world = MpiCommunicator::duplicate(MPI_COMM_WORLD, "world",
                                          session->commTimeoutSeconds());
  if (!world.isOk()) {
    std::fprintf(stderr, "%s\n", world.status().toString().c_str());
    session->abort(1);
  }
  runChecks(**world);
  double total = failures;
  Status summed =
      (*world)->allReduce(&total, 1, ElementType::F64, ReduceOp::Sum);
  if (!summed.isOk()) {
    std::fprintf(stderr, "[rank %d] %s\n", rank, summed.toString().c_str());
    session->abort(1);
  }
  if (rank == 0)
    std::printf("%s: %d failed checks over %d ranks\n",
                total == 0 ? "PASSED" : "FAILED", int(total),
                session->worldSize());
  return total == 0 ? 0 : 1;
}
