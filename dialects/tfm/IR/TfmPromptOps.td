//===- TfmPromptOps.td - prompt learning and adapter ops -*- tablegen -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The ops prompt tuning, p-tuning and LoRA add to a model
// (docs/prompt-learning.md): virtual tokens in place of embeddings, the
// ReLU of p-tuning's prompt encoder, and LoRA's alpha / r scale.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_DIALECTS_TFM_IR_TFMPROMPTOPS_TD
#define STRATA_DIALECTS_TFM_IR_TFMPROMPTOPS_TD

def Tfm_InsertVirtualTokensOp : Tfm_Op<"insert_virtual_tokens", [
    DeclareOpInterfaceMethods<Tfm_VJPOpInterface>, Pure,
    Tfm_SameFloatElementType, AllTypesMatch<["input", "result"]>]> {
  let summary = "Replaces a task's virtual-token positions by its table's rows";
  let description = [{
    `result[i..., :] = table[virtual_tokens[i...] - offset, :]` where
    `virtual_tokens[i...]` is in `[offset, offset + rows(table))`, else
    `input[i..., :]`. `virtual_tokens` holds, per position, -1 for a real
    token or the global virtual row of a virtual token (its task's offset
    plus its index within the task; `common/prompt_tasks.h`), so one op per
    task replaces exactly that task's rows and a batch may mix tasks.

    Example:

    ```mlir
    %y = tfm.insert_virtual_tokens %x, %table[%vt] offset 10 : tensor<4x64x768xf32>, tensor<8x768xf32>, tensor<4x64xi32>
    ```

    **Constraints:** `input` is the `virtual_tokens` shape followed by the
    table's columns; the table has rank 2; `offset >= 0`.
  }];
  let arguments = (ins Tfm_FloatTensor:$input, Tfm_FloatTensor:$table,
                       Tfm_IndexTensor:$virtual_tokens,
                       I64Attr:$offset);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $table `[` $virtual_tokens `]` `offset` $offset attr-dict `:`
    type($input) `,` type($table) `,` type($virtual_tokens)
  }];
  let hasVerifier = 1;
}

def Tfm_MaskVirtualTokensOp : Tfm_Op<"mask_virtual_tokens", [
    Pure, AllTypesMatch<["result_grad", "input_grad"]>]> {
  let summary = "Gradient of tfm.insert_virtual_tokens for its input";
  let description = [{
    `dy` with the positions whose virtual row is in `[offset, offset +
    rows)` zeroed: the replaced embeddings do not reach the output.

    ```mlir
    %dx = tfm.mask_virtual_tokens %dy[%vt] offset 10 rows 8 : tensor<4x64x768xf32>, tensor<4x64xi32>
    ```
  }];
  let arguments = (ins Tfm_FloatTensor:$result_grad,
                       Tfm_IndexTensor:$virtual_tokens, I64Attr:$offset,
                       I64Attr:$rows);
  let results = (outs Tfm_FloatTensor:$input_grad);
  let assemblyFormat = [{
    $result_grad `[` $virtual_tokens `]` `offset` $offset `rows` $rows
    attr-dict `:` type($result_grad) `,` type($virtual_tokens)
  }];
  let hasVerifier = 1;
}

def Tfm_VirtualTokenTableGradOp : Tfm_Op<"virtual_token_table_grad", [
    Pure, Tfm_SameFloatElementType]> {
  let summary = "Gradient of tfm.insert_virtual_tokens for its table";
  let description = [{
    `dtable[r, :] = sum over positions i with virtual_tokens[i] = offset + r
    of dy[i, :]`: a deterministic scatter-add (positions in order) into a
    zero-initialized table.

    ```mlir
    %dt = tfm.virtual_token_table_grad %dy[%vt] offset 10 : tensor<4x64x768xf32>, tensor<4x64xi32> -> tensor<8x768xf32>
    ```
  }];
  let arguments = (ins Tfm_FloatTensor:$result_grad,
                       Tfm_IndexTensor:$virtual_tokens, I64Attr:$offset);
  let results = (outs Tfm_FloatTensor:$table_grad);
  let assemblyFormat = [{
    $result_grad `[` $virtual_tokens `]` `offset` $offset attr-dict `:`
    type($result_grad) `,` type($virtual_tokens) `->` type($table_grad)
  }];
  let hasVerifier = 1;
}

