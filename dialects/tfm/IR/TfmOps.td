//===- TfmOps.td - tfm dialect operations ------------------*- tablegen -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_DIALECTS_TFM_IR_TFMOPS_TD
#define STRATA_DIALECTS_TFM_IR_TFMOPS_TD

include "dialects/tfm/IR/TfmAttrs.td"
include "dialects/tfm/IR/TfmInterfaces.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/RegionKindInterface.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Parameters
//===----------------------------------------------------------------------===//

def Tfm_ParameterOp : Tfm_Op<"parameter", [
    Symbol, HasParent<"::mlir::ModuleOp">,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "A named model parameter";
  let description = [{
    Declares one parameter of the model as a module-level symbol: its name,
    global shape and element type, how it is initialized, whether training
    updates it (`trainable`) and whether AdamW's decoupled weight decay
    applies to it (`weight_decay`: on matrices and embeddings, not on biases
    and norm weights). Functions read a parameter with `tfm.param_ref`.

    The shape is the global, unpartitioned one; the partitioner decides each
    rank's shard. Checkpoints store parameters under these names in this
    layout.

    Mixed precision O2 (NeMo's `megatron_amp_O2`): a bf16 or f16 parameter
    with `main f32` also owns an f32 *main parameter*, the copy the
    optimizer updates (`tfm.adamw ... main`); `tfm.param_from_main` then
    writes the parameter as its rounding. Its gradient and AdamW moment
    slots are f32 too (`getSlotElementType`). The runtime initializes the
    main parameter from `init` and the parameter as its rounding
    (round-to-nearest-even). The frontend sets `main`; nothing removes it.

    Weight-only quantization (`strata-tfm-quantize-weights`): an i8
    parameter with `scales @s` holds `round(w / s)` clamped to [-127, 127]
    of the f32 weight `w` its `init` describes (or a checkpoint holds), with
    `s[o...] = max |w[o..., :]| / 127` per output channel in the f32
    parameter `@s`, whose shape is the weight's leading (output) dimensions.
    The runtime quantizes at load, on the global tensor; `@s`'s own `init`
    is unused.

    Example:

    ```mlir
    tfm.parameter @"layers.0.attention.query.weight" : tensor<12x64x768xf32>
        init <normal, std = 2.000000e-02> trainable weight_decay
    tfm.parameter @"layers.0.input_norm.weight" : tensor<768xf32>
        init <ones> trainable
    tfm.parameter @"layers.0.mlp.fc1.weight" : tensor<3072x768xbf16>
        init <normal, std = 2.000000e-02> trainable weight_decay main f32
    tfm.parameter @"layers.0.mlp.fc2.weight" : tensor<768x3072xi8>
        init <normal, std = 2.000000e-02> scales @"layers.0.mlp.fc2.weight_scale"
    ```

    **Constraints:**
    * the type is a statically shaped tensor of a float element type, with
      every dimension at least 1;
    * `main` is f32, on a trainable bf16 or f16 parameter;
    * an i8 parameter has `scales`, naming an f32 parameter of the
      parameter's leading dimensions (at least one fewer), and is not
      trainable; only i8 parameters have `scales`;
    * the op sits directly in the module.
  }];
  let arguments = (ins
    SymbolNameAttr:$sym_name,
    TypeAttrOf<Tfm_ParameterTensor>:$type,
    Tfm_InitAttr:$init,
    UnitAttr:$trainable,
    UnitAttr:$weight_decay,
    OptionalAttr<TypeAttrOf<Tfm_FloatElement>>:$main,
    OptionalAttr<FlatSymbolRefAttr>:$scales
  );
  let assemblyFormat = [{
    $sym_name `:` $type `init` $init (`trainable` $trainable^)?
    (`weight_decay` $weight_decay^)? (`main` $main^)?
    (`scales` $scales^)? attr-dict
  }];
  let extraClassDeclaration = [{
    ::mlir::RankedTensorType getTensorType() {
      return ::llvm::cast<::mlir::RankedTensorType>(getType());
    }
    /// The name of the discardable attribute the partitioner sets to the
    /// block of the parameter each rank holds (a TypeAttr); its sharding is
    /// in `dist.sharding`.
    static ::llvm::StringRef getLocalTypeAttrName() { return "dist.local_type"; }
    /// The type param_ref, accumulate_grad and the runtime's slots see: the
    /// rank's block once partitioned, the declared type before.
    ::mlir::RankedTensorType getLocalType() {
      if (auto local = (*this)->getAttrOfType<::mlir::TypeAttr>(
              getLocalTypeAttrName()))
        return ::llvm::cast<::mlir::RankedTensorType>(local.getValue());
      return getTensorType();
    }
    /// The distributed optimizer (ZeRO stage 1): the discardable attribute
    /// naming the mesh axis (a StringAttr, "dp") over which the AdamW state
    /// of this parameter is split. Rank c of that axis keeps the moments of
    /// block c of the flattened local parameter (`dist.optimizer_local_type`,
    /// a 1-D TypeAttr of numel / axis size elements), updates that block and
    /// all-gathers the parameter (tfm.gather_params).
    static ::llvm::StringRef getOptimizerShardAxisAttrName() {
      return "dist.optimizer_shard_axis";
    }
    static ::llvm::StringRef getOptimizerLocalTypeAttrName() {
      return "dist.optimizer_local_type";
    }
    /// The mesh axis the optimizer state is split over, or null.
    ::mlir::StringAttr getOptimizerShardAxis() {
      return (*this)->getAttrOfType<::mlir::StringAttr>(
          getOptimizerShardAxisAttrName());
    }
    /// The element type of the main parameter (mixed precision O2), or
    /// null when the parameter has none.
    ::mlir::Type getMainElementType() {
      if (auto main = getMainAttr())
        return main.getValue();
      return {};
    }
    /// The element type of the gradient, moment and main-parameter slots:
    /// the main parameter's (f32) when there is one, else the parameter's.
    ::mlir::Type getSlotElementType() {
      if (::mlir::Type main = getMainElementType())
        return main;
      return getTensorType().getElementType();
    }
    /// The type of the gradient slot: the local type in the slot element
    /// type.
    ::mlir::RankedTensorType getGradType() {
      return getLocalType().clone(getSlotElementType());
    }
    /// The type of each AdamW moment slot, and of the main parameter: the
    /// rank's block under the distributed optimizer, else the gradient
    /// slot's type.
    ::mlir::RankedTensorType getOptimizerLocalType() {
      if (auto local = (*this)->getAttrOfType<::mlir::TypeAttr>(
              getOptimizerLocalTypeAttrName()))
        return ::llvm::cast<::mlir::RankedTensorType>(local.getValue());
      return getGradType();
    }
  }];
  let hasVerifier = 1;
}

def Tfm_ParamRefOp : Tfm_Op<"param_ref", [DeclareOpInterfaceMethods<Tfm_VJPOpInterface>, 
    Pure, DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Reads a parameter declared by tfm.parameter";
  let description = [{
    Yields the current value of the named parameter. The result type is the
    parameter's type. Inside a `tfm.layer` (which is isolated from above)
    parameters are read this way, never captured.

    Example:

    ```mlir
    %w = tfm.param_ref @"layers.0.attention.query.weight" : tensor<12x64x768xf32>
    ```

    **Constraints:** the symbol names a `tfm.parameter` of the enclosing
    module and the result type equals that parameter's type.
  }];
  let arguments = (ins FlatSymbolRefAttr:$name);
  let results = (outs Tfm_ParameterTensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
  let extraClassDeclaration = [{
    /// buildVJP with the parameter already looked up: a differentiator
    /// that keeps a symbol table avoids a module scan per read.
    ::mlir::LogicalResult buildVJPFor(ParameterOp parameter,
                                      ::mlir::OpBuilder &builder,
                                      ::mlir::ArrayRef<::mlir::Value> resultGrads);
  }];
}

//===----------------------------------------------------------------------===//
// Structure
//===----------------------------------------------------------------------===//

def Tfm_LayerOp : Tfm_Op<"layer", [
    IsolatedFromAbove, SingleBlockImplicitTerminator<"YieldOp">,
    RecursiveMemoryEffects]> {
  let summary = "One transformer layer, a visible unit of the model";
  let description = [{
    Wraps the ops of one transformer layer. The region's block arguments
    take the operands (the hidden state, and the positions when the layer
    applies rotary embeddings); `tfm.yield` returns the layer's results.
    Layers are where pipeline-parallel stage boundaries may fall, and the
    unit that full activation recomputation stores inputs for. The region
    is isolated from above: a layer reads parameters with `tfm.param_ref`.

    The training derivation gives every layer a `backward` twin with the
    same index: it takes the values the forward layer saved for it (extra
    results of the forward layer) and the gradient of the layer's output,
    accumulates the gradients of the layer's parameters and returns the
    gradient of the layer's input. Pipeline schedules place the two
    independently.

    Example:

    ```mlir
    %h1 = tfm.layer 0 (%h0) : (tensor<8x128x256xf32>) -> tensor<8x128x256xf32> {
    ^bb0(%x: tensor<8x128x256xf32>):
      // ... attention and MLP ...
      tfm.yield %y : tensor<8x128x256xf32>
    }
    ```

    **Constraints:**
    * `index` is non-negative;
    * the block arguments have the operand types, the yielded values the
      result types.
  }];
  let arguments = (ins
    ConfinedAttr<I64Attr, [IntNonNegative]>:$index,
    UnitAttr:$backward,
    Variadic<AnyRankedTensor>:$inputs
  );
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $index (`backward` $backward^)? ` ` `(` $inputs `)` attr-dict `:`
    functional-type($inputs, $results)
    $body
  }];
  // Block arguments and yielded values are checked after the region traits
  // have made sure the body ends in tfm.yield.
  let hasRegionVerifier = 1;
  let skipDefaultBuilders = 1;
  let builders = [
    OpBuilder<(ins "int64_t":$index, "::mlir::ValueRange":$inputs,
                   "::mlir::TypeRange":$resultTypes,
                   CArg<"bool", "false">:$backward)>
  ];
}

