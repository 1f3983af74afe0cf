//===- TfmTrainingOps.td - tfm ops of the training phase ---*- tablegen -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The ops the training derivation (`strata-tfm-derive-training`) creates:
// gradients that are not themselves forward ops, and the optimizer's reads
// and writes of each parameter's slots. The frontend never emits them.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_DIALECTS_TFM_IR_TFMTRAININGOPS_TD
#define STRATA_DIALECTS_TFM_IR_TFMTRAININGOPS_TD

//===----------------------------------------------------------------------===//
// Gradients
//===----------------------------------------------------------------------===//

def Tfm_MatmulGradInputOp : Tfm_Op<"matmul_grad_input", [
    Pure, Tfm_SameFloatElementType]> {
  let summary = "Gradient of tfm.matmul with respect to its input";
  let description = [{
    For `y = tfm.matmul x, w` with `w[o..., k...]` having `n` output
    dimensions: `dx[b..., k...] = sum over o... of dy[b..., o...] * w[o..., k...]`.
    Created by the training derivation; one GEMM (`dy · w`).

    Example:

    ```mlir
    %dx = tfm.matmul_grad_input %dy, %w outputs 2 : tensor<4x16x12x64xf32>, tensor<12x64x768xf32> -> tensor<4x16x768xf32>
    ```

    **Constraints:** `1 <= n < rank(w)`, `n <= rank(dy)`, the trailing `n`
    dimensions of `dy` equal the leading `n` of `w`, and the result is
    `dy`'s leading dimensions followed by `w`'s trailing dimensions.
  }];
  let arguments = (ins Tfm_FloatTensor:$result_grad, Tfm_FloatTensor:$weight,
                       ConfinedAttr<I64Attr, [IntMinValue<1>]>:$output_dims);
  let results = (outs Tfm_FloatTensor:$input_grad);
  let assemblyFormat = [{
    $result_grad `,` $weight `outputs` $output_dims attr-dict `:`
    type($result_grad) `,` type($weight) `->` type($input_grad)
  }];
  let hasVerifier = 1;
}

def Tfm_MatmulGradWeightOp : Tfm_Op<"matmul_grad_weight", [
    Pure, Tfm_SameFloatElementType]> {
  let summary = "Gradient of tfm.matmul with respect to its weight";
  let description = [{
    For `y = tfm.matmul x, w` with `n` leading (batch) dimensions in `x`:
    `dw[o..., k...] = sum over b... of dy[b..., o...] * x[b..., k...]`.
    Created by the training derivation; one GEMM (`dy^T · x`).

    Example:

    ```mlir
    %dw = tfm.matmul_grad_weight %dy, %x batch 2 : tensor<4x16x12x64xf32>, tensor<4x16x768xf32> -> tensor<12x64x768xf32>
    ```

    **Constraints:** `1 <= n`, `n` is less than the ranks of `dy` and `x`,
    their leading `n` dimensions agree, and the result is `dy`'s trailing
    dimensions followed by `x`'s trailing dimensions.
  }];
  let arguments = (ins Tfm_FloatTensor:$result_grad, Tfm_FloatTensor:$input,
                       ConfinedAttr<I64Attr, [IntMinValue<1>]>:$batch_dims);
  let results = (outs Tfm_FloatTensor:$weight_grad);
  let assemblyFormat = [{
    $result_grad `,` $input `batch` $batch_dims attr-dict `:`
    type($result_grad) `,` type($input) `->` type($weight_grad)
  }];
  let hasVerifier = 1;
}

