//===- TfmParallelOps.td - ops of partitioned programs -----*- tablegen -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The per-rank forms the partitioner (strata-partition) gives computations
// whose split version is not the global op on local shapes: the
// vocabulary-parallel cross-entropy of Megatron-LM and the gradient-norm
// partial sums. Never written by the frontend.
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
    needs; the full logits never exist on any rank.

    **Created by:** the partitioner, for a `tfm.cross_entropy` whose logits
    are split along the vocabulary.

    ```mlir
    %s = tfm.vocab_parallel_stats %logits, %labels shard "tp" : tensor<2x8x64xf32>, tensor<2x8xi32> -> tensor<2x8x3xf32>
    ```
  }];
  let arguments = (ins Tfm_FloatTensor:$logits, Tfm_IndexTensor:$labels,
                       StrAttr:$shard_axis);
  let results = (outs Tfm_FloatTensor:$stats);
  let assemblyFormat = [{
    $logits `,` $labels `shard` $shard_axis attr-dict `:` type($logits) `,`
    type($labels) `->` type($stats)
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
    (`mean`, `sum` or `none`). `lse` feeds the backward
    (`tfm.vocab_parallel_cross_entropy_grad`).

    **Created by:** the partitioner, after the statistics' all-gather.

    ```mlir
    %loss, %lse = tfm.vocab_parallel_loss mean %g : tensor<2x8x6xf32> -> tensor<f32>, tensor<2x8xf32>
    ```
  }];
  let arguments = (ins Tfm_Reduction:$reduction, Tfm_FloatTensor:$gathered);
  let results = (outs Tfm_LossTensor:$loss, Tfm_LossTensor:$lse);
  let assemblyFormat = [{
    $reduction $gathered attr-dict `:` type($gathered) `->` type($loss) `,`
    type($lse)
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
    the forward's `tfm.vocab_parallel_loss`.

    **Created by:** the partitioner, for a `tfm.cross_entropy_grad` whose
    logits are split along the vocabulary.

    ```mlir
    %dl = tfm.vocab_parallel_cross_entropy_grad mean %logits, %labels, %lse, %dloss shard "tp" : tensor<2x8x64xf32>, tensor<2x8xi32>, tensor<2x8xf32>, tensor<f32>
    ```
  }];
  let arguments = (ins Tfm_Reduction:$reduction, Tfm_FloatTensor:$logits,
                       Tfm_IndexTensor:$labels, Tfm_LossTensor:$lse,
                       Tfm_LossTensor:$loss_grad, StrAttr:$shard_axis);
  let results = (outs Tfm_FloatTensor:$logits_grad);
  let assemblyFormat = [{
    $reduction $logits `,` $labels `,` $lse `,` $loss_grad `shard`
    $shard_axis attr-dict `:` type($logits) `,` type($labels) `,` type($lse)
    `,` type($loss_grad)
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

    **Created by:** the partitioner, from `tfm.grad_norm`.

    ```mlir
    %s = tfm.grad_square_sum [@layers.0.mlp.fc1.weight] : tensor<f32>
    ```
  }];
  let arguments = (ins SymbolRefArrayAttr:$parameters);
  let results = (outs Tfm_ScalarTensor:$sum);
  let assemblyFormat = "$parameters attr-dict `:` type($sum)";
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
    artifact (a ReduceGradients instruction; the runtime may bucket it).

    ```mlir
    tfm.reduce_grads [@final_norm.weight, @final_norm.bias] on @mesh axes = ["dp"]
    ```
  }];
  let arguments = (ins SymbolRefArrayAttr:$parameters,
                       FlatSymbolRefAttr:$mesh, StrArrayAttr:$axes);
  let assemblyFormat = "$parameters `on` $mesh `axes` `=` $axes attr-dict";
}

#endif // STRATA_DIALECTS_TFM_IR_TFMPARALLELOPS_TD