def Tfm_YieldOp : Tfm_Op<"yield", [
    Pure, Terminator, ReturnLike, HasParent<"LayerOp">]> {
  let summary = "Returns the results of a tfm.layer";
  let description = [{
    Terminates a `tfm.layer` body; its operands become the layer's results.

    ```mlir
    tfm.yield %y : tensor<8x128x256xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyRankedTensor>:$values);
  let builders = [OpBuilder<(ins), [{ /* nothing to yield */ }]>];
  let assemblyFormat = "attr-dict ($values^ `:` type($values))?";
}

//===----------------------------------------------------------------------===//
// Embeddings and projections
//===----------------------------------------------------------------------===//

def Tfm_EmbeddingOp : Tfm_Op<"embedding", [DeclareOpInterfaceMethods<Tfm_VJPOpInterface>, Pure, Tfm_SameFloatElementType]> {
  let summary = "Looks up rows of an embedding table";
  let description = [{
    `result[i..., :] = table[ids[i...], :]`. Used for token embeddings
    (ids are tokens) and learned absolute position embeddings (ids are
    positions). An id outside `[0, rows)` is a runtime error.

    Example:

    ```mlir
    %e = tfm.embedding %wte[%tokens] : tensor<50304x768xf32>, tensor<4x1024xi32> -> tensor<4x1024x768xf32>
    ```

    **Constraints:** the table has rank 2; the result shape is the ids
    shape followed by the table's column count.
  }];
  let arguments = (ins Tfm_FloatTensor:$table, Tfm_IndexTensor:$ids,
                       OptionalAttr<StrAttr>:$vocab_shard_axis);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = [{
    $table `[` $ids `]` (`vocab_shard` $vocab_shard_axis^)? attr-dict `:`
    type($table) `,` type($ids) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tfm_MatmulOp : Tfm_Op<"matmul", [DeclareOpInterfaceMethods<Tfm_VJPOpInterface>, Pure, Tfm_SameFloatElementType]> {
  let summary = "Contracts the trailing dimensions of an input with a weight";
  let description = [{
    The linear layer of a transformer. With `n` contracting dimensions
    (default 1), input `x[b..., k...]` and weight `w[o..., k...]` (the
    `torch.nn.Linear` orientation: output dimensions first):

    `result[b..., o...] = sum over k... of x[b..., k...] * w[o..., k...]`

    Output dimensions keep heads separate, so a query projection is
    `[heads, head_dim, hidden]` and produces `[batch, seq, heads, head_dim]`,
    and the attention output projection contracts `(heads, head_dim)` with
    `n = 2`. A tensor-parallel partitioner splits an output dimension
    (column parallel) or a contracting dimension (row parallel, which leaves
    a partial sum); both are whole-dimension splits.

    Example:

    ```mlir
    %q = tfm.matmul %x, %wq : tensor<4x1024x768xf32>, tensor<12x64x768xf32> -> tensor<4x1024x12x64xf32>
    %o = tfm.matmul %a, %wo contracting 2 : tensor<4x1024x12x64xf32>, tensor<768x12x64xf32> -> tensor<4x1024x768xf32>
    ```

    **Constraints:** `1 <= n <= rank(x)`, `n < rank(w)`, the trailing `n`
    dimensions of `x` and `w` are equal, and the result shape is
    `x`'s leading dimensions followed by `w`'s leading dimensions.
  }];
  let arguments = (ins
    Tfm_FloatTensor:$input,
    Tfm_FloatTensor:$weight,
    OptionalAttr<ConfinedAttr<I64Attr, [IntMinValue<1>]>>:$contracting_dims
  );
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`contracting` $contracting_dims^)? attr-dict `:`
    type($input) `,` type($weight) `->` type($result)
  }];
  let extraClassDeclaration = [{
    /// Number of trailing dimensions contracted (1 when not stated).
    int64_t getNumContractingDims() {
      return getContractingDims() ? static_cast<int64_t>(*getContractingDims()) : 1;
    }
  }];
  let hasVerifier = 1;
}

def Tfm_BiasAddOp : Tfm_Op<"bias_add", [DeclareOpInterfaceMethods<Tfm_VJPOpInterface>, 
    Pure, Tfm_SameFloatElementType, AllTypesMatch<["input", "result"]>]> {
  let summary = "Adds a bias broadcast over the leading dimensions";
  let description = [{
    `result[b..., t...] = input[b..., t...] + bias[t...]`: the bias shape
    equals the input's trailing dimensions. Linear-layer biases use it (a
    query bias is `[heads, head_dim]`).

    Example:

    ```mlir
    %y = tfm.bias_add %x, %b : tensor<4x1024x12x64xf32>, tensor<12x64xf32>
    ```

    **Constraints:** `1 <= rank(bias) <= rank(input)` and the bias shape
    equals the input's trailing dimensions.
  }];
  let arguments = (ins Tfm_FloatTensor:$input, Tfm_FloatTensor:$bias);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $bias attr-dict `:` type($input) `,` type($bias)
  }];
  let hasVerifier = 1;
}

def Tfm_SplitHeadsOp : Tfm_Op<"split_heads", [DeclareOpInterfaceMethods<Tfm_VJPOpInterface>, Pure, Tfm_SameFloatElementType]> {
  let summary = "Splits the last dimension into (heads, head_dim)";
  let description = [{
    Reshapes `[..., heads * head_dim]` to `[..., heads, head_dim]`, heads
    outermost (the order of every GPT and Llama checkpoint). Used where a
    producer delivers heads merged, such as an imported fused projection.

    Example:

    ```mlir
    %h = tfm.split_heads %x : tensor<4x1024x768xf32> -> tensor<4x1024x12x64xf32>
    ```

    **Constraints:** the result has one more dimension than the input, the
    leading dimensions agree, and `heads * head_dim` equals the input's
    last dimension.
  }];
  let arguments = (ins Tfm_FloatTensor:$input);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Tfm_MergeHeadsOp : Tfm_Op<"merge_heads", [DeclareOpInterfaceMethods<Tfm_VJPOpInterface>, Pure, Tfm_SameFloatElementType]> {
  let summary = "Merges (heads, head_dim) into one dimension";
  let description = [{
    The inverse of `tfm.split_heads`: `[..., heads, head_dim]` to
    `[..., heads * head_dim]`.

    Example:

    ```mlir
    %m = tfm.merge_heads %a : tensor<4x1024x12x64xf32> -> tensor<4x1024x768xf32>
    ```

    **Constraints:** the input has rank at least 2, the result one dimension
    fewer, the leading dimensions agree, and the last result dimension is
    `heads * head_dim`.
  }];
  let arguments = (ins Tfm_FloatTensor:$input);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

def Tfm_LayerNormOp : Tfm_Op<"layer_norm", [DeclareOpInterfaceMethods<Tfm_VJPOpInterface>, 
    Pure, Tfm_SameFloatElementType, AllTypesMatch<["input", "result"]>]> {
  let summary = "Layer normalization over the last dimension";
  let description = [{
    `y = (x - mean(x)) / sqrt(var(x) + epsilon) * scale + bias` over the
    last dimension, with the biased variance (as `torch.nn.LayerNorm`). The
    bias is optional (`bias: false` models). With `zero_centered_gamma`
    (NeMo's `layernorm1p`, Megatron-core's `layernorm_zero_centered_gamma`)
    the stored scale is `w - 1` and the norm multiplies by `1 + scale`,
    added in f32 (or f64) inside the kernel.

    Example:

    ```mlir
    %y = tfm.layer_norm %x, %g, %b epsilon 1.000000e-05 : tensor<4x1024x768xf32>, tensor<768xf32>, tensor<768xf32>
    %z = tfm.layer_norm %x, %g, %b epsilon 1.000000e-05 zero_centered_gamma : tensor<4x1024x768xf32>, tensor<768xf32>, tensor<768xf32>
    ```

    **Constraints:** `scale` (and `bias`) are rank 1 with the size of the
    input's last dimension; `epsilon` is positive.
  }];
  let arguments = (ins
    Tfm_FloatTensor:$input,
    Tfm_FloatTensor:$scale,
    Optional<Tfm_FloatTensor>:$bias,
    F64Attr:$epsilon,
    UnitAttr:$zero_centered_gamma
  );
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale (`,` $bias^)? `epsilon` $epsilon
    (`zero_centered_gamma` $zero_centered_gamma^)? attr-dict `:`
    type($input) `,` type($scale) (`,` type($bias)^)?
  }];
  let hasVerifier = 1;
}

def Tfm_RMSNormOp : Tfm_Op<"rms_norm", [DeclareOpInterfaceMethods<Tfm_VJPOpInterface>, 
    Pure, Tfm_SameFloatElementType, AllTypesMatch<["input", "result"]>]> {
  let summary = "Root-mean-square normalization over the last dimension";
  let description = [{
    `y = x / sqrt(mean(x^2) + epsilon) * scale` over the last dimension
    (Llama's RMSNorm).

    Example:

    ```mlir
    %y = tfm.rms_norm %x, %g epsilon 1.000000e-05 : tensor<4x1024x768xf32>, tensor<768xf32>
    ```

    **Constraints:** `scale` is rank 1 with the size of the input's last
    dimension; `epsilon` is positive.
  }];
  let arguments = (ins Tfm_FloatTensor:$input, Tfm_FloatTensor:$scale,
                       F64Attr:$epsilon);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale `epsilon` $epsilon attr-dict `:` type($input) `,` type($scale)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

def Tfm_RotaryEmbeddingOp : Tfm_Op<"rotary_embedding", [DeclareOpInterfaceMethods<Tfm_VJPOpInterface>, 
    Pure, Tfm_SameFloatElementType, AllTypesMatch<["input", "result"]>]> {
  let summary = "Rotary position embedding (RoPE) of queries or keys";
  let description = [{
    Rotates the first `rotary_dims` entries of each head vector of
    `input[batch, seq, heads, head_dim]` by angles `position * base^(-2i/d)`
    (`d = rotary_dims`), pairing entry `i` with entry `i + d/2` (the
    "rotate half" convention of GPT-NeoX, Llama and Megatron-LM). The
    remaining `head_dim - rotary_dims` entries pass through. With `inverse`
    the rotation is by the negative angles: the op's own vector-Jacobian
    product, since a rotation's transpose is its inverse.

    Example:

    ```mlir
    %q2 = tfm.rotary_embedding %q, %positions base 1.000000e+04 dims 64 : tensor<4x1024x32x64xf32>, tensor<4x1024xi32>
    ```

    **Constraints:** the input has rank 4 and positions have its leading
    two dimensions; `rotary_dims` is even, positive and at most `head_dim`;
    `base` is greater than 1.
  }];
  let arguments = (ins
    Tfm_FloatTensor:$input,
    Tfm_IndexTensor:$positions,
    F64Attr:$base,
    ConfinedAttr<I64Attr, [IntMinValue<1>]>:$rotary_dims,
    UnitAttr:$inverse
  );
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $positions `base` $base `dims` $rotary_dims
    (`inverse` $inverse^)? attr-dict `:` type($input) `,` type($positions)
  }];
  let hasVerifier = 1;
}

def Tfm_AttentionOp : Tfm_Op<"attention", [DeclareOpInterfaceMethods<Tfm_VJPOpInterface>, Pure]> {
  let summary = "Scaled dot-product attention with grouped-query heads";
  let description = [{
    For `query[b, s, h, d]`, `key[b, t, g, d]` and `value[b, t, g, e]` with
    `h` a multiple of `g` (query head `i` reads key/value group
    `i / (h / g)`: multi-head attention when `g = h`, multi-query when
    `g = 1`):

    `result[b, s, h, :] = softmax_t(scale * q[b, s, h, :] . k[b, t, g, :] + mask) . v[b, t, g, :]`

    With `causal`, query `s` may attend keys `t <= s + (T - S)`, where `S`
    and `T` are the query and key lengths: the mask is aligned at the
    bottom right, so the same op serves training (`S = T`) and decoding
    with a key/value cache (`S < T`). `dropout` is the probability of
    zeroing an attention weight during training (NeMo's
    `attention_dropout`); `stream` names the random stream its mask is drawn
    from, so that `tfm.attention_grad` draws the same one. The op is one
    unit so that kernels can use online softmax (FlashAttention) and
    selective recomputation can recompute the attention core as a whole.

    The optional second result `lse[b, h, s]` (f32, f64 for f64 inputs) is
    the log-sum-exp of each query's scaled, masked scores: training saves it
    for the backward pass instead of the attention probabilities.

    Example:

    ```mlir
    %a = tfm.attention %q, %k, %v causal scale 1.250000e-01 : tensor<4x1024x32x64xf32>, tensor<4x1024x8x64xf32>, tensor<4x1024x8x64xf32> -> tensor<4x1024x32x64xf32>
    ```

    **Constraints:** all operands have rank 4; batch sizes agree; key and
    value agree in length and groups; query and key agree in `head_dim`;
    groups divide query heads; with `causal`, `S <= T`; `scale` is
    positive; `0 <= dropout < 1`; the result is `[b, s, h, e]` and `lse`
    is `[b, h, s]`.
  }];
  let arguments = (ins
    Tfm_FloatTensor:$query,
    Tfm_FloatTensor:$key,
    Tfm_FloatTensor:$value,
    UnitAttr:$causal,
    F64Attr:$scale,
    OptionalAttr<F64Attr>:$dropout,
    OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$rng_stream,
    OptionalAttr<StrAttr>:$head_shard_axis
  );
  let results = (outs Tfm_FloatTensor:$result, Optional<Tfm_LossTensor>:$lse);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`causal` $causal^)? `scale` $scale
    (`dropout` $dropout^)? (`stream` $rng_stream^)?
    (`head_shard` $head_shard_axis^)? attr-dict `:`
    type($query) `,` type($key) `,` type($value) `->` type($result)
    (`,` type($lse)^)?
  }];
  let extraClassDeclaration = [{
    /// Dropout probability on attention weights (0 when not stated).
    double getDropoutRate() {
      return getDropout() ? getDropout()->convertToDouble() : 0.0;
    }
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

def Tfm_CastOp : Tfm_Op<"cast", [DeclareOpInterfaceMethods<Tfm_VJPOpInterface>,
    Pure]> {
  let summary = "Converts a tensor to another float element type";
  let description = [{
    Converts every element to the result's element type: exactly when
    widening (bf16 or f16 to f32 or f64, f32 to f64), rounding to nearest,
    ties to even, when narrowing (f32 to bf16, as PyTorch's `.to(bfloat16)`
    does; values beyond the narrow type's range become infinities).

    Mixed precision makes its casts ops so that `--compile-to` shows them:
    under O1 the frontend casts each f32 parameter read to the compute type,
    and under O2 the training derivation casts each gradient of a bf16 or
    f16 parameter to f32 before it is accumulated in the f32 gradient slot.
    The vector-Jacobian product is the cast back. Nothing removes casts;
    each becomes a `Cast` instruction.

    Example:

    ```mlir
    %wb = tfm.cast %w : tensor<3072x768xf32> to tensor<3072x768xbf16>
    ```

    **Constraints:** the input and the result have the same shape and
    different element types among f32, bf16, f16 and f64.
  }];
  let arguments = (ins Tfm_FloatTensor:$input);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasVerifier = 1;
}

def Tfm_GeluOp : Tfm_Op<"gelu", [DeclareOpInterfaceMethods<Tfm_VJPOpInterface>, Pure, SameOperandsAndResultType]> {
  let summary = "Gaussian error linear unit";
  let description = [{
    `erf`: `x * 0.5 * (1 + erf(x / sqrt(2)))` (NeMo `gelu`).
    `tanh`: `0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))`
    (NeMo `fast-gelu`, GPT-2).

    Example:

    ```mlir
    %y = tfm.gelu tanh %x : tensor<4x1024x3072xf32>
    ```
  }];
  let arguments = (ins Tfm_GeluApproximation:$approximation,
                       Tfm_FloatTensor:$input);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = "$approximation $input attr-dict `:` type($input)";
}

def Tfm_SiluOp : Tfm_Op<"silu", [DeclareOpInterfaceMethods<Tfm_VJPOpInterface>, Pure, SameOperandsAndResultType]> {
  let summary = "Sigmoid linear unit, x * sigmoid(x)";
  let description = [{
    Example:

    ```mlir
    %y = tfm.silu %x : tensor<4x1024x11008xf32>
    ```
  }];
  let arguments = (ins Tfm_FloatTensor:$input);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Tfm_SwiGLUOp : Tfm_Op<"swiglu", [DeclareOpInterfaceMethods<Tfm_VJPOpInterface>, Pure, SameOperandsAndResultType]> {
  let summary = "Gated SiLU: silu(gate) * up";
  let description = [{
    The gated activation of Llama's MLP, `silu(gate) * up`, with the gate
    and up projections as separate operands (so a tensor-parallel split of
    the FFN dimension splits both alike).

    Example:

    ```mlir
    %h = tfm.swiglu %gate, %up : tensor<4x1024x11008xf32>
    ```
  }];
  let arguments = (ins Tfm_FloatTensor:$gate, Tfm_FloatTensor:$up);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = "$gate `,` $up attr-dict `:` type($result)";
}

def Tfm_DropoutOp : Tfm_Op<"dropout", [DeclareOpInterfaceMethods<Tfm_VJPOpInterface>, 
    Tfm_SameFloatElementType, AllTypesMatch<["input", "result"]>]> {
  let summary = "Zeroes elements with probability rate during training";
  let description = [{
    In training, each element is kept with probability `1 - rate` and
    scaled by `1 / (1 - rate)`; in evaluation and inference it is the
    identity. Not `Pure`: two dropouts of the same value draw different
    masks, unless they name the same random `stream`, which the training
    derivation assigns so that a dropout's vector-Jacobian product (the same
    dropout of the incoming gradient) reuses the forward mask. The mask of
    a stream is a function of the run's seed, the step, the micro-batch and
    the element index only.

    Example:

    ```mlir
    %y = tfm.dropout %x rate 1.000000e-01 : tensor<4x1024x768xf32>
    ```

    **Constraints:** `0 <= rate < 1`.
  }];
  let arguments = (ins
    Tfm_FloatTensor:$input,
    F64Attr:$rate,
    OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$rng_stream,
    OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$mask_split_dim,
    OptionalAttr<StrAttr>:$mask_split_axis
  );
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = [{
    $input `rate` $rate (`stream` $rng_stream^)?
    (`split` $mask_split_dim^ `over` $mask_split_axis)? attr-dict `:`
    type($input)
  }];
  let hasVerifier = 1;
}

def Tfm_AddOp : Tfm_Op<"add", [DeclareOpInterfaceMethods<Tfm_VJPOpInterface>, Pure, Commutative, SameOperandsAndResultType]> {
  let summary = "Elementwise sum, as in a residual connection";
  let description = [{
    Example:

    ```mlir
    %h = tfm.add %x, %attn_out : tensor<4x1024x768xf32>
    ```
  }];
  let arguments = (ins Tfm_FloatTensor:$lhs, Tfm_FloatTensor:$rhs);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Loss
//===----------------------------------------------------------------------===//

def Tfm_CrossEntropyOp : Tfm_Op<"cross_entropy", [DeclareOpInterfaceMethods<Tfm_VJPOpInterface>, Pure]> {
  let summary = "Softmax cross-entropy of logits against target ids";
  let description = [{
    Per position, `-log softmax(logits[i..., :])[labels[i...]]`, computed in
    at least f32 whatever the logits' type. `reduction` is `mean` (the
    training loss: mean next-token cross-entropy), `sum`, or `none` (the
    per-token losses, shaped like `labels`). A label of -1 is ignored: its
    position's loss and gradient are 0 and `mean` averages over the other
    positions (0 when there are none), which gives padding and answer-only
    losses. Any other label outside `[0, vocabulary)` is a runtime error.

    `valid_vocab` (optional) is the real vocabulary `V` of a padded one: the
    logits of ids `>= V` (Megatron's padding rows) are taken as -inf, so the
    softmax and the loss are those of the first `V` columns alone, and a
    label `>= V` is a runtime error. The frontend sets it when the tokenizer's
    vocabulary is smaller than `padded_vocab_size`; without it every column
    is real.

    Example:

    ```mlir
    %loss = tfm.cross_entropy mean %logits, %labels : tensor<4x1024x50304xbf16>, tensor<4x1024xi32> -> tensor<f32>
    %padded = tfm.cross_entropy mean %logits, %labels valid_vocab 50257 : tensor<4x1024x50304xbf16>, tensor<4x1024xi32> -> tensor<f32>
    ```

    **Constraints:** `labels` has the logits' shape without the last
    (vocabulary) dimension; the result is a rank-0 tensor for `mean` and
    `sum` and `labels`-shaped for `none`; the result element type is f32,
    or f64 for f64 logits; `valid_vocab` is in `[1, vocabulary]`.
  }];
  let arguments = (ins Tfm_Reduction:$reduction, Tfm_FloatTensor:$logits,
                       Tfm_IndexTensor:$labels,
                       OptionalAttr<I64Attr>:$valid_vocab);
  let results = (outs Tfm_LossTensor:$result);
  let assemblyFormat = [{
    $reduction $logits `,` $labels (`valid_vocab` $valid_vocab^)? attr-dict
    `:` type($logits) `,` type($labels) `->` type($result)
  }];
  let hasVerifier = 1;
}

include "dialects/tfm/IR/TfmTrainingOps.td"
include "dialects/tfm/IR/TfmFusedOps.td"
include "dialects/tfm/IR/TfmInferenceOps.td"
include "dialects/tfm/IR/TfmParallelOps.td"
include "dialects/tfm/IR/TfmPromptOps.td"
include "dialects/tfm/IR/TfmQuantizedOps.td"

#endif // STRATA_DIALECTS_TFM_IR_TFMOPS_TD
