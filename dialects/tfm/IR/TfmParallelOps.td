//===- TfmParallelOps.td - ops of partitioned programs -----*- tablegen -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The per-rank forms the partitioner (strata-partition) gives computations
// whose split version is not the global op on local shapes: the
// vocabulary-parallel cross-entropy of Megatron-LM, the gradient-norm
// partial sums, and the data-parallel gradient reduction (all-reduced, or
// reduce-scattered and the parameters all-gathered under the distributed
// optimizer). Never written by the frontend.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_DIALECTS_TFM_IR_TFMPARALLELOPS_TD
#define STRATA_DIALECTS_TFM_IR_TFMPARALLELOPS_TD

def Tfm_VocabParallelStatsOp : Tfm_Op<"vocab_parallel_stats", [Pure]> {
  let summary = "Per-rank softmax statistics of vocabulary-split logits";
  let description = [{
    The first step of the vocabulary-parallel cross-entropy. `logits` is this
    rank's block of the vocabulary (block `c` of the mesh axis `shard_axis`,
    vocabulary ids `[c * V, (c + 1) * V)` for a local vocabulary `V`). For
    every position `i...`, `stats[i..., 0]` is the block's maximum logit
    `m`, `stats[i..., 1]` the block's `sum_v exp(logits[i..., v] - m)` and
    `stats[i..., 2]` the logit of `labels[i...]` if the label falls in the
    block, else 0. An all-gather of the statistics along the last dimension
    (3 numbers per rank and position) is all the communication the loss
    needs; the full logits never exist on any rank. With `valid_vocab`
    (the `tfm.cross_entropy`'s, a global id) the columns of global ids
    `>= valid_vocab` are left out of `m` and the sum; a block that is all
    padding has `m = -inf` and sum 0.

    **Created by:** the partitioner, for a `tfm.cross_entropy` whose logits
    are split along the vocabulary.

    ```mlir
    %s = tfm.vocab_parallel_stats %logits, %labels shard "tp" : tensor<2x8x64xf32>, tensor<2x8xi32> -> tensor<2x8x3xf32>
    ```

    **Constraints:** `valid_vocab` is positive.
  }];
  let arguments = (ins Tfm_FloatTensor:$logits, Tfm_IndexTensor:$labels,
                       StrAttr:$shard_axis, OptionalAttr<I64Attr>:$valid_vocab);
  let results = (outs Tfm_FloatTensor:$stats);
  let assemblyFormat = [{
    $logits `,` $labels `shard` $shard_axis (`valid_vocab` $valid_vocab^)?
    attr-dict `:` type($logits) `,` type($labels) `->` type($stats)
  }];
  let hasVerifier = 1;
}

def Tfm_VocabParallelLossOp : Tfm_Op<"vocab_parallel_loss", [Pure]> {
  let summary = "Cross-entropy from the gathered per-rank statistics";
  let description = [{
    `gathered[i..., 3 * r + k]` holds statistic `k` of rank `r` (the
    all-gather of `tfm.vocab_parallel_stats`). With `M = max_r m_r`,
    `lse[i...] = M + log(sum_r s_r * exp(m_r - M))` and the per-position
    loss is `lse - sum_r target_r`, reduced like `tfm.cross_entropy`
    (`mean`, `sum` or `none`); `labels` say which positions are ignored
    (label -1: loss 0, not counted by `mean`). `lse` feeds the backward
    (`tfm.vocab_parallel_cross_entropy_grad`).

    **Created by:** the partitioner, after the statistics' all-gather.

    ```mlir
    %loss, %lse = tfm.vocab_parallel_loss mean %g, %labels : tensor<2x8x6xf32>, tensor<2x8xi32> -> tensor<f32>, tensor<2x8xf32>
    ```
  }];
  let arguments = (ins Tfm_Reduction:$reduction, Tfm_FloatTensor:$gathered,
                       Tfm_IndexTensor:$labels);
  let results = (outs Tfm_LossTensor:$loss, Tfm_LossTensor:$lse);
  let assemblyFormat = [{
    $reduction $gathered `,` $labels attr-dict `:` type($gathered) `,`
    type($labels) `->` type($loss) `,` type($lse)
  }];
  let hasVerifier = 1;
}