def Tfm_BiasGradOp : Tfm_Op<"bias_grad", [Pure, Tfm_SameFloatElementType]> {
  let summary = "Sums a gradient over its leading dimensions";
  let description = [{
    The gradient of `tfm.bias_add`'s bias: `db[t...] = sum over b... of
    dy[b..., t...]`, where the result has the trailing dimensions of `dy`.

    Example:

    ```mlir
    %db = tfm.bias_grad %dy : tensor<4x16x768xf32> -> tensor<768xf32>
    ```

    **Constraints:** `1 <= rank(result) <= rank(dy)` and the result shape
    is the trailing dimensions of `dy`.
  }];
  let arguments = (ins Tfm_FloatTensor:$result_grad);
  let results = (outs Tfm_FloatTensor:$bias_grad);
  let assemblyFormat = [{
    $result_grad attr-dict `:` type($result_grad) `->` type($bias_grad)
  }];
  let hasVerifier = 1;
}

def Tfm_EmbeddingGradOp : Tfm_Op<"embedding_grad", [
    Pure, Tfm_SameFloatElementType]> {
  let summary = "Gradient of tfm.embedding with respect to its table";
  let description = [{
    `dtable[r, :] = sum over positions i with ids[i] = r of dy[i, :]`: a
    deterministic scatter-add into a zero-initialized `[rows, columns]`
    tensor.

    Example:

    ```mlir
    %dt = tfm.embedding_grad %dy[%ids] : tensor<4x16x768xf32>, tensor<4x16xi32> -> tensor<50304x768xf32>
    ```

    **Constraints:** `dy` has the ids shape followed by the table's columns;
    the result has rank 2.
  }];
  let arguments = (ins Tfm_FloatTensor:$result_grad, Tfm_IndexTensor:$ids,
                       OptionalAttr<StrAttr>:$vocab_shard_axis);
  let results = (outs Tfm_FloatTensor:$table_grad);
  let assemblyFormat = [{
    $result_grad `[` $ids `]` (`vocab_shard` $vocab_shard_axis^)? attr-dict
    `:` type($result_grad) `,` type($ids) `->` type($table_grad)
  }];
  let hasVerifier = 1;
}

def Tfm_LayerNormGradOp : Tfm_Op<"layer_norm_grad", [
    Pure, Tfm_SameFloatElementType,
    AllTypesMatch<["input", "result_grad", "input_grad"]>,
    AllTypesMatch<["scale", "scale_grad", "bias_grad"]>]> {
  let summary = "Gradient of tfm.layer_norm";
  let description = [{
    Given `dy`, the norm's input `x` and `scale`, returns `dx`, `dscale` and
    `dbias` (the latter is the gradient of the bias whether or not the norm
    has one). The mean and reciprocal standard deviation are recomputed
    from `x`: one extra pass over `x` costs less than storing them. With
    `zero_centered_gamma` the forward multiplied by `1 + scale`, and so does
    `dx`; `dscale` is unchanged (d(1 + w)/dw = 1).

    Example:

    ```mlir
    %dx, %dg, %db = tfm.layer_norm_grad %dy, %x, %g epsilon 1.000000e-05 : tensor<4x16x768xf32>, tensor<768xf32>
    ```
  }];
  let arguments = (ins Tfm_FloatTensor:$result_grad, Tfm_FloatTensor:$input,
                       Tfm_FloatTensor:$scale, F64Attr:$epsilon,
                       UnitAttr:$zero_centered_gamma);
  let results = (outs Tfm_FloatTensor:$input_grad, Tfm_FloatTensor:$scale_grad,
                      Tfm_FloatTensor:$bias_grad);
  let assemblyFormat = [{
    $result_grad `,` $input `,` $scale `epsilon` $epsilon
    (`zero_centered_gamma` $zero_centered_gamma^)? attr-dict `:`
    type($input) `,` type($scale)
  }];
  let hasVerifier = 1;
}

def Tfm_RMSNormGradOp : Tfm_Op<"rms_norm_grad", [
    Pure, Tfm_SameFloatElementType,
    AllTypesMatch<["input", "result_grad", "input_grad"]>,
    AllTypesMatch<["scale", "scale_grad"]>]> {
  let summary = "Gradient of tfm.rms_norm";
  let description = [{
    Given `dy`, the norm's input `x` and `scale`, returns `dx` and `dscale`;
    the reciprocal root mean square is recomputed from `x`.

    Example:

    ```mlir
    %dx, %dg = tfm.rms_norm_grad %dy, %x, %g epsilon 1.000000e-05 : tensor<4x16x768xf32>, tensor<768xf32>
    ```
  }];
  let arguments = (ins Tfm_FloatTensor:$result_grad, Tfm_FloatTensor:$input,
                       Tfm_FloatTensor:$scale, F64Attr:$epsilon);
  let results = (outs Tfm_FloatTensor:$input_grad, Tfm_FloatTensor:$scale_grad);
  let assemblyFormat = [{
    $result_grad `,` $input `,` $scale `epsilon` $epsilon attr-dict `:`
    type($input) `,` type($scale)
  }];
  let hasVerifier = 1;
}

def Tfm_AttentionGradOp : Tfm_Op<"attention_grad", [
    Pure,
    AllTypesMatch<["query", "query_grad"]>, AllTypesMatch<["key", "key_grad"]>,
    AllTypesMatch<["value", "value_grad"]>,
    AllTypesMatch<["result", "result_grad"]>]> {
  let summary = "Gradient of tfm.attention";
  let description = [{
    Given the forward operands, the forward result `out`, its `lse` and the
    result's gradient, returns the gradients of query, key and value (key
    and value gradients sum over the query heads of each group). The
    attributes repeat the forward op's; the same `stream` redraws the same
    dropout mask.

    Example:

    ```mlir
    %dq, %dk, %dv = tfm.attention_grad %q, %k, %v, %out, %lse, %dout causal scale 1.250000e-01 : tensor<4x16x12x64xf32>, tensor<4x16x4x64xf32>, tensor<4x16x4x64xf32>, tensor<4x16x12x64xf32>, tensor<4x12x16xf32>
    ```
  }];
  let arguments = (ins
    Tfm_FloatTensor:$query, Tfm_FloatTensor:$key, Tfm_FloatTensor:$value,
    Tfm_FloatTensor:$result, Tfm_LossTensor:$lse, Tfm_FloatTensor:$result_grad,
    UnitAttr:$causal, F64Attr:$scale, OptionalAttr<F64Attr>:$dropout,
    OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$rng_stream,
    OptionalAttr<StrAttr>:$head_shard_axis
  );
  let results = (outs Tfm_FloatTensor:$query_grad, Tfm_FloatTensor:$key_grad,
                      Tfm_FloatTensor:$value_grad);
  let assemblyFormat = [{
    $query `,` $key `,` $value `,` $result `,` $lse `,` $result_grad
    (`causal` $causal^)? `scale` $scale (`dropout` $dropout^)?
    (`stream` $rng_stream^)? (`head_shard` $head_shard_axis^)? attr-dict `:` type($query) `,` type($key) `,`
    type($value) `,` type($result) `,` type($lse)
  }];
  let hasVerifier = 1;
}

def Tfm_CrossEntropyGradOp : Tfm_Op<"cross_entropy_grad", [
    Pure, AllTypesMatch<["logits", "logits_grad"]>]> {
  let summary = "Gradient of tfm.cross_entropy with respect to the logits";
  let description = [{
    `dlogits[i..., v] = (softmax(logits[i..., :])[v] - [v = labels[i...]]) * g[i...]`
    where `g` is the loss gradient: `dloss / N` for `mean` over `N`
    positions, `dloss` for `sum`, `dloss[i...]` for `none`. The softmax is
    recomputed from the logits. (`dloss` is f32 while the logits may be
    bf16: the element-type rule covers the logits and the result.) With
    `valid_vocab` `V` (the forward op's, which its VJP copies) the softmax
    is over the first `V` columns and the gradient of the padding columns
    `[V, vocabulary)` is 0.

    Example:

    ```mlir
    %dl = tfm.cross_entropy_grad mean %logits, %labels, %dloss : tensor<4x16x50304xf32>, tensor<4x16xi32>, tensor<f32>
    ```

    **Constraints:** as `tfm.cross_entropy`'s; `valid_vocab` is in
    `[1, vocabulary]`.
  }];
  let arguments = (ins Tfm_Reduction:$reduction, Tfm_FloatTensor:$logits,
                       Tfm_IndexTensor:$labels, Tfm_LossTensor:$loss_grad,
                       OptionalAttr<I64Attr>:$valid_vocab);
  let results = (outs Tfm_FloatTensor:$logits_grad);
  let assemblyFormat = [{
    $reduction $logits `,` $labels `,` $loss_grad
    (`valid_vocab` $valid_vocab^)? attr-dict `:`
    type($logits) `,` type($labels) `,` type($loss_grad)
  }];
  let hasVerifier = 1;
}

def Tfm_GeluGradOp : Tfm_Op<"gelu_grad", [
    Pure, Tfm_SameFloatElementType, AllTypesMatch<["input", "result_grad", "input_grad"]>]> {
  let summary = "Gradient of tfm.gelu";
  let description = [{
    `dx = dy * gelu'(x)` for the same approximation as the forward op.

    ```mlir
    %dx = tfm.gelu_grad tanh %x, %dy : tensor<4x16x3072xf32>
    ```
  }];
  let arguments = (ins Tfm_GeluApproximation:$approximation,
                       Tfm_FloatTensor:$input, Tfm_FloatTensor:$result_grad);
  let results = (outs Tfm_FloatTensor:$input_grad);
  let assemblyFormat = [{
    $approximation $input `,` $result_grad attr-dict `:` type($input)
  }];
}

