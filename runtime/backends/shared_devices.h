//===- shared_devices.h - which ranks of a group share a device -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A GPU backend asks, per communicator group, whether two of its ranks run
// on the same GPU: NCCL refuses such a group ("Duplicate GPU detected"), so
// the backend then stages through host memory (host_staged_communicator.h).
// Each rank contributes an identifier of its device that is the same in
// every process (a PCI bus id, not a per-process index); the ranks exchange
// them as fixed-size records over the host communicator. Plain C++.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_SHARED_DEVICES_H
#define STRATA_RUNTIME_BACKENDS_SHARED_DEVICES_H

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace strata::runtime {

/// The bytes one rank contributes: its device identifier, zero-padded (a
/// PCI bus id "0000:1b:00.0" is 12 characters; longer ones are cut).
inline constexpr size_t kDeviceIdRecordBytes = 64;
using DeviceIdRecord = std::array<char, kDeviceIdRecordBytes>;

DeviceIdRecord toDeviceIdRecord(const std::string &id);
/// The records of |gathered| (rank r's at r * kDeviceIdRecordBytes) as
/// strings.
std::vector<std::string> fromDeviceIdRecords(const std::vector<char> &gathered);

/// Why ranks of a group cannot each own their device, or nothing when every
/// id of |deviceIds| (rank r's at r) is distinct: "ranks 0 and 1 share GPU
/// 0000:1b:00.0" (the first pair found, lowest ranks first).
std::optional<std::string>
findSharedDevice(const std::vector<std::string> &deviceIds);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_BACKENDS_SHARED_DEVICES_H
