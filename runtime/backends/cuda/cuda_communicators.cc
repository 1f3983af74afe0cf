//===- cuda_communicators.cc - how a GPU rank talks to the others ---------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/cuda/cuda_communicators.h"

#include "runtime/backends/cuda/cuda_check.h"
#include "runtime/backends/host_staged_communicator.h"
#include "runtime/backends/shared_devices.h"
#if STRATA_HAVE_NCCL
#include "runtime/backends/cuda/nccl_communicator.h"
#endif

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace strata::runtime::cuda {

namespace {

/// Why the ranks of |host| cannot use NCCL, or nothing. Collective: every
/// rank contributes its record even when it cannot name its GPU, so that
/// none waits for it.
StatusOr<std::optional<std::string>> whyHostStaged(Communicator &host,
                                                   CudaDevice &device) {
  char busId[kDeviceIdRecordBytes] = {};
  const Status named =
      check(cudaDeviceGetPCIBusId(busId, sizeof(busId), device.index()),
            device.name() + ": cudaDeviceGetPCIBusId");
  const DeviceIdRecord mine = toDeviceIdRecord(
      named.isOk() ? std::string(busId)
                   : "unknown GPU of rank " + std::to_string(host.rank()));
  std::vector<char> all(kDeviceIdRecordBytes * size_t(host.size()));
  static_assert(kDeviceIdRecordBytes % sizeof(int32_t) == 0);
  STRATA_RETURN_IF_ERROR(
      host.allGather(mine.data(), all.data(),
                     kDeviceIdRecordBytes / sizeof(int32_t), DType::I32)
          .withContext("exchanging the GPUs of the ranks"));
  STRATA_RETURN_IF_ERROR(named);
  if (std::optional<std::string> shared =
          findSharedDevice(fromDeviceIdRecords(all)))
    return shared;
  if (!haveNccl())
    return std::optional<std::string>(
        "this build has no NCCL (libnccl was not found when it was built)");
  return std::optional<std::string>();
}

/// One line, once per process, from world rank 0 only.
void noteHostStaging(const std::string &reason, int worldRank) {
  static bool noted = false;
  if (noted || worldRank != 0)
    return;
  noted = true;
  std::fprintf(stderr,
               "strata: GPU ranks communicate through pinned host memory and "
               "MPI, not NCCL: %s\n",
               reason.c_str());
}

} // namespace

bool haveNccl() { return STRATA_HAVE_NCCL != 0; }

StatusOr<std::unique_ptr<DeviceCommunicator>>
adaptCudaCommunicator(Communicator &host, CudaDevice &device,
                      const BackendOptions &options) {
  if (host.size() == 1)
    return std::unique_ptr<DeviceCommunicator>(
        new HostStagedCommunicator(device, host));
  STRATA_ASSIGN_OR_RETURN(std::optional<std::string> reason,
                          whyHostStaged(host, device));
  if (reason) {
    noteHostStaging(*reason, options.worldRank);
    return std::unique_ptr<DeviceCommunicator>(
        new HostStagedCommunicator(device, host));
  }
#if STRATA_HAVE_NCCL
  STRATA_ASSIGN_OR_RETURN(
      std::unique_ptr<NcclCommunicator> nccl,
      NcclCommunicator::create(host, device, options.commTimeoutSeconds));
  return std::unique_ptr<DeviceCommunicator>(std::move(nccl));
#else
  return Status::internal("unreachable: no NCCL, yet not host-staged");
#endif
}

} // namespace strata::runtime::cuda
