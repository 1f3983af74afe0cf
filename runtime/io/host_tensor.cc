//===- host_tensor.cc - dense tensors in host memory ----------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/io/host_tensor.h"

#include "runtime/support/half_float.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <new>
#include <stdexcept>

namespace strata::runtime::io {

std::string shapeToString(const std::vector<int64_t> &shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

StatusOr<int64_t> checkedNumElements(const std::vector<int64_t> &shape) {
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (dim < 0)
      return Status::invalidArgument("shape " + shapeToString(shape) +
                                     " has a negative dimension " +
                                     std::to_string(dim));
    if (__builtin_mul_overflow(count, dim, &count))
      return Status::invalidArgument("shape " + shapeToString(shape) +
                                     " has more elements than fit in int64");
  }
  return count;
}

//===----------------------------------------------------------------------===//
// HostTensor
//===----------------------------------------------------------------------===//

HostTensor::HostTensor() : shape_{0} {}

HostTensor::HostTensor(DType dtype, std::vector<int64_t> shape)
    : dtype_(dtype), shape_(std::move(shape)) {
  StatusOr<int64_t> count = checkedNumElements(shape_);
  assert(count.isOk() && "invalid shape; use HostTensor::allocate");
  numElements_ = count.isOk() ? count.value() : 0;
  bytes_.resize(static_cast<size_t>(numElements_) * dtypeSize(dtype_));
}

StatusOr<HostTensor> HostTensor::allocate(DType dtype,
                                          std::vector<int64_t> shape) {
  STRATA_ASSIGN_OR_RETURN(int64_t count, checkedNumElements(shape));
  int64_t bytes = 0;
  if (__builtin_mul_overflow(count, static_cast<int64_t>(dtypeSize(dtype)),
                             &bytes) ||
      static_cast<uint64_t>(bytes) > std::numeric_limits<size_t>::max())
    return Status::invalidArgument("shape " + shapeToString(shape) + " of " +
                                   toString(dtype) +
                                   " elements needs more bytes than fit in "
                                   "int64");
  HostTensor tensor;
  tensor.dtype_ = dtype;
  tensor.shape_ = std::move(shape);
  tensor.numElements_ = count;
  try {
    tensor.bytes_.resize(static_cast<size_t>(bytes));
  } catch (const std::bad_alloc &) {
    return Status::unavailable("cannot allocate " + std::to_string(bytes) +
                               " bytes for a tensor of shape " +
                               shapeToString(tensor.shape_));
  } catch (const std::length_error &) {
    return Status::unavailable("cannot allocate " + std::to_string(bytes) +
                               " bytes for a tensor of shape " +
                               shapeToString(tensor.shape_));
  }
  return tensor;
}

bool HostTensor::bitwiseEquals(const HostTensor &other) const {
  return dtype_ == other.dtype_ && shape_ == other.shape_ &&
         bytes_ == other.bytes_;
}

Status HostTensor::reshape(std::vector<int64_t> shape) {
  StatusOr<int64_t> count = checkedNumElements(shape);
  if (!count.isOk())
    return count.status();
  if (count.value() != numElements_)
    return Status::invalidArgument(
        "cannot reshape " + shapeToString(shape_) + " (" +
        std::to_string(numElements_) + " elements) to " +
        shapeToString(shape) + " (" + std::to_string(count.value()) +
        " elements)");
  shape_ = std::move(shape);
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// Element conversions
//===----------------------------------------------------------------------===//

float bf16ToFloat(uint16_t bits) { return float(bf16::fromBits(bits)); }

float f16ToFloat(uint16_t bits) { return float(f16::fromBits(bits)); }

uint16_t doubleToBf16(double value) { return bf16(value).bits; }

uint16_t doubleToF16(double value) { return f16(value).bits; }

namespace {

double readFloat(const uint8_t *p, DType dtype) {
  switch (dtype) {
  case DType::F32: {
    float v;
    std::memcpy(&v, p, 4);
    return v;
  }
  case DType::F64: {
    double v;
    std::memcpy(&v, p, 8);
    return v;
  }
  case DType::BF16: {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return bf16ToFloat(v);
  }
  case DType::F16: {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return f16ToFloat(v);
  }
  default:
    return 0.0;
  }
}

void writeFloat(uint8_t *p, DType dtype, double value) {
  switch (dtype) {
  case DType::F32: {
    float v = static_cast<float>(value);
    std::memcpy(p, &v, 4);
    return;
  }
  case DType::F64:
    std::memcpy(p, &value, 8);
    return;
  case DType::BF16: {
    uint16_t v = doubleToBf16(value);
    std::memcpy(p, &v, 2);
    return;
  }
  case DType::F16: {
    uint16_t v = doubleToF16(value);
    std::memcpy(p, &v, 2);
    return;
  }
  default:
    return;
  }
}

} // namespace

double HostTensor::elementAsDouble(int64_t index) const {
  assert(index >= 0 && index < numElements_);
  const uint8_t *p = bytes_.data() + index * dtypeSize(dtype_);
  if (dtype_ == DType::I32) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  if (dtype_ == DType::I64) {
    int64_t v;
    std::memcpy(&v, p, 8);
    return static_cast<double>(v);
  }
  if (dtype_ == DType::I8)
    return static_cast<int8_t>(*p);
  return readFloat(p, dtype_);
}

StatusOr<HostTensor> convertTensor(const HostTensor &tensor, DType to) {
  const DType from = tensor.dtype();
  if (from == to)
    return tensor;
  // I8 holds quantized weights, whose meaning needs their scales.
  if (isFloatingPoint(from) != isFloatingPoint(to) || from == DType::I8 ||
      to == DType::I8)
    return Status::invalidArgument(std::string("cannot convert ") +
                                   toString(from) + " elements to " +
                                   toString(to));
  STRATA_ASSIGN_OR_RETURN(HostTensor out,
                          HostTensor::allocate(to, tensor.shape()));
  const int64_t n = tensor.numElements();
  const size_t inSize = dtypeSize(from), outSize = dtypeSize(to);
  const uint8_t *in = tensor.bytes();
  uint8_t *result = out.bytes();
  if (isFloatingPoint(from)) {
    if (from == DType::BF16 && to == DType::F32) { // the common load path
      const uint16_t *src = tensor.data<uint16_t>();
      float *dst = out.data<float>();
      for (int64_t i = 0; i < n; ++i)
        dst[i] = bf16ToFloat(src[i]);
      return out;
    }
    for (int64_t i = 0; i < n; ++i)
      writeFloat(result + i * outSize, to, readFloat(in + i * inSize, from));
    return out;
  }
  if (from == DType::I32) { // to I64: widening
    const int32_t *src = tensor.data<int32_t>();
    int64_t *dst = out.data<int64_t>();
    for (int64_t i = 0; i < n; ++i)
      dst[i] = src[i];
    return out;
  }
  const int64_t *src = tensor.data<int64_t>(); // I64 to I32: narrowing
  int32_t *dst = out.data<int32_t>();
  for (int64_t i = 0; i < n; ++i) {
    if (src[i] < std::numeric_limits<int32_t>::min() ||
        src[i] > std::numeric_limits<int32_t>::max())
      return Status::invalidArgument(
          "cannot convert I64 to I32: element " + std::to_string(i) +
          " is " + std::to_string(src[i]) + ", outside the I32 range");
    dst[i] = static_cast<int32_t>(src[i]);
  }
  return out;
}

} // namespace strata::runtime::io
