//===- LayerRecompute.h - full activation recomputation ---------*- C++ -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Full activation recomputation on the tfm.layer regions of a training
// function (strata-tfm-derive-training's forward_backward). A recompute
// group is a run of consecutive forward layers L0..Lk with backward twins
// Bk..B0 (Bk runs first). The rewrite
//
//   * passes Bk the group's stored inputs (the operands of L0..Lk that no
//     layer of the group defines: L0's hidden state, the positions) instead
//     of the values the forward layers saved for the backward pass;
//   * makes Bk first re-run clones of L0..Lk's bodies, then its own
//     backward ops on the recomputed values; the values that Bk-1..B0 read
//     from the forward layers become extra results of Bk;
//   * drops the forward layers' results nobody reads any more (their saved
//     values), and the forward ops that only computed those.
//
// The clones keep every attribute, dropout `stream` numbers included, so
// the recomputed values are bit for bit the forward pass's (a mask is a
// function of the seed, the call and the stream). Each cloned op that does
// work carries the unit attribute `tfm.recomputed` (kRecomputedAttr).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_RECOMPUTE_LAYERRECOMPUTE_H
#define STRATA_COMPILER_RECOMPUTE_LAYERRECOMPUTE_H

#include "compiler/Recompute/RecomputePolicy.h"
#include "dialects/tfm/IR/TfmOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::strata {

/// Marks an op that re-runs a forward op inside a backward layer. Besides
/// documenting the IR, the mark keeps `cse` apart from the recomputed op:
/// once layers are flattened, a recomputed op whose operands are stored
/// inputs is identical to its forward original, and merging the two would
/// keep the forward value alive until the backward pass, undoing the
/// saving. (CSE compares attribute dictionaries.) Parameter reads and
/// constants are not marked: merging them costs nothing.
inline constexpr llvm::StringLiteral kRecomputedAttr = "tfm.recomputed";

/// A forward layer and its backward twin (the same index).
struct LayerPair {
  tfm::LayerOp forward;
  tfm::LayerOp backward;
};

/// The forward layers of |function| that have a backward twin, in forward
/// program order, each with its twin. Emits a diagnostic and fails when
/// two forward (or two backward) layers share an index.
FailureOr<SmallVector<LayerPair>> pairLayers(func::FuncOp function);

/// Rewrites one recompute group (consecutive layers, in forward order) as
/// the file comment says, replacing the backward twin of the group's last
/// layer (group.back().backward is updated). The forward layers keep their
/// saved results; dropSavedResults removes them once every group is done.
/// Fails with a diagnostic when the backward twins are not in one block
/// with the last layer's first, or a stored input does not dominate it.
LogicalResult recomputeGroup(MutableArrayRef<LayerPair> group);

/// Drops the results of |layer| (a forward layer) that have no uses, with
/// the ops that only computed them. Returns the (possibly new) layer.
tfm::LayerOp dropUnusedResults(tfm::LayerOp layer);

/// Applies |policy| to |function|: pairs its layers, selects the groups
/// (selectRecomputeGroups over the paired layers) and rewrites them.
/// Returns the number of layers whose activations are now recomputed: 0 for
/// a function without backward layers, for a policy that is not full, and
/// for a function that has been rewritten before (it has tfm.recomputed
/// ops). Fails when activations_checkpoint_num_layers exceeds the layers.
FailureOr<int64_t> recomputeActivations(func::FuncOp function,
                                        const RecomputePolicy &policy);

} // namespace mlir::strata

#endif // STRATA_COMPILER_RECOMPUTE_LAYERRECOMPUTE_H