def Tfm_VocabParallelCrossEntropyGradOp
    : Tfm_Op<"vocab_parallel_cross_entropy_grad",
             [Pure, AllTypesMatch<["logits", "logits_grad"]>]> {
  let summary = "Gradient of the vocabulary-parallel cross-entropy";
  let description = [{
    This rank's block of `tfm.cross_entropy_grad`:
    `(exp(logits[i..., v] - lse[i...]) - [c * V + v = labels[i...]]) * g[i...]`
    with `g` the loss gradient as in `tfm.cross_entropy_grad` and `c` the
    rank's coordinate along `shard_axis`. No communication: `lse` comes from
    the forward's `tfm.vocab_parallel_loss`. With `valid_vocab` the columns
    of global ids `>= valid_vocab` (padding) get gradient 0.

    **Created by:** the partitioner, for a `tfm.cross_entropy_grad` whose
    logits are split along the vocabulary.

    ```mlir
    %dl = tfm.vocab_parallel_cross_entropy_grad mean %logits, %labels, %lse, %dloss shard "tp" : tensor<2x8x64xf32>, tensor<2x8xi32>, tensor<2x8xf32>, tensor<f32>
    ```

    **Constraints:** `valid_vocab` is positive.
  }];
  let arguments = (ins Tfm_Reduction:$reduction, Tfm_FloatTensor:$logits,
                       Tfm_IndexTensor:$labels, Tfm_LossTensor:$lse,
                       Tfm_LossTensor:$loss_grad, StrAttr:$shard_axis,
                       OptionalAttr<I64Attr>:$valid_vocab);
  let results = (outs Tfm_FloatTensor:$logits_grad);
  let assemblyFormat = [{
    $reduction $logits `,` $labels `,` $lse `,` $loss_grad `shard`
    $shard_axis (`valid_vocab` $valid_vocab^)? attr-dict `:` type($logits)
    `,` type($labels) `,` type($lse) `,` type($loss_grad)
  }];
  let hasVerifier = 1;
}

def Tfm_GradSquareSumOp : Tfm_Op<"grad_square_sum", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Sum of squares of some gradient slots";
  let description = [{
    `sum over the listed parameters p of sum(grad(p)^2)`, accumulated in at
    least f32. In a partitioned program, the listed parameters are split
    across ranks, so the result is a partial sum that an all-reduce
    completes before `tfm.grad_norm ... plus` takes its square root.

    With `shard` (the distributed optimizer), only the rank's block of each
    slot counts: elements `[c * n / S, (c + 1) * n / S)` of the flattened
    slot of `n` elements, `S` the size of mesh axis `shard` and `c` the
    rank's coordinate along it (the block `tfm.reduce_scatter_grads`
    completed); an all-reduce over that axis completes the sum.

    **Created by:** the partitioner, from `tfm.grad_norm`.

    ```mlir
    %s = tfm.grad_square_sum [@layers.0.mlp.fc1.weight] : tensor<f32>
    %b = tfm.grad_square_sum [@layers.0.mlp.fc1.weight] shard "dp" : tensor<f32>
    ```

    **Constraints:** every listed symbol names a trainable `tfm.parameter`;
    with `shard`, one whose optimizer state is split over that axis
    (`dist.optimizer_shard_axis`).
  }];
  let arguments = (ins SymbolRefArrayAttr:$parameters,
                       OptionalAttr<StrAttr>:$shard_axis);
  let results = (outs Tfm_ScalarTensor:$sum);
  let assemblyFormat = [{
    $parameters (`shard` $shard_axis^)? attr-dict `:` type($sum)
  }];
}