def Tfm_ReluOp : Tfm_Op<"relu", [DeclareOpInterfaceMethods<Tfm_VJPOpInterface>,
    Pure, SameOperandsAndResultType]> {
  let summary = "Rectified linear unit, max(x, 0)";
  let description = [{
    The activation between the linear layers of p-tuning's prompt encoder.

    ```mlir
    %y = tfm.relu %x : tensor<10x64xf32>
    ```
  }];
  let arguments = (ins Tfm_FloatTensor:$input);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Tfm_ReluGradOp : Tfm_Op<"relu_grad", [Pure, Tfm_SameFloatElementType,
    AllTypesMatch<["input", "result_grad", "input_grad"]>]> {
  let summary = "Gradient of tfm.relu";
  let description = [{
    `dx = dy` where `x > 0`, else 0 (PyTorch's choice at 0).

    ```mlir
    %dx = tfm.relu_grad %x, %dy : tensor<10x64xf32>
    ```
  }];
  let arguments = (ins Tfm_FloatTensor:$input, Tfm_FloatTensor:$result_grad);
  let results = (outs Tfm_FloatTensor:$input_grad);
  let assemblyFormat = "$input `,` $result_grad attr-dict `:` type($input)";
}

def Tfm_ScaleOp : Tfm_Op<"scale", [DeclareOpInterfaceMethods<Tfm_VJPOpInterface>,
    Pure, SameOperandsAndResultType]> {
  let summary = "Multiplies by a constant";
  let description = [{
    `y = x * factor`, computed in the element type. LoRA scales its update
    by `alpha / adapter_dim`; the gradient is the same scale of `dy`.

    ```mlir
    %y = tfm.scale %x by 2.000000e+00 : tensor<4x64x768xf32>
    ```
  }];
  let arguments = (ins Tfm_FloatTensor:$input, F64Attr:$factor);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = "$input `by` $factor attr-dict `:` type($input)";
}

def Tfm_LstmOp : Tfm_Op<"lstm", [DeclareOpInterfaceMethods<Tfm_VJPOpInterface>,
    Pure, Tfm_SameFloatElementType]> {
  let summary = "One bidirectional LSTM layer over a sequence";
  let description = [{
    p-tuning's LSTM prompt encoder, one layer (PyTorch's `torch.nn.LSTM`
    with `bidirectional=True` over one sequence, zero initial states). For
    direction `d` (0 forward in time, 1 backward), with gates in PyTorch's
    order i, f, g, o of `E` units each:
    `z = w_ih[d] x_t + w_hh[d] h + bias[d]`, `c = sigmoid(f) c +
    sigmoid(i) tanh(g)`, `h = sigmoid(o) tanh(c)`; `result[t, d E : (d + 1)
    E] = h` at step t. `bias` is PyTorch's `bias_ih + bias_hh`.

    ```mlir
    %y = tfm.lstm %x, %w_ih, %w_hh, %b : tensor<10x64xf32>, tensor<2x128x64xf32>, tensor<2x128x32xf32>, tensor<2x128xf32> -> tensor<10x64xf32>
    ```

    **Constraints:** `input [T, I]`, `weight_ih [2, 4E, I]`, `weight_hh [2,
    4E, E]`, `bias [2, 4E]`, `result [T, 2E]`.
  }];
  let arguments = (ins Tfm_FloatTensor:$input, Tfm_FloatTensor:$weight_ih,
                       Tfm_FloatTensor:$weight_hh, Tfm_FloatTensor:$bias);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight_ih `,` $weight_hh `,` $bias attr-dict `:`
    type($input) `,` type($weight_ih) `,` type($weight_hh) `,` type($bias)
    `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tfm_LstmGradOp : Tfm_Op<"lstm_grad", [Pure, Tfm_SameFloatElementType,
    AllTypesMatch<["input", "input_grad"]>,
    AllTypesMatch<["weight_ih", "weight_ih_grad"]>,
    AllTypesMatch<["weight_hh", "weight_hh_grad"]>,
    AllTypesMatch<["bias", "bias_grad"]>]> {
  let summary = "Gradient of tfm.lstm";
  let description = [{
    Back-propagation through time of `tfm.lstm`: the forward is recomputed
    from the operands (the sequences of a prompt encoder are short), then
    the gradients of the input, both weights and the bias.

    ```mlir
    %dx, %dwi, %dwh, %db = tfm.lstm_grad %x, %w_ih, %w_hh, %b, %dy : tensor<10x64xf32>, tensor<2x128x64xf32>, tensor<2x128x32xf32>, tensor<2x128xf32>, tensor<10x64xf32>
    ```
  }];
  let arguments = (ins Tfm_FloatTensor:$input, Tfm_FloatTensor:$weight_ih,
                       Tfm_FloatTensor:$weight_hh, Tfm_FloatTensor:$bias,
                       Tfm_FloatTensor:$result_grad);
  let results = (outs Tfm_FloatTensor:$input_grad,
                      Tfm_FloatTensor:$weight_ih_grad,
                      Tfm_FloatTensor:$weight_hh_grad,
                      Tfm_FloatTensor:$bias_grad);
  let assemblyFormat = [{
    $input `,` $weight_ih `,` $weight_hh `,` $bias `,` $result_grad attr-dict
    `:` type($input) `,` type($weight_ih) `,` type($weight_hh) `,`
    type($bias) `,` type($result_grad)
  }];
  let hasVerifier = 1;
}

#endif // STRATA_DIALECTS_TFM_IR_TFMPROMPTOPS_TD
