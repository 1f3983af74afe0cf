//===- cuda_check.h - CUDA runtime errors as Status -------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The CUDA backend uses the runtime API only (libcudart, loaded by soname),
// never the driver library, so that the same binary starts on machines
// without a GPU (TOOLCHAIN.md): there cudaGetDeviceCount reports an error
// and the backend is refused with a clear message.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_BACKENDS_CUDA_CUDA_CHECK_H
#define STRATA_RUNTIME_BACKENDS_CUDA_CUDA_CHECK_H

#include "runtime/support/status.h"

#include <cuda_runtime_api.h>

#include <string>

namespace strata::runtime::cuda {

/// OK for cudaSuccess; otherwise kInternal "|what|: <CUDA's name>: <its
/// message>".
inline Status check(cudaError_t error, const std::string &what) {
  if (error == cudaSuccess)
    return Status::ok();
  return Status::internal(what + ": " + cudaGetErrorName(error) + ": " +
                          cudaGetErrorString(error));
}

/// The error of the last kernel launch (a bad configuration), if any.
inline Status checkLaunch(const std::string &what) {
  return check(cudaGetLastError(), what + " (launch)");
}

} // namespace strata::runtime::cuda

#endif // STRATA_RUNTIME_BACKENDS_CUDA_CUDA_CHECK_H
