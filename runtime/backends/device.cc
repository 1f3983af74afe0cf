//===- device.cc - device memory ownership --------------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/device.h"

namespace strata::runtime {

OwnedAllocation &
OwnedAllocation::operator=(OwnedAllocation &&other) noexcept {
  if (this != &other) {
    reset();
    data_ = other.data_;
    size_ = other.size_;
    deleter_ = std::move(other.deleter_);
    other.data_ = nullptr;
    other.size_ = 0;
    other.deleter_ = nullptr;
  }
  return *this;
}

void OwnedAllocation::reset() {
  if (data_ && deleter_)
    deleter_(data_);
  data_ = nullptr;
  size_ = 0;
}

} // namespace strata::runtime
