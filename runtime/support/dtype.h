//===- dtype.h - element types of the runtime ------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The one list of element types the runtime knows: what a buffer of the
// artifact holds (artifact::DType maps onto it one to one), what a host
// tensor or a checkpoint tensor holds (io), what a kernel descriptor runs in
// and what a communicator moves.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_SUPPORT_DTYPE_H
#define STRATA_RUNTIME_SUPPORT_DTYPE_H

#include <cstddef>

namespace strata::runtime {

enum class DType { F32, F64, BF16, F16, I32, I64, I8 };

/// Bytes per element of |dtype| (1, 2, 4 or 8).
size_t dtypeSize(DType dtype);

/// The safetensors spelling of |dtype|: "F32", "F64", "BF16", "F16", "I32",
/// "I64", "I8". Also used in messages.
const char *toString(DType dtype);

/// True for F32, F64, BF16 and F16.
bool isFloatingPoint(DType dtype);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_SUPPORT_DTYPE_H
