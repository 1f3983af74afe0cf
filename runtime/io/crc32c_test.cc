//===- crc32c_test.cc -----------------------------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/io/crc32c.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>

namespace strata::runtime::io {
namespace {

// RFC 3720 (iSCSI), appendix B.4: CRC-32C examples of 32-byte buffers.
TEST(Crc32cTest, Rfc3720TestVectors) {
  std::array<uint8_t, 32> bytes{};
  EXPECT_EQ(crc32c(bytes.data(), bytes.size()), 0x8A9136AAu); // all zero
  bytes.fill(0xFF);
  EXPECT_EQ(crc32c(bytes.data(), bytes.size()), 0x62A8AB43u); // all ones
  for (int i = 0; i < 32; ++i)
    bytes[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(crc32c(bytes.data(), bytes.size()), 0x46DD794Eu); // 0..31
  for (int i = 0; i < 32; ++i)
    bytes[i] = static_cast<uint8_t>(31 - i);
  EXPECT_EQ(crc32c(bytes.data(), bytes.size()), 0x113FDB5Cu); // 31..0
}

TEST(Crc32cTest, CheckValueAndEmptyInput) {
  const char *check = "123456789"; // the CRC catalogue's check value
  EXPECT_EQ(crc32c(check, std::strlen(check)), 0xE3069283u);
  EXPECT_EQ(crc32c(nullptr, 0), 0u);
}

TEST(Crc32cTest, MaskRotatesAndAddsTheConstant) {
  EXPECT_EQ(maskCrc32c(0), 0xa282ead8u);
  // rotate right 15: bit 15 -> bit 0.
  EXPECT_EQ(maskCrc32c(1u << 15), 1u + 0xa282ead8u);
  EXPECT_EQ(maskCrc32c(1u), (1u << 17) + 0xa282ead8u);
}

} // namespace
} // namespace strata::runtime::io
