//===- host_staged_communicator_test.cc - staging on the CPU under mpirun -===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Run by ctest under mpirun with 2 and 4 ranks (ctest -L mpi), on the CPU
// device, whose memory the host also addresses: the staged communicator
// must give exactly (bit for bit) what HostMemoryCommunicator gives on the
// same inputs over the same MPI communicator, and its staging buffer must
// stop growing once the sizes repeat. Not GoogleTest, for the reason
// mpi_communicator_test.cc gives: every rank runs every check and the
// failures are summed at the end.
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/mpi_test_session.h"
#include "runtime/backends/communicator_checks.h"
#include "runtime/backends/cpu/cpu_device.h"
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

void expect(bool ok, const std::string &what) {
  if (!ok)
    fail(what);
}

void testSameAsHostMemory(CpuDevice &device, Communicator &world) {
  HostStagedCommunicator staged(device, world);
  HostMemoryCommunicator direct(world);
  const CommunicatorCheckOptions options;
  const CommunicatorCheckResult fromStaged = runCommunicatorChecks(
      device, staged, options,
      [](const std::string &what) { fail("staged: " + what); });
  const CommunicatorCheckResult fromDirect = runCommunicatorChecks(
      device, direct, options,
      [](const std::string &what) { fail("host memory: " + what); });
  expect(fromStaged.outputs.size() == fromDirect.outputs.size() &&
             !fromStaged.outputs.empty(),
         "both ran the same operations (" +
             std::to_string(fromStaged.outputs.size()) + " vs " +
             std::to_string(fromDirect.outputs.size()) + " outputs)");
  for (size_t i = 0;
       i < fromStaged.outputs.size() && i < fromDirect.outputs.size(); ++i)
    expect(fromStaged.outputs[i] == fromDirect.outputs[i],
           "output " + std::to_string(i) +
               " differs between the staged and the host-memory "
               "communicator");
}

void testStagingIsReused(CpuDevice &device, Communicator &world) {
  HostStagedCommunicator staged(device, world);
  Stream &stream = device.defaultStream();
  auto big = device.allocate(4096 * sizeof(float), 64);
  expect(big.isOk(), "allocate");
  if (!big.isOk())
    return;
  expect(staged.stagingBytes() == 0, "no staging before the first operation");
  Status status =
      staged.allReduce(big->base(), 4096, DType::F32, ReduceOp::Sum, stream);
  expect(status.isOk(), "all_reduce: " + status.toString());
  const size_t grown = staged.stagingBytes();
  expect(grown == 4096 * sizeof(float),
         "the staging holds one all_reduce of 4096 f32, has " +
             std::to_string(grown) + " bytes");
  for (size_t count : {size_t(100), size_t(4096), size_t(7)}) {
    status = staged.allReduce(big->base(), count, DType::F32, ReduceOp::Max,
                              stream);
    expect(status.isOk(), "all_reduce: " + status.toString());
  }
  expect(staged.stagingBytes() == grown,
         "the staging is reused for operations that fit, now " +
             std::to_string(staged.stagingBytes()) + " bytes");
  // A gather of 4096 per rank needs room for this rank's part and all.
  auto gathered = device.allocate(4096 * sizeof(float) * world.size(), 64);
  expect(gathered.isOk(), "allocate");
  if (!gathered.isOk())
    return;
  status = staged.allGather(big->base(), gathered->base(), 4096, DType::F32,
                            stream);
  expect(status.isOk(), "all_gather: " + status.toString());
  expect(staged.stagingBytes() ==
             4096 * sizeof(float) * size_t(world.size() + 1),
         "the staging grew to the gather's send and receive regions, has " +
             std::to_string(staged.stagingBytes()) + " bytes");
}

} // namespace

int main() {
  std::unique_ptr<MpiSession> session = startMpiTest("StrataHostStagedCommunicatorTest");
  rank = session->worldRank();
  auto world = MpiCommunicator::duplicate(MPI_COMM_WORLD, "world",
                                          session->commTimeoutSeconds());
  if (!world.isOk()) {
    std::fprintf(stderr, "%s\n", world.status().toString().c_str());
    session->abort(1);
  }
  CpuDevice device;
  testSameAsHostMemory(device, **world);
  testStagingIsReused(device, **world);

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
