//===- crc32c.h - CRC-32C (Castagnoli) ---------------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The checksum of TFRecord framing (TensorBoard event files): CRC-32C,
// reflected polynomial 0x82F63B78 (RFC 3720, appendix B.4), and the
// "masked" form TFRecord stores so that a CRC of data holding CRCs stays
// well distributed.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_IO_CRC32C_H
#define STRATA_RUNTIME_IO_CRC32C_H

#include <cstddef>
#include <cstdint>

namespace strata::runtime::io {

/// CRC-32C of |size| bytes at |data|.
uint32_t crc32c(const void *data, size_t size);

/// TFRecord's mask: rotate right by 15 bits and add 0xa282ead8.
uint32_t maskCrc32c(uint32_t crc);

} // namespace strata::runtime::io

#endif // STRATA_RUNTIME_IO_CRC32C_H
