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

StatusOr<GemmTuningReport> Backend::tuneGemm(const GemmDescriptor &, int) {
  return Status::unimplemented(
      "the " + name() +
      " backend has no GEMM algorithms to choose from, so nothing to tune "
      "(GEMM autotuning is for --device cuda)");
}

} // namespace strata::runtime