def Tfm_SiluGradOp : Tfm_Op<"silu_grad", [
    Pure, Tfm_SameFloatElementType, AllTypesMatch<["input", "result_grad", "input_grad"]>]> {
  let summary = "Gradient of tfm.silu";
  let description = [{
    `dx = dy * sigmoid(x) * (1 + x * (1 - sigmoid(x)))`.

    ```mlir
    %dx = tfm.silu_grad %x, %dy : tensor<4x16x3072xf32>
    ```
  }];
  let arguments = (ins Tfm_FloatTensor:$input, Tfm_FloatTensor:$result_grad);
  let results = (outs Tfm_FloatTensor:$input_grad);
  let assemblyFormat = "$input `,` $result_grad attr-dict `:` type($input)";
}

def Tfm_SwiGLUGradOp : Tfm_Op<"swiglu_grad", [
    Pure, Tfm_SameFloatElementType,
    AllTypesMatch<["gate", "up", "result_grad", "gate_grad", "up_grad"]>]> {
  let summary = "Gradient of tfm.swiglu";
  let description = [{
    `dgate = dy * up * silu'(gate)`, `dup = dy * silu(gate)`.

    ```mlir
    %dg, %du = tfm.swiglu_grad %gate, %up, %dy : tensor<4x16x11008xf32>
    ```
  }];
  let arguments = (ins Tfm_FloatTensor:$gate, Tfm_FloatTensor:$up,
                       Tfm_FloatTensor:$result_grad);
  let results = (outs Tfm_FloatTensor:$gate_grad, Tfm_FloatTensor:$up_grad);
  let assemblyFormat = [{
    $gate `,` $up `,` $result_grad attr-dict `:` type($gate)
  }];
}

