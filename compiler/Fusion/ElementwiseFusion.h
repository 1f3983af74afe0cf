//===- ElementwiseFusion.h - fuse chains after biases ----------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Rewrites the elementwise chains that follow a linear layer's bias into the
// fused tfm ops (TfmFusedOps.td), forward and backward alike:
//
//   bias_add -> gelu                    => bias_gelu
//   gelu_grad (of that bias_add) -> bias_grad
//                                       => bias_gelu_grad
//   bias_add -> [dropout ->] add        => bias_dropout_add
//   dropout -> bias_grad                => bias_dropout_add_grad
//
// Each rewrite is exact (the fused op computes what the chain did, with the
// same random stream) and happens only where it removes every intermediate
// value: a rewrite never keeps both the chain's intermediate and the fused
// result alive. The functions work on any block: a flattened function, a
// function with tfm.layer regions, or a single layer. Across layers, a
// pre-activation that a forward layer saves for its backward twin is
// replaced by the bias input (the same type and size), and the backward
// layer re-reads the bias parameter.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_FUSION_ELEMENTWISEFUSION_H
#define STRATA_COMPILER_FUSION_ELEMENTWISEFUSION_H

#include "dialects/tfm/IR/TfmOps.h"

namespace mlir::strata {

/// How many fused ops a call created.
struct ElementwiseFusionCounts {
  int64_t biasGelu = 0;
  int64_t biasGeluGrad = 0;
  int64_t biasDropoutAdd = 0;
  int64_t biasDropoutAddGrad = 0;

  int64_t total() const {
    return biasGelu + biasGeluGrad + biasDropoutAdd + biasDropoutAddGrad;
  }
};

/// Fuses `%u = bias_add %x, %b` with the tfm.gelu ops reading `%u` into
/// tfm.bias_gelu, and each tfm.gelu_grad of `%u` (with the tfm.bias_grad ops
/// of its result that have the bias's type) into tfm.bias_gelu_grad. Legal
/// only when every reader of `%u` is one of those, or a tfm.yield saving
/// `%u` for backward layers whose copies of it are read only by
/// tfm.gelu_grad (then `%b` must be a tfm.param_ref, which the backward
/// layer repeats). Returns false, changing nothing, when not legal.
bool fuseBiasGelu(tfm::BiasAddOp biasAdd, ElementwiseFusionCounts &counts);

/// Fuses `%u = bias_add %x, %b`, an optional `%d = dropout %u` and
/// `%y = add %r, %d` (either operand order) into
/// `%y = bias_dropout_add %x, %b, %r` with the dropout's rate and stream
/// (rate 0 without a dropout). Legal when `%u` and `%d` each have that one
/// reader. Returns false, changing nothing, when not legal.
bool fuseBiasDropoutAdd(tfm::BiasAddOp biasAdd,
                        ElementwiseFusionCounts &counts);

/// Fuses `%d = dropout %dy` and the tfm.bias_grad ops reading `%d` (those
/// with the first one's result type) into
/// `%dx, %db = bias_dropout_add_grad %dy`; other readers of `%d` read `%dx`.
/// Returns false, changing nothing, when no tfm.bias_grad reads `%d`.
bool fuseDropoutBiasGrad(tfm::DropoutOp dropout,
                         ElementwiseFusionCounts &counts);

/// Applies the three rewrites everywhere under |root| (every block of every
/// region, tfm.layer bodies included): the forward ones first, so that a
/// forward dropout joins its bias_dropout_add, then the backward dropouts.
ElementwiseFusionCounts fuseElementwise(Operation *root);

} // namespace mlir::strata

#endif // STRATA_COMPILER_FUSION_ELEMENTWISEFUSION_H
