//===- checked.h - a value or the reason there is none ----------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The error type of the plain C++ that compiler and runtime share. Each side
// turns the message into its own error (the runtime a Status, the compiler a
// diagnostic at the op it was working on), so this library depends on
// nothing but the standard library.
//
// Usage:
//   Checked<int> half(int n) {
//     if (n % 2) return checkFailed(std::to_string(n) + " is odd");
//     return n / 2;
//   }
//   Checked<int> h = half(6);
//   if (!h.isOk()) report(h.error());
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMMON_CHECKED_H
#define STRATA_COMMON_CHECKED_H

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace strata {

template <typename T> class Checked {
public:
  Checked(T value) : value_(std::move(value)) {}
  static Checked failure(std::string message) {
    Checked result;
    result.error_ = std::move(message);
    return result;
  }

  bool isOk() const { return value_.has_value(); }
  /// The message; empty when isOk().
  const std::string &error() const { return error_; }
  const T &operator*() const {
    assert(isOk() && "value of a failed Checked");
    return *value_;
  }
  T &operator*() {
    assert(isOk() && "value of a failed Checked");
    return *value_;
  }
  const T *operator->() const { return &**this; }
  T *operator->() { return &**this; }

private:
  Checked() = default;
  std::optional<T> value_;
  std::string error_;
};

/// A failure that converts to any Checked<T>: `return checkFailed(why);`.
struct CheckFailure {
  std::string message;
  template <typename T> operator Checked<T>() const {
    return Checked<T>::failure(message);
  }
};
inline CheckFailure checkFailed(std::string message) {
  return {std::move(message)};
}

} // namespace strata

#endif // STRATA_COMMON_CHECKED_H
