//===- shared_devices.cc - which ranks of a group share a device ----------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/shared_devices.h"

#include <algorithm>
#include <cstring>
#include <map>

namespace strata::runtime {

DeviceIdRecord toDeviceIdRecord(const std::string &id) {
  DeviceIdRecord record{};
  // The last byte stays 0: every record is a terminated string.
  std::memcpy(record.data(), id.data(),
              std::min(id.size(), kDeviceIdRecordBytes - 1));
  return record;
}

std::vector<std::string>
fromDeviceIdRecords(const std::vector<char> &gathered) {
  std::vector<std::string> ids;
  for (size_t at = 0; at + kDeviceIdRecordBytes <= gathered.size();
       at += kDeviceIdRecordBytes) {
    const char *record = gathered.data() + at;
    ids.emplace_back(record, strnlen(record, kDeviceIdRecordBytes));
  }
  return ids;
}

std::optional<std::string>
findSharedDevice(const std::vector<std::string> &deviceIds) {
  std::map<std::string, size_t> firstRank;
  for (size_t r = 0; r < deviceIds.size(); ++r) {
    auto [it, inserted] = firstRank.emplace(deviceIds[r], r);
    if (!inserted)
      return "ranks " + std::to_string(it->second) + " and " +
             std::to_string(r) + " share GPU " + deviceIds[r];
  }
  return std::nullopt;
}

} // namespace strata::runtime