//===----------------------------------------------------------------------===//
// Parameter slots and the optimizer
//===----------------------------------------------------------------------===//

def Tfm_AccumulateGradOp : Tfm_Op<"accumulate_grad", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Adds to a parameter's gradient slot";
  let description = [{
    Every trainable `tfm.parameter` has a gradient slot of its own type,
    zeroed by `tfm.zero_grads`. This op adds `value` to it: the gradient of
    one use of the parameter in one micro-batch. A parameter used twice
    (tied embeddings) gets two accumulations.

    ```mlir
    tfm.accumulate_grad @"layers.0.mlp.fc1.weight", %dw : tensor<3072x768xf32>
    ```

    Under mixed precision O2 the slot is f32 (`tfm.parameter ... main f32`)
    and the training derivation casts each bf16 or f16 gradient
    (`tfm.cast`) before it is added.

    **Constraints:** the symbol names a trainable `tfm.parameter` whose
    gradient slot has the value's type (the parameter's local type in its
    slot element type).
  }];
  let arguments = (ins FlatSymbolRefAttr:$name, Tfm_FloatTensor:$value);
  let assemblyFormat = "$name `,` $value attr-dict `:` type($value)";
}

def Tfm_ZeroGradsOp : Tfm_Op<"zero_grads"> {
  let summary = "Zeroes the gradient slot of every trainable parameter";
  let description = [{
    Starts a step's gradient accumulation.

    ```mlir
    tfm.zero_grads
    ```
  }];
  let assemblyFormat = "attr-dict";
}

