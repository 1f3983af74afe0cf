//===- npy.h - read and write NumPy .npy files ------------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The .npy format (numpy/lib/format.py): "\x93NUMPY", a major and minor
// version byte, a little-endian header length (2 bytes in version 1.0, 4 in
// 2.0 and 3.0), and a Python dict literal
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded with spaces and a newline, followed by the raw elements.
//
// The reader accepts versions 1.0, 2.0 and 3.0 holding little-endian int32,
// int64, float16, float32 or float64 in C order. Fortran order, big-endian
// data, object and structured arrays, other dtypes, truncated or oversized
// data and malformed headers are Status errors naming the file and the value
// at fault. The writer produces version 1.0 (2.0 only when the header does
// not fit), byte for byte what numpy.save writes, atomically.
//
// Token batches for training are `T.npy` files of int32 or int64
// [batch, seq + 1]; readTokenBatch checks them and widens them to int64.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_IO_NPY_H
#define STRATA_RUNTIME_IO_NPY_H

#include "runtime/io/host_tensor.h"
#include "runtime/support/status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace strata::runtime::io {

/// Reads the array in |path|.
StatusOr<HostTensor> readNpy(const std::string &path);

/// Parses a whole .npy file held in memory; |fileName| names it in messages.
StatusOr<HostTensor> parseNpy(const uint8_t *data, size_t size,
                              const std::string &fileName);

/// The bytes numpy.save would write for |tensor|; BF16 has no NumPy dtype
/// and is an error.
StatusOr<std::vector<uint8_t>> encodeNpy(const HostTensor &tensor);

/// Writes |tensor| to |path| as .npy, atomically (see file_io.h).
Status writeNpy(const std::string &path, const HostTensor &tensor);

/// Reads a token batch: a rank-2 int32 or int64 array [batch, seq + 1] with
/// batch >= 1 and seq + 1 >= 2, every token in [0, |vocabSize|) (unchecked
/// when |vocabSize| is 0). Returns it as I64.
StatusOr<HostTensor> readTokenBatch(const std::string &path,
                                    int64_t vocabSize = 0);

} // namespace strata::runtime::io

#endif // STRATA_RUNTIME_IO_NPY_H
