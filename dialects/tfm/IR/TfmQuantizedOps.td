//===- TfmQuantizedOps.td - tfm ops on int8 weights --------*- tablegen -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Weight-only quantization for inference (`strata-compile --quantize
// int8-weight-only`): a weight is an i8 parameter plus an f32 scale per
// output channel (per vocabulary row for an embedding table), and the ops
// that read it dequantize on the fly, `w[o..., k...] = scales[o...] *
// q[o..., k...]`, computing in the activations' type. There is no
// `tfm.dequantize`: a dequantized weight would be a full-size tensor in the
// arena, which is the memory the scheme exists to save.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_DIALECTS_TFM_IR_TFMQUANTIZEDOPS_TD
#define STRATA_DIALECTS_TFM_IR_TFMQUANTIZEDOPS_TD

def Tfm_QuantizedMatmulOp : Tfm_Op<"quantized_matmul", [Pure]> {
  let summary = "A linear layer whose weight is int8 with per-output-channel scales";
  let description = [{
    `tfm.matmul` with the weight `scales[o...] * weight[o..., k...]`: with
    `n` contracting dimensions (default 1), input `x[b..., k...]`, an i8
    weight `q[o..., k...]` and f32 `scales[o...]`,

    `result[b..., o...] = scales[o...] * sum over k... of x[b..., k...] * q[o..., k...]`

    computed in f32 (the input's type, or f32 accumulation for bf16/f16
    inputs) and rounded once to the result type. Column-parallel splits of
    an output dimension split the scales with it; row-parallel splits of a
    contracting dimension leave every rank all the scales (each rank's
    partial sum is already scaled per output channel).

    Created by `strata-tfm-quantize-weights` from a `tfm.matmul` whose weight
    it quantizes; lowered to the artifact's `QuantizedMatmul` kernel.

    Example:

    ```mlir
    %q = tfm.quantized_matmul %x, %wq scales %sq : tensor<1x1x768xf32>, tensor<12x64x768xi8>, tensor<12x64xf32> -> tensor<1x1x12x64xf32>
    ```

    **Constraints:** the `tfm.matmul` shape rules for input, weight and
    result; the weight is i8; the scales are f32 of the weight's output
    dimensions; input and result share one floating-point element type.
  }];
  let arguments = (ins
    Tfm_FloatTensor:$input,
    Tfm_Int8Tensor:$weight,
    Tfm_ScaleTensor:$scales,
    OptionalAttr<ConfinedAttr<I64Attr, [IntMinValue<1>]>>:$contracting_dims
  );
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `scales` $scales (`contracting` $contracting_dims^)?
    attr-dict `:` type($input) `,` type($weight) `,` type($scales) `->`
    type($result)
  }];
  let extraClassDeclaration = [{
    /// Number of trailing dimensions contracted (1 when not stated).
    int64_t getNumContractingDims() {
      return getContractingDims() ? static_cast<int64_t>(*getContractingDims()) : 1;
    }
  }];
  let hasVerifier = 1;
}

def Tfm_QuantizedEmbeddingOp : Tfm_Op<"quantized_embedding", [Pure]> {
  let summary = "Looks up rows of an int8 embedding table and dequantizes them";
  let description = [{
    `result[i..., :] = scales[ids[i...]] * table[ids[i...], :]`: the
    `tfm.embedding` lookup of a table stored as i8 rows with one f32 scale
    per row (per vocabulary entry). With `vocab_shard` the table and its
    scales are the rank's block of the vocabulary, and ids outside the block
    give zero rows (a partial sum over the axis), as for `tfm.embedding`.

    Created by `strata-tfm-quantize-weights` from a `tfm.embedding` of the
    token embedding it quantizes (GPT-2 ties it to the output layer, which
    then reads the same i8 table through `tfm.quantized_matmul`); lowered
    to the artifact's `QuantizedEmbedding` kernel.

    Example:

    ```mlir
    %e = tfm.quantized_embedding %wte[%tokens] scales %s : tensor<50304x768xi8>, tensor<1x1xi32>, tensor<50304xf32> -> tensor<1x1x768xf32>
    ```

    **Constraints:** the table has rank 2 and is i8; the scales are f32
    `[rows]`; the result shape is the ids shape followed by the table's
    column count, of a floating-point element type.
  }];
  let arguments = (ins Tfm_Int8Tensor:$table, Tfm_IndexTensor:$ids,
                       Tfm_ScaleTensor:$scales,
                       OptionalAttr<StrAttr>:$vocab_shard_axis);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = [{
    $table `[` $ids `]` `scales` $scales (`vocab_shard` $vocab_shard_axis^)?
    attr-dict `:` type($table) `,` type($ids) `,` type($scales) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

#endif // STRATA_DIALECTS_TFM_IR_TFMQUANTIZEDOPS_TD