def Tfm_GradNormOp : Tfm_Op<"grad_norm"> {
  let summary = "The global L2 norm of all gradient slots";
  let description = [{
    `sqrt(sum over trainable parameters p, in declaration order, of
    sum(grad(p)^2))`, accumulated in at least f32 (the norm
    `torch.nn.utils.clip_grad_norm_` computes).

    In a partitioned program the sum is split: `of` lists the parameters
    whose gradient slots are read here (every trainable parameter when
    absent, which needs `plus` absent too) and `plus` is a sum of squares
    computed elsewhere (by `tfm.grad_square_sum` over the split parameters,
    completed by an all-reduce), added before the square root. A pipeline
    stage's norm reads no slot itself (`of []`): its `plus` is every
    stage's sum, all-reduced over pp.

    ```mlir
    %norm = tfm.grad_norm : tensor<f32>
    %norm = tfm.grad_norm of [@final_norm.weight] plus %split(tensor<f32>) : tensor<f32>
    %norm = tfm.grad_norm of [] plus %all_stages(tensor<f32>) : tensor<f32>
    ```
  }];
  let arguments = (ins OptionalAttr<SymbolRefArrayAttr>:$parameters,
                       Optional<Tfm_ScalarTensor>:$plus);
  let results = (outs Tfm_ScalarTensor:$norm);
  let assemblyFormat = [{
    (`of` $parameters^)? (`plus` $plus^ `(` type($plus) `)`)? attr-dict `:`
    type($norm)
  }];
  let hasVerifier = 1;
}

def Tfm_ClipCoefficientOp : Tfm_Op<"clip_coefficient", [
    Pure, AllTypesMatch<["norm", "max_norm", "coefficient"]>]> {
  let summary = "Gradient-clipping factor for a global norm";
  let description = [{
    `min(1, max_norm / (norm + 1e-6))` as in
    `torch.nn.utils.clip_grad_norm_`; `max_norm <= 0` means no clipping
    (the coefficient is 1).

    ```mlir
    %c = tfm.clip_coefficient %norm, %max_norm : tensor<f32>
    ```
  }];
  let arguments = (ins Tfm_ScalarTensor:$norm, Tfm_ScalarTensor:$max_norm);
  let results = (outs Tfm_ScalarTensor:$coefficient);
  let assemblyFormat = "$norm `,` $max_norm attr-dict `:` type($norm)";
}

def Tfm_AdamWOp : Tfm_Op<"adamw", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>,
    AllTypesMatch<["lr", "beta1", "beta2", "eps", "weight_decay", "step",
                   "grad_scale"]>]> {
  let summary = "One AdamW update of a parameter from its gradient slot";
  let description = [{
    Updates the parameter and its two moment slots (`m`, `v`, zeroed at
    initialization) exactly as `torch.optim.AdamW` does, with the gradient
    taken as `grad_scale * grad(p)` (the clipping coefficient, divided by
    the loss scale under f16 loss scaling):

    ```
    p -= lr * weight_decay * p          (only for weight_decay parameters)
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g^2
    p -= lr * (m / (1 - beta1^step)) / (sqrt(v / (1 - beta2^step)) + eps)
    ```

    `step` counts from 1. The hyperparameters are operands so that a
    schedule can change them every step without recompiling.

    With `main` (mixed precision O2: the parameter has an f32 main
    parameter) `p` above is the main parameter; the parameter itself is
    left to `tfm.param_from_main`. With `if_finite %norm` (f16 loss
    scaling) the update is skipped, leaving the parameter, the main
    parameter and the moments as they are, unless `%norm` is finite: the
    gradient norm, all-reduced over every rank, so that all ranks skip the
    same steps.

    Under the distributed optimizer (`shard`, set by the partitioner) the
    update covers one block: with `n` the element count of the rank's
    (local) parameter, `S` the size of mesh axis `shard` and `c` the rank's
    coordinate along it, elements `[c * n / S, (c + 1) * n / S)` of the
    flattened parameter and gradient slot; the moments (and the main
    parameter) hold that block only (`dist.optimizer_local_type` of the
    parameter). `tfm.gather_params` then brings every rank's block to the
    whole group.

    Created by the training derivation (`strata-tfm-derive-training`);
    becomes an `AdamW` instruction.

    ```mlir
    tfm.adamw @"layers.0.mlp.fc1.weight" lr %lr beta1 %b1 beta2 %b2 eps %eps weight_decay %wd step %step grad_scale %c : tensor<f32>
    tfm.adamw @"layers.0.mlp.fc1.weight" shard "dp" lr %lr beta1 %b1 beta2 %b2 eps %eps weight_decay %wd step %step grad_scale %c : tensor<f32>
    tfm.adamw @"layers.0.mlp.fc1.weight" main lr %lr beta1 %b1 beta2 %b2 eps %eps weight_decay %wd step %step grad_scale %c if_finite %norm(tensor<f32>) : tensor<f32>
    ```

    **Constraints:** the symbol names a trainable `tfm.parameter`; `shard`
    is present exactly when the parameter's `dist.optimizer_shard_axis` is,
    and equal to it; `main` is present exactly when the parameter has a
    main parameter; `if_finite` is a scalar of the hyperparameters' type.
  }];
  let arguments = (ins FlatSymbolRefAttr:$name, Tfm_ScalarTensor:$lr,
                       Tfm_ScalarTensor:$beta1, Tfm_ScalarTensor:$beta2,
                       Tfm_ScalarTensor:$eps, Tfm_ScalarTensor:$weight_decay,
                       Tfm_ScalarTensor:$step, Tfm_ScalarTensor:$grad_scale,
                       Optional<Tfm_ScalarTensor>:$finite_check,
                       OptionalAttr<StrAttr>:$shard_axis, UnitAttr:$main);
  let assemblyFormat = [{
    $name (`shard` $shard_axis^)? (`main` $main^)? `lr` $lr `beta1` $beta1
    `beta2` $beta2 `eps` $eps `weight_decay` $weight_decay `step` $step
    `grad_scale` $grad_scale
    (`if_finite` $finite_check^ `(` type($finite_check) `)`)?
    attr-dict `:` type($lr)
  }];
  let hasVerifier = 1;
}

