//===- status.h - errors the runtime reports to its caller -----*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The runtime reports bad input (a corrupt artifact, a checkpoint with a
// missing tensor, a wrong launch size) as a Status with a message that names
// the file and the values at fault; it never aborts on bad input. Programmer
// errors (a kernel called with inconsistent sizes by the executor) are
// assertions instead.
//
// Usage:
//   Status loadCheckpoint(const std::string &path) {
//     STRATA_RETURN_IF_ERROR(checkReadable(path));
//     if (size < 8)
//       return Status::invalidArgument(path + ": file of " +
//                                      std::to_string(size) +
//                                      " bytes is too short for a header");
//     return Status::ok();
//   }
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_SUPPORT_STATUS_H
#define STRATA_RUNTIME_SUPPORT_STATUS_H

#include <optional>
#include <string>
#include <utility>

namespace strata::runtime {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // the input is malformed or inconsistent
  kNotFound,           // a file or a named entry does not exist
  kDataLoss,           // a file is truncated or corrupt
  kFailedPrecondition, // the state does not allow the call (wrong version...)
  kUnavailable,        // a peer rank or device went away
  kInternal,           // a bug in Strata
  kUnimplemented,      // the backend cannot run this (kernel, element type)
};

const char *toString(StatusCode code);

class [[nodiscard]] Status {
public:
  Status() = default;
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status ok() { return Status(); }
  static Status invalidArgument(std::string message) {
    return {StatusCode::kInvalidArgument, std::move(message)};
  }
  static Status notFound(std::string message) {
    return {StatusCode::kNotFound, std::move(message)};
  }
  static Status dataLoss(std::string message) {
    return {StatusCode::kDataLoss, std::move(message)};
  }
  static Status failedPrecondition(std::string message) {
    return {StatusCode::kFailedPrecondition, std::move(message)};
  }
  static Status unavailable(std::string message) {
    return {StatusCode::kUnavailable, std::move(message)};
  }
  static Status unimplemented(std::string message) {
    return {StatusCode::kUnimplemented, std::move(message)};
  }
  static Status internal(std::string message) {
    return {StatusCode::kInternal, std::move(message)};
  }

  bool isOk() const { return code_ == StatusCode::kOk; }
  explicit operator bool() const { return isOk(); }
  StatusCode code() const { return code_; }
  const std::string &message() const { return message_; }
  /// "invalid argument: <message>"; "ok" for success.
  std::string toString() const;

  /// Prepends context: "while loading x.strata: <message>".
  Status withContext(const std::string &context) const;

private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

/// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] StatusOr {
public:
  StatusOr(T value) : value_(std::move(value)) {}
  StatusOr(Status status) : status_(std::move(status)) {}

  bool isOk() const { return status_.isOk(); }
  const Status &status() const { return status_; }
  T &value() & { return *value_; }
  const T &value() const & { return *value_; }
  T &&value() && { return std::move(*value_); }
  T *operator->() { return &*value_; }
  const T *operator->() const { return &*value_; }
  T &operator*() & { return *value_; }

private:
  Status status_;
  std::optional<T> value_;
};

} // namespace strata::runtime

#define STRATA_RETURN_IF_ERROR(expr)                                           \
  do {                                                                         \
    ::strata::runtime::Status strata_status_ = (expr);                         \
    if (!strata_status_.isOk())                                                \
      return strata_status_;                                                   \
  } while (false)

#define STRATA_CONCAT_INNER(a, b) a##b
#define STRATA_CONCAT(a, b) STRATA_CONCAT_INNER(a, b)
/// STRATA_ASSIGN_OR_RETURN(auto file, openFile(path));
#define STRATA_ASSIGN_OR_RETURN(decl, expr)                                    \
  auto STRATA_CONCAT(strata_or_, __LINE__) = (expr);                           \
  if (!STRATA_CONCAT(strata_or_, __LINE__).isOk())                             \
    return STRATA_CONCAT(strata_or_, __LINE__).status();                       \
  decl = std::move(STRATA_CONCAT(strata_or_, __LINE__)).value()

#endif // STRATA_RUNTIME_SUPPORT_STATUS_H
