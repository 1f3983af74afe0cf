//===- backend.cc - what every backend shares -----------------------------===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#include "runtime/backends/backend.h"

#include "runtime/artifact/kernel_signatures.h"

namespace strata::runtime {

Status unsupportedKernel(const KernelDescriptor &descriptor,
                         const Backend &backend) {
  const KernelSignature *signature = lookupKernelSignature(descriptor.kernel);
  return Status::unimplemented(
      descriptor.where + ": the " + backend.name() + " backend has no " +
      (signature ? std::string(signature->name) : "unknown") + " kernel for " +
      toString(descriptor.dtype));
}

} // namespace strata::runtime
