//===- host_tensor.h - dense tensors in host memory -------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// A HostTensor is what the I/O library hands to and takes from the rest of
// the runtime: an element type, a shape and an owned, row-major (C order)
// byte buffer. It is deliberately small: no strides, no views, no device
// memory. Checkpoint readers fill one per tensor; the executor copies it into
// its arena.
//
// Usage:
//   HostTensor t(DType::F32, {2, 3});      // zero-filled
//   t.data<float>()[4] = 1.5f;
//   STRATA_ASSIGN_OR_RETURN(HostTensor b, convertTensor(t, DType::BF16));
//
// bf16 and f16 elements are accessed as raw uint16_t bits; the conversion
// helpers below round to nearest even, as torch and numpy do. They are thin
// wrappers over the storage types of runtime/support/half_float.h, the one
// definition of the conversions.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_IO_HOST_TENSOR_H
#define STRATA_RUNTIME_IO_HOST_TENSOR_H

#include "runtime/support/dtype.h"
#include "runtime/support/status.h"

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

namespace strata::runtime::io {

/// Element types the I/O library reads and writes: the runtime's.
using runtime::DType;
using runtime::dtypeSize;
using runtime::isFloatingPoint;
using runtime::toString;

/// Renders a shape as "[768, 2304]" ("[]" for a scalar), for messages.
std::string shapeToString(const std::vector<int64_t> &shape);

/// The number of elements of |shape|, or an error naming the shape when a
/// dimension is negative or the product overflows int64.
StatusOr<int64_t> checkedNumElements(const std::vector<int64_t> &shape);

/// A dense, row-major tensor owning its bytes. Copyable and movable.
class HostTensor {
public:
  /// An empty F32 tensor of shape [0].
  HostTensor();

  /// A zero-filled tensor; |shape| must be valid (non-negative dimensions
  /// whose product fits in memory). Use allocate() for untrusted shapes.
  HostTensor(DType dtype, std::vector<int64_t> shape);

  /// A zero-filled tensor, or an error when |shape| has a negative dimension,
  /// its byte size overflows, or the memory cannot be allocated.
  static StatusOr<HostTensor> allocate(DType dtype,
                                       std::vector<int64_t> shape);

  /// A tensor of |dtype| and |shape| holding a copy of |values|, which must
  /// have exactly numElements() entries of the C++ type matching |dtype|.
  template <typename T>
  static HostTensor fromVector(DType dtype, std::vector<int64_t> shape,
                               const std::vector<T> &values) {
    HostTensor t(dtype, std::move(shape));
    assert(sizeof(T) == dtypeSize(dtype) &&
           static_cast<int64_t>(values.size()) == t.numElements());
    if (!values.empty())
      std::memcpy(t.bytes(), values.data(), t.byteSize());
    return t;
  }

  /// The element type.
  DType dtype() const { return dtype_; }
  /// The dimensions, outermost first.
  const std::vector<int64_t> &shape() const { return shape_; }
  /// The number of dimensions.
  size_t rank() const { return shape_.size(); }
  /// The product of the dimensions (1 for a scalar).
  int64_t numElements() const { return numElements_; }
  /// numElements() * dtypeSize(dtype()).
  size_t byteSize() const { return bytes_.size(); }

  /// The raw bytes, row-major, little-endian.
  uint8_t *bytes() { return bytes_.data(); }
  const uint8_t *bytes() const { return bytes_.data(); }

  /// Typed element access: float for F32, double for F64, int32_t for I32,
  /// int64_t for I64, int8_t for I8, uint16_t (raw bits) for BF16 and F16. Asserts that
  /// T matches the element type.
  template <typename T> T *data() {
    assert(matches<T>());
    return reinterpret_cast<T *>(bytes_.data());
  }
  template <typename T> const T *data() const {
    assert(matches<T>());
    return reinterpret_cast<const T *>(bytes_.data());
  }

  /// Element |index| (flat, row-major) converted to double, whatever the
  /// element type; for tests and messages.
  double elementAsDouble(int64_t index) const;

  /// Same dtype, same shape and the same bytes.
  bool bitwiseEquals(const HostTensor &other) const;

  /// Reinterprets the same bytes under a new shape with the same number of
  /// elements; returns an error naming both shapes otherwise.
  Status reshape(std::vector<int64_t> shape);

private:
  template <typename T> bool matches() const {
    switch (dtype_) {
    case DType::F32:
      return std::is_same_v<T, float>;
    case DType::F64:
      return std::is_same_v<T, double>;
    case DType::BF16:
    case DType::F16:
      return std::is_same_v<T, uint16_t>;
    case DType::I32:
      return std::is_same_v<T, int32_t>;
    case DType::I64:
      return std::is_same_v<T, int64_t>;
    case DType::I8:
      return std::is_same_v<T, int8_t>;
    }
    return false;
  }

  DType dtype_ = DType::F32;
  std::vector<int64_t> shape_;
  int64_t numElements_ = 0;
  std::vector<uint8_t> bytes_;
};

/// Tensors by name, in name order (what the readers return and the writers
/// take).
using TensorMap = std::map<std::string, HostTensor>;

//===----------------------------------------------------------------------===//
// Element conversions
//===----------------------------------------------------------------------===//

/// The float value of bf16 bits (exact).
float bf16ToFloat(uint16_t bits);
/// The float value of IEEE binary16 bits (exact).
float f16ToFloat(uint16_t bits);
/// |value| rounded to nearest even bf16; NaN stays NaN (quiet), overflow
/// becomes infinity.
uint16_t doubleToBf16(double value);
/// |value| rounded to nearest even binary16, subnormals included; NaN stays
/// NaN (quiet), overflow becomes infinity.
uint16_t doubleToF16(double value);

/// A copy of |tensor| with elements converted to |to|. Any floating-point type
/// converts to any other (rounding to nearest even, each value rounded once);
/// I32 and I64 convert to each other when every value fits. Float to integer
/// and integer to float are errors naming both types.
StatusOr<HostTensor> convertTensor(const HostTensor &tensor, DType to);

} // namespace strata::runtime::io

#endif // STRATA_RUNTIME_IO_HOST_TENSOR_H
