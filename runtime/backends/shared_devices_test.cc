//===- shared_devices_test.cc - which ranks of a group share a device -----===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/shared_devices.h"

#include <gtest/gtest.h>

namespace strata::runtime {
namespace {

TEST(SharedDevicesTest, DistinctDevicesShareNothing) {
  EXPECT_EQ(findSharedDevice({}), std::nullopt);
  EXPECT_EQ(findSharedDevice({"0000:1b:00.0"}), std::nullopt);
  EXPECT_EQ(findSharedDevice({"0000:1b:00.0", "0000:1c:00.0", "0000:9a:00.0"}),
            std::nullopt);
}

TEST(SharedDevicesTest, NamesTheFirstPairThatShares) {
  EXPECT_EQ(findSharedDevice({"0000:1b:00.0", "0000:1b:00.0"}),
            "ranks 0 and 1 share GPU 0000:1b:00.0");
  // Ranks 1 and 3 share one GPU, 2 and 4 another: the lowest second rank
  // decides which pair is named.
  EXPECT_EQ(findSharedDevice({"a", "b", "c", "b", "c"}),
            "ranks 1 and 3 share GPU b");
}

TEST(SharedDevicesTest, RecordsRoundTripThroughAGather) {
  std::vector<char> gathered;
  for (const std::string &id : {"0000:1b:00.0", "", "0000:9a:00.0"}) {
    const DeviceIdRecord record = toDeviceIdRecord(id);
    gathered.insert(gathered.end(), record.begin(), record.end());
  }
  EXPECT_EQ(fromDeviceIdRecords(gathered),
            (std::vector<std::string>{"0000:1b:00.0", "", "0000:9a:00.0"}));
}

TEST(SharedDevicesTest, LongIdsAreCutAndTerminated) {
  const std::string longId(100, 'x');
  const DeviceIdRecord record = toDeviceIdRecord(longId);
  EXPECT_EQ(record.back(), '\0');
  std::vector<char> gathered(record.begin(), record.end());
  EXPECT_EQ(fromDeviceIdRecords(gathered),
            (std::vector<std::string>{std::string(kDeviceIdRecordBytes - 1,
                                                  'x')}));
}

} // namespace
} // namespace strata::runtime
