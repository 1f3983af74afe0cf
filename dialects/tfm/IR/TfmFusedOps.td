//===- TfmFusedOps.td - ops formed by elementwise fusion ---*- tablegen -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The ops `strata-tfm-fuse-elementwise` forms from chains of elementwise ops
// after a linear layer's bias, so that the chain reads and writes memory
// once. Each is exactly the chain it replaces; neither the frontend nor the
// training derivation emits them, and they have no vector-Jacobian product:
// fusion runs after training has been derived and fuses the backward chains
// too.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_DIALECTS_TFM_IR_TFMFUSEDOPS_TD
#define STRATA_DIALECTS_TFM_IR_TFMFUSEDOPS_TD

//===----------------------------------------------------------------------===//
// Bias + GELU
//===----------------------------------------------------------------------===//

def Tfm_BiasGeluOp : Tfm_Op<"bias_gelu", [
    Pure, Tfm_SameFloatElementType, AllTypesMatch<["input", "result"]>]> {
  let summary = "GELU of a biased input: gelu(input + bias)";
  let description = [{
    `result[b..., t...] = gelu(input[b..., t...] + bias[t...])`: a
    `tfm.bias_add` followed by a `tfm.gelu` of the given approximation
    (the first MLP projection of GPT models). The pre-activation sum is
    never stored; the backward pass, `tfm.bias_gelu_grad`, recomputes it
    from the same `input` and `bias`.

    Created by `strata-tfm-fuse-elementwise` when the `tfm.bias_add` result
    is read only by `tfm.gelu` and `tfm.gelu_grad` ops; removed by nothing
    (it lowers to the `BiasGelu` kernel).

    Example:

    ```mlir
    %y = tfm.bias_gelu tanh %x, %b : tensor<4x1024x3072xf32>, tensor<3072xf32>
    ```

    **Constraints:**
    * `1 <= rank(bias) <= rank(input)` and the bias shape equals the input's
      trailing dimensions (as for `tfm.bias_add`);
    * the result has the input's type.
  }];
  let arguments = (ins Tfm_GeluApproximation:$approximation,
                       Tfm_FloatTensor:$input, Tfm_FloatTensor:$bias);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = [{
    $approximation $input `,` $bias attr-dict `:` type($input) `,` type($bias)
  }];
  let hasVerifier = 1;
}

