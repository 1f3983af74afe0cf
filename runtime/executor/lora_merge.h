//===- lora_merge.h - LoRA adapters merged into their projections -*- C++
//-*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// An inference artifact compiled with `strata-compile --merge-lora` has no
// LoRA ops: each targeted projection W receives W + (alpha / r) B A from the
// checkpoint's adapters as the checkpoint loads (docs/prompt-learning.md,
// "LoRA merged for inference"). The merge runs on the host, on the global
// (unsharded) tensors, before any tensor-parallel rank takes its block, so
// it is one plain function for every layout.
//
// Strata's layouts (docs/prompt-learning.md, "LoRA"): a projection's weight
// is [out..., in...] (y = x W contracts the trailing in dimensions),
// linear_out is [out..., r] and linear_in [r, in...]; seen as matrices
// [O, I], [O, r] and [r, I], the update is W += scale * B A. Q, K and V
// (and gate and up) are separate projections sharing one linear_in.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_RUNTIME_EXECUTOR_LORA_MERGE_H
#define STRATA_RUNTIME_EXECUTOR_LORA_MERGE_H

#include "runtime/executor/executor.h"
#include "runtime/io/host_tensor.h"
#include "runtime/support/status.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace strata::runtime {

/// target += scale * linear_out linear_in (Strata names).
struct LoraUpdate {
  std::string target;
  std::string linearIn;
  std::string linearOut;
};

/// An artifact's lora_merge (format 0.13).
struct LoraMergePlan {
  double scale = 1.0; // alpha / r
  int64_t rank = 0;   // r
  std::vector<LoraUpdate> updates;
};

/// The plan |artifact| records; none for an artifact compiled without
/// --merge-lora.
std::optional<LoraMergePlan> loraMergeOf(const LoadedArtifact &artifact);

/// Merges every update of |plan| into |tensors| (global layout, any
/// floating-point dtype; the sum is computed in f64 and rounded once to the
/// target's dtype) and removes the adapter tensors. An error, naming
/// |source|, lists every missing tensor and every shape that does not fit
/// the layouts above with rank plan.rank; |tensors| is then unchanged.
/// Adapters whose rank or names do not match are therefore refused, never
/// skipped.
Status mergeLora(io::TensorMap &tensors, const LoraMergePlan &plan,
                 const std::string &source);

} // namespace strata::runtime

#endif // STRATA_RUNTIME_EXECUTOR_LORA_MERGE_H
