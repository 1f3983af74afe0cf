//===- kernel_signatures.h - what each artifact instruction takes -*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The contract between the compiler, which emits instructions, and the
// runtime, which executes them: for each Kernel, how many operand and
// result buffers it takes and which integer and floating-point attributes
// follow, in order. The loader rejects an instruction that does not match
// before anything runs.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_ARTIFACT_KERNEL_SIGNATURES_H
#define STRATA_RUNTIME_ARTIFACT_KERNEL_SIGNATURES_H

#include "runtime/artifact/artifact_generated.h"

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

namespace strata::runtime {

struct KernelSignature {
  artifact::Kernel kernel;
  std::string_view name;
  /// Accepted operand counts are [minOperands, maxOperands]; likewise results.
  uint32_t minOperands, maxOperands;
  uint32_t minResults, maxResults;
  /// Names of the integer and float attributes, in order.
  std::vector<std::string_view> ints;
  std::vector<std::string_view> floats;
  /// The last integer attribute (the last name in |ints|) is a list of
  /// parameter indices of any length, after the fixed ones; the loader
  /// checks each index.
  bool intsEndInParameterList = false;
  /// How many of the last names in |ints| an instruction may leave out
  /// (attributes added in a later format version, with a default).
  uint32_t optionalInts = 0;
};

/// The signature of |kernel|, or null for a value outside the enum (a file
/// from a newer compiler, or a corrupt one).
const KernelSignature *lookupKernelSignature(artifact::Kernel kernel);

/// Every signature, in enum order.
const std::vector<KernelSignature> &allKernelSignatures();

} // namespace strata::runtime

#endif // STRATA_RUNTIME_ARTIFACT_KERNEL_SIGNATURES_H