def Tfm_BiasGeluGradOp : Tfm_Op<"bias_gelu_grad", [
    Pure, Tfm_SameFloatElementType,
    AllTypesMatch<["input", "result_grad", "input_grad"]>,
    AllTypesMatch<["bias", "bias_grad"]>]> {
  let summary = "Gradient of tfm.bias_gelu with respect to input and bias";
  let description = [{
    For `y = tfm.bias_gelu x, b`:
    `dx[b..., t...] = dy[b..., t...] * gelu'(x[b..., t...] + b[t...])` and
    `db[t...] = sum over b... of dx[b..., t...]`, with the forward op's
    approximation. It replaces a `tfm.gelu_grad` of the pre-activation and
    the `tfm.bias_grad` of its result: the pre-activation is recomputed
    from `x` and `b`, so the forward pass keeps `x` instead of it (the same
    size).

    Created by `strata-tfm-fuse-elementwise` together with the
    `tfm.bias_gelu` it differentiates. When the bias is frozen `db` is
    unused.

    Example:

    ```mlir
    %dx, %db = tfm.bias_gelu_grad tanh %x, %b, %dy : tensor<4x1024x3072xf32>, tensor<3072xf32>
    ```

    **Constraints:**
    * the bias shape equals the input's trailing dimensions;
    * `dy` and `dx` have the input's type, `db` the bias's type.
  }];
  let arguments = (ins Tfm_GeluApproximation:$approximation,
                       Tfm_FloatTensor:$input, Tfm_FloatTensor:$bias,
                       Tfm_FloatTensor:$result_grad);
  let results = (outs Tfm_FloatTensor:$input_grad, Tfm_FloatTensor:$bias_grad);
  let assemblyFormat = [{
    $approximation $input `,` $bias `,` $result_grad attr-dict `:`
    type($input) `,` type($bias)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Bias + dropout + residual add
//===----------------------------------------------------------------------===//

def Tfm_BiasDropoutAddOp : Tfm_Op<"bias_dropout_add", [
    Tfm_SameFloatElementType,
    AllTypesMatch<["input", "residual", "result"]>]> {
  let summary = "Residual plus the dropout of a biased input";
  let description = [{
    `result = residual + dropout(input + bias)`, with the bias broadcast
    over the leading dimensions as in `tfm.bias_add`, and the dropout that
    of `tfm.dropout` with the same `rate` and `stream`: the mask of element
    `i` (in row-major order) is the one `tfm.dropout` of that stream draws
    for element `i`, and it is the identity in evaluation. `rate 0` (and no
    stream) is a plain bias plus residual add. Not `Pure`, like
    `tfm.dropout`.

    Created by `strata-tfm-fuse-elementwise` from `tfm.bias_add`, an
    optional `tfm.dropout` and `tfm.add` when each intermediate value has
    that one use (the attention output and second MLP projection of GPT
    models). The backward pass of the dropout, if any, is
    `tfm.bias_dropout_add_grad`; the residual's gradient is the incoming
    gradient itself.

    Example:

    ```mlir
    %h = tfm.bias_dropout_add %x, %b, %res rate 1.000000e-01 stream 3 : tensor<4x1024x768xf32>, tensor<768xf32>
    %g = tfm.bias_dropout_add %x, %b, %res rate 0.000000e+00 : tensor<4x1024x768xf32>, tensor<768xf32>
    ```

    **Constraints:**
    * the bias shape equals the input's trailing dimensions;
    * the residual and the result have the input's type;
    * `0 <= rate < 1`.
  }];
  let arguments = (ins
    Tfm_FloatTensor:$input,
    Tfm_FloatTensor:$bias,
    Tfm_FloatTensor:$residual,
    F64Attr:$rate,
    OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$rng_stream,
    OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$mask_split_dim,
    OptionalAttr<StrAttr>:$mask_split_axis
  );
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $bias `,` $residual `rate` $rate (`stream` $rng_stream^)?
    (`split` $mask_split_dim^ `over` $mask_split_axis)?
    attr-dict `:` type($input) `,` type($bias)
  }];
  let hasVerifier = 1;
}

def Tfm_BiasDropoutAddGradOp : Tfm_Op<"bias_dropout_add_grad", [
    Tfm_SameFloatElementType, AllTypesMatch<["result_grad", "input_grad"]>]> {
  let summary = "Dropout of a gradient and the bias gradient of the result";
  let description = [{
    `dx = dropout(dy)` with the mask and scale of `tfm.dropout` of the same
    `rate` and `stream`, and `db[t...] = sum over b... of dx[b..., t...]`
    where `db` has the trailing dimensions of `dy`. It replaces the
    `tfm.dropout` of an incoming gradient (the dropout's vector-Jacobian
    product) and the `tfm.bias_grad` of its result: the backward of
    `tfm.bias_dropout_add` (or of an unfused bias, dropout and add) with
    respect to its input and bias.

    Created by `strata-tfm-fuse-elementwise` wherever the result of a
    `tfm.dropout` is read by a `tfm.bias_grad`; other readers of the
    dropout's result read `dx`.

    Example:

    ```mlir
    %dx, %db = tfm.bias_dropout_add_grad %dy rate 1.000000e-01 stream 3 : tensor<4x1024x768xf32> -> tensor<768xf32>
    ```

    **Constraints:**
    * `1 <= rank(db) <= rank(dy)` and `db`'s shape is the trailing
      dimensions of `dy`;
    * `dx` has the type of `dy`;
    * `0 <= rate < 1`.
  }];
  let arguments = (ins
    Tfm_FloatTensor:$result_grad,
    F64Attr:$rate,
    OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$rng_stream,
    OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$mask_split_dim,
    OptionalAttr<StrAttr>:$mask_split_axis
  );
  let results = (outs Tfm_FloatTensor:$input_grad, Tfm_FloatTensor:$bias_grad);
  let assemblyFormat = [{
    $result_grad `rate` $rate (`stream` $rng_stream^)?
    (`split` $mask_split_dim^ `over` $mask_split_axis)? attr-dict `:`
    type($result_grad) `->` type($bias_grad)
  }];
  let hasVerifier = 1;
}

#endif // STRATA_DIALECTS_TFM_IR_TFMFUSEDOPS_TD