def Tfm_ParamFromMainOp : Tfm_Op<"param_from_main", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Writes a parameter as the rounding of its main parameter";
  let description = [{
    Mixed precision O2: after `tfm.adamw ... main` has updated the f32 main
    parameter, this op writes the bf16 or f16 parameter as its
    round-to-nearest-even rounding, the copy the next step computes with
    (Megatron-LM's `_copy_main_params_to_model_params`).

    A step that `tfm.adamw` skipped (a non-finite gradient norm under f16
    loss scaling) leaves the main parameter as it was, and its rounding is
    the parameter as it was: the parameter starts as the rounding of the
    main parameter (initialization, checkpoints) and only this op writes
    it, so the op needs no condition of its own.

    Under the distributed optimizer (`shard`, set by the partitioner) it
    writes the rank's block of the flattened parameter from the main
    parameter's block, as `tfm.adamw` updated it; `tfm.gather_params` then
    all-gathers the parameter.

    Created by the training derivation (`strata-tfm-derive-training`) after
    each `tfm.adamw ... main`; becomes a `ParamFromMain` instruction.

    ```mlir
    tfm.param_from_main @"layers.0.mlp.fc1.weight"
    tfm.param_from_main @"layers.0.mlp.fc1.weight" shard "dp"
    ```

    **Constraints:** the symbol names a trainable `tfm.parameter` with a
    main parameter; `shard` is present exactly when the parameter's
    `dist.optimizer_shard_axis` is, and equal to it.
  }];
  let arguments = (ins FlatSymbolRefAttr:$name,
                       OptionalAttr<StrAttr>:$shard_axis);
  let assemblyFormat = "$name (`shard` $shard_axis^)? attr-dict";
}

def Tfm_UnscaleOp : Tfm_Op<"unscale", [
    Pure, AllTypesMatch<["value", "loss_scale", "result"]>]> {
  let summary = "Divides a scalar of the optimizer step by the loss scale";
  let description = [{
    `value / loss_scale`. Under f16 dynamic loss scaling (precision 16
    mixed) the gradient slots hold the gradients of the scaled loss:
    `optimizer_step` takes the scale as its `loss_scale` argument, divides
    the gradient norm by it (the true norm, which clipping compares with
    `max_grad_norm` and the step returns) and the clipping coefficient
    (AdamW's `grad_scale`: clip / loss_scale). Loss scales are powers of
    two, so the division is exact.

    Created by the training derivation (`strata-tfm-derive-training`);
    becomes an `Unscale` instruction.

    ```mlir
    %norm = tfm.unscale %scaled_norm, %loss_scale : tensor<f32>
    ```
  }];
  let arguments = (ins Tfm_ScalarTensor:$value, Tfm_ScalarTensor:$loss_scale);
  let results = (outs Tfm_ScalarTensor:$result);
  let assemblyFormat = "$value `,` $loss_scale attr-dict `:` type($value)";
}

#endif // STRATA_DIALECTS_TFM_IR_TFMTRAININGOPS_TD