def Tfm_ReduceGradsOp : Tfm_Op<"reduce_grads", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Sums gradient slots across the ranks of mesh axes";
  let description = [{
    Data parallelism: every rank of a `dp` group accumulated the gradients
    of its own micro-batches (each scaled by 1 / (micro-batches x dp)); this
    sums the listed parameters' gradient slots, in place, across the ranks
    that differ only along `axes`, so every rank then holds the gradient of
    the whole global batch. One call per training step, after the last
    micro-batch (Megatron-LM's gradient all-reduce).

    **Created by:** the partitioner, as the function `reduce_gradients`
    when the mesh has `dp > 1`. **Removed by:** the lowering to the runtime
    artifact (a ReduceGradients instruction; buffer assignment gives it a
    gradient bucket, a transient buffer live at this op only, through which
    the runtime packs small slots: one all-reduce per bucket of up to
    16 MiB).

    ```mlir
    tfm.reduce_grads [@final_norm.weight, @final_norm.bias] on @mesh axes = ["dp"]
    ```
  }];
  let arguments = (ins SymbolRefArrayAttr:$parameters,
                       FlatSymbolRefAttr:$mesh, StrArrayAttr:$axes);
  let assemblyFormat = "$parameters `on` $mesh `axes` `=` $axes attr-dict";
}

def Tfm_ReduceScatterGradsOp : Tfm_Op<"reduce_scatter_grads", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Sums gradient slots across a mesh axis, one block per rank";
  let description = [{
    The distributed optimizer's gradient reduction (Megatron-LM's
    `--use-distributed-optimizer`, ZeRO stage 1): instead of all-reducing,
    each listed parameter's gradient slot is reduce-scattered across the
    ranks that differ only along the one axis of `axes`. Seen flat, a slot
    of `n` elements is `S` blocks of `n / S` (`S` the axis size); afterwards
    block `c` of the slot of the rank with coordinate `c` holds the sum of
    every rank's block `c`, which is all that rank's optimizer update reads
    (`tfm.adamw ... shard`). The other blocks of the slot are left
    undefined. Each rank sends and receives half of what an all-reduce
    moves.

    **Created by:** the partitioner, in the function `reduce_gradients`,
    for the parameters whose optimizer state it splits (the others keep
    `tfm.reduce_grads`). **Removed by:** the lowering to the runtime
    artifact (a ReduceScatterGradients instruction; small slots are packed
    through its gradient bucket, as `tfm.reduce_grads`').

    ```mlir
    tfm.reduce_scatter_grads [@final_norm.weight, @final_norm.bias] on @mesh axes = ["dp"]
    ```

    **Constraints:** one axis; every listed symbol names a trainable
    `tfm.parameter` whose optimizer state is split over that axis
    (`dist.optimizer_shard_axis`).
  }];
  let arguments = (ins SymbolRefArrayAttr:$parameters,
                       FlatSymbolRefAttr:$mesh, StrArrayAttr:$axes);
  let assemblyFormat = "$parameters `on` $mesh `axes` `=` $axes attr-dict";
}

def Tfm_GatherParamsOp : Tfm_Op<"gather_params", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "All-gathers the blocks of parameters the ranks updated";
  let description = [{
    The end of a distributed-optimizer step: the rank with coordinate `c`
    along the one axis of `axes` updated block `c` of each listed parameter
    (`tfm.adamw ... shard`, the flattened parameter in `S` blocks); this
    copies every rank's block into the same place on every rank of the
    group (an all-gather in place), so every rank again holds the whole
    (local) parameter for the next forward pass.

    **Created by:** the partitioner, at the end of `optimizer_step`.
    **Removed by:** the lowering to the runtime artifact (a
    GatherParameters instruction; small parameters are packed through its
    gradient bucket, as `tfm.reduce_grads`').

    ```mlir
    tfm.gather_params [@final_norm.weight, @final_norm.bias] on @mesh axes = ["dp"]
    ```

    **Constraints:** as `tfm.reduce_scatter_grads`.
  }];
  let arguments = (ins SymbolRefArrayAttr:$parameters,
                       FlatSymbolRefAttr:$mesh, StrArrayAttr:$axes);
  let assemblyFormat = "$parameters `on` $mesh `axes` `=` $axes attr-dict";
}

#endif // STRATA_DIALECTS_TFM_IR_TFMPARALLELOPS_TD
