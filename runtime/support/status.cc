//===- status.cc - errors the runtime reports to its caller ---------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/support/status.h"

namespace strata::runtime {

const char *toString(StatusCode code) {
  switch (code) {
  case StatusCode::kOk: return "ok";
  case StatusCode::kInvalidArgument: return "invalid argument";
  case StatusCode::kNotFound: return "not found";
  case StatusCode::kDataLoss: return "data loss";
  case StatusCode::kFailedPrecondition: return "failed precondition";
  case StatusCode::kUnavailable: return "unavailable";
  case StatusCode::kInternal: return "internal error";
  case StatusCode::kUnimplemented:
    return "unimplemented";
  }
  return "unknown";
}

std::string Status::toString() const {
  if (isOk())
    return "ok";
  return std::string(runtime::toString(code_)) + ": " + message_;
}

Status Status::withContext(const std::string &context) const {
  if (isOk())
    return *this;
  return Status(code_, context + ": " + message_);
}

} // namespace strata::runtime
