//===- RecomputePolicy.h - which layers recompute ---------------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// NeMo/Megatron-LM's activation recomputation settings, read back from the
// module's `tfm.config` (the frontend validated and recorded them there),
// and the choice of layers they imply. Plain data: no IR is rewritten here
// (see LayerRecompute.h).
//
//   activations_checkpoint_granularity  null | selective | full
//   activations_checkpoint_method       uniform | block   (full only)
//   activations_checkpoint_num_layers   n >= 1            (full only)
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_RECOMPUTE_RECOMPUTEPOLICY_H
#define STRATA_COMPILER_RECOMPUTE_RECOMPUTEPOLICY_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Support/LogicalResult.h"

#include <cstdint>
#include <vector>

namespace mlir::strata {

enum class RecomputeGranularity {
  /// Every activation the backward pass reads is stored.
  None,
  /// Megatron's "selective": the attention core. tfm.attention already
  /// keeps only its log-sum-exp and redraws its dropout mask, so there is
  /// nothing left to recompute.
  Selective,
  /// Whole layers: only a layer's (or a group's) input is stored.
  Full,
};

enum class RecomputeMethod {
  None,
  /// Groups of n consecutive layers; each group stores its input only.
  Uniform,
  /// The first n layers each store their input only; the others store
  /// everything.
  Block,
};

struct RecomputePolicy {
  RecomputeGranularity granularity = RecomputeGranularity::None;
  RecomputeMethod method = RecomputeMethod::None;
  /// activations_checkpoint_num_layers; 0 unless granularity is Full.
  int64_t numLayers = 0;

  /// Whether the policy rewrites any layer (only full recomputation does).
  bool recomputesLayers() const {
    return granularity == RecomputeGranularity::Full;
  }
};

/// Reads the activations_checkpoint_* entries of |config| (a module's
/// `tfm.config`; may be null: nothing is recomputed). Missing keys mean
/// null. Emits an error through |emitError| and fails on an unknown
/// spelling, or on granularity full without a method or with
/// num_layers < 1.
FailureOr<RecomputePolicy>
readRecomputePolicy(DictionaryAttr config,
                    llvm::function_ref<InFlightDiagnostic()> emitError);

/// The recompute groups of a stage of |layerCount| layers, as positions
/// 0..layerCount-1 in forward order; each group stores its first layer's
/// input and recomputes all of its layers in the backward pass. Layers in
/// no group are left as they are. Uniform: [0, n), [n, 2n), ..., the last
/// group possibly shorter. Block: {0}, {1}, ..., {n-1} (n clamped to
/// |layerCount|). Empty unless granularity is full.
std::vector<std::vector<int64_t>>
selectRecomputeGroups(const RecomputePolicy &policy, int64_t layerCount);

} // namespace mlir::strata

#endif // STRATA_COMPILER_RECOMPUTE_RECOMPUTEPOLICY_H
