//===- Passes.td - Strata's compiler passes ----------------*- tablegen -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// Grouped by phase; alphabetical within a group. Passes are thin wrappers:
// the algorithms live in plain C++ beside them (compiler/Autodiff,
// compiler/Planning).
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_COMPILER_TRANSFORMS_PASSES_TD
#define STRATA_COMPILER_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Phase "training"
//===----------------------------------------------------------------------===//

def DeriveTrainingPass : Pass<"strata-tfm-derive-training", "::mlir::ModuleOp"> {
  let summary = "Derives the training step from the model's forward function";
  let description = [{
    From the input phase's `forward(tokens, positions, labels) -> (logits,
    loss)`, builds the functions of one training step, all in the `tfm`
    dialect on global shapes:

    * `forward_backward(tokens, positions, labels, loss_scale) -> loss`: the
      forward pass, then its reverse-mode derivative (each op's
      vector-Jacobian product; every forward `tfm.layer` gets a `backward`
      twin), accumulating `loss_scale * d loss / d p` into the gradient slot
      of every trainable parameter `p`. Attention ops also return their
      log-sum-exp for the backward pass, and each dropout gets a random
      stream so its backward redraws the same mask. Ops that cannot reach
      the loss, and the gradients of frozen parameters, are removed.
    * `zero_grads()`: zeroes every gradient slot.
    * `prompt_tables() -> (table, ...)`, for p-tuning only: a copy of the ops
      of `forward` that compute each task's virtual-token table (its prompt
      encoder), dropout removed, each result named
      `prompt_table.<task>.weight`; the runtime writes them into checkpoints
      for inference (compiler/Inference/PromptTables.h).
    * `optimizer_step(lr, beta1, beta2, eps, weight_decay, max_grad_norm,
      step) -> grad_norm`: the global gradient norm, the clipping
      coefficient, and one `tfm.adamw` per trainable parameter.

    A step runs `zero_grads`, then `forward_backward` once per micro-batch
    with `loss_scale = 1 / micro_batches` (the module attribute
    `tfm.micro_batches`), then `optimizer_step`. `forward` stays for
    evaluation. The module's `tfm.phase` becomes `"training"`.

    Mixed precision (`tfm.config`'s `mixed_precision`): a gradient whose
    parameter has an f32 main parameter (O2) is cast to f32 (`tfm.cast`)
    before `tfm.accumulate_grad`, and `optimizer_step` updates the main
    parameter (`tfm.adamw ... main`) and rounds it into the parameter
    (`tfm.param_from_main`). Under f16 loss scaling (precision `16` with O1
    or O2) `optimizer_step` takes a last argument `loss_scale` (the dynamic
    scale; `forward_backward` then gets `loss_scale / micro_batches`),
    divides the norm and the clipping coefficient by it (`tfm.unscale`) and
    gives each `tfm.adamw` the norm to check (`if_finite`).

    Input:

    ```mlir
    func.func @forward(%tokens, %positions, %labels) -> (tensor<...>, tensor<f32>)
    ```

    Output (abridged):

    ```mlir
    func.func @forward_backward(%tokens, %positions, %labels, %loss_scale: tensor<f32>) -> tensor<f32> {
      %h, %saved = tfm.layer 0 (...) { ... }
      ...
      %dh = tfm.layer 0 backward (%saved, %dh1) { ... tfm.accumulate_grad @... }
      return %loss : tensor<f32>
    }
    ```
  }];
  let dependentDialects = ["::mlir::strata::tfm::TfmDialect",
                           "::mlir::func::FuncDialect"];
}

def RecomputeActivationsPass : Pass<"strata-tfm-recompute", "::mlir::ModuleOp"> {
  let summary = "Recomputes layers' activations in the backward pass instead of storing them";
  let description = [{
    Activation recomputation as NeMo and Megatron-LM configure it, read
    from the module's `tfm.config` (`activations_checkpoint_granularity`,
    `activations_checkpoint_method`, `activations_checkpoint_num_layers`).
    Runs after `strata-tfm-derive-training`, on `tfm.layer` regions intact
    (before or after `strata-partition`: it only relies on forward layers
    and their `backward` twins).

    * `full`: for each recompute group of consecutive layers, only the
      group's input (and the other values its first layer reads from
      outside, such as the positions) is kept for the backward pass. The
      forward layers yield their outputs only; the backward twin of the
      group's last layer, which runs first, takes the stored inputs,
      re-runs clones of the group's forward layer bodies, then its own
      backward ops, and hands the values the group's other backward layers
      read to them as extra results. Clones nothing reads (the layer
      output, and the ops only it needed) are removed again. Cloned ops
      keep their dropout
      `stream` numbers, so the recomputed values are bit for bit the
      forward pass's, and carry the unit attribute `tfm.recomputed`, which
      also keeps `cse` (after `strata-tfm-flatten-layers`) from merging
      them back into the forward ops. Groups: `uniform` with
      `activations_checkpoint_num_layers` n makes groups of n consecutive
      layers (layers 0..n-1, n..2n-1, ...; the last may be shorter), as
      Megatron-LM's uniform method does; `block` with n recomputes each of
      the first n layers on its own and leaves the others storing their
      activations (one pipeline stage: the first n layers of the model).
    * `selective`: Megatron-LM recomputes the attention core (QK^T,
      softmax, dropout, the product with V). `tfm.attention` is already
      fused FlashAttention-style: it keeps only the log-sum-exp, never the
      [batch, heads, seq, seq] probabilities, and its backward redraws the
      dropout mask from its stream, so the attention core stores nothing
      to recompute; the pass leaves the module unchanged.
    * null (the default): nothing changes.

    Only functions with backward layers change (`forward_backward`; the
    evaluation function `forward` keeps its layers), and a function that
    already has `tfm.recomputed` ops is not rewritten again.
    `strata-compile` runs the pass in its `training` phase, right after
    `strata-tfm-derive-training` and before partitioning, which then gives
    the recomputed ops their collectives like any others. The algorithms
    are plain functions in
    `compiler/Recompute/RecomputePolicy.h` and `LayerRecompute.h`.

    Input (`uniform`, n = 1; abridged):

    ```mlir
    %h:3 = tfm.layer 0 (%x) : (tensor<2x3x6xf32>) -> (tensor<2x3x6xf32>, tensor<2x3x6xf32>, tensor<2x3x6xf32>) {
    ^bb0(%in: tensor<2x3x6xf32>):
      %n = tfm.rms_norm %in, %g epsilon 1.000000e-05 : tensor<2x3x6xf32>, tensor<6xf32>
      %d = tfm.dropout %n rate 1.000000e-01 stream 0 : tensor<2x3x6xf32>
      %y = tfm.matmul %d, %w : tensor<2x3x6xf32>, tensor<6x6xf32> -> tensor<2x3x6xf32>
      ...
      tfm.yield %r, %y, %d : tensor<2x3x6xf32>, tensor<2x3x6xf32>, tensor<2x3x6xf32>
    }
    ...
    %dx = tfm.layer 0 backward (%h#1, %h#2, %x, %dh) : ... {
    ^bb0(%y: tensor<2x3x6xf32>, %d: tensor<2x3x6xf32>, %in: tensor<2x3x6xf32>, %dy: tensor<2x3x6xf32>):
      %dz = tfm.silu_grad %y, %dy : tensor<2x3x6xf32>
      ...
    }
    ```

    Output:

    ```mlir
    %h = tfm.layer 0 (%x) : (tensor<2x3x6xf32>) -> tensor<2x3x6xf32> {
      ...
      tfm.yield %r : tensor<2x3x6xf32>
    }
    ...
    %dx = tfm.layer 0 backward (%x, %dh) : (tensor<2x3x6xf32>, tensor<2x3x6xf32>) -> tensor<2x3x6xf32> {
    ^bb0(%in: tensor<2x3x6xf32>, %dy: tensor<2x3x6xf32>):
      %n = tfm.rms_norm %in, %g epsilon 1.000000e-05 {tfm.recomputed} : tensor<2x3x6xf32>, tensor<6xf32>
      %d = tfm.dropout %n rate 1.000000e-01 stream 0 {tfm.recomputed} : tensor<2x3x6xf32>
      %y = tfm.matmul %d, %w {tfm.recomputed} : tensor<2x3x6xf32>, tensor<6x6xf32> -> tensor<2x3x6xf32>
      %dz = tfm.silu_grad %y, %dy : tensor<2x3x6xf32>
      ...
    }
    ```
  }];
  let dependentDialects = ["::mlir::strata::tfm::TfmDialect"];
}

//===----------------------------------------------------------------------===//
// Phase "inference"
//===----------------------------------------------------------------------===//

def DeriveInferencePass : Pass<"strata-tfm-derive-inference", "::mlir::ModuleOp"> {
  let summary = "Derives KV-cache inference functions from input-phase functions";
  let description = [{
    Turns each function of the module (or those named by `functions`) from
    the input phase's `(tokens, positions, labels) -> (logits, loss)` into
    `(tokens, positions) -> logits` that keeps the keys and values of every
    attention layer in a key/value cache:

    * the loss (`tfm.cross_entropy` of the returned logits) and the labels
      argument are removed; `tfm.dropout` becomes the identity; other
      inputs stay (a prompt-learning model's `virtual_tokens`);
    * each layer's attention gets two `tfm.kv_cache` symbols,
      `layers.N.attention.key_cache` and `layers.N.attention.value_cache`,
      `[batch, cache-length, groups, head_dim]`, declared once per module
      and shared by all its functions;
    * `tfm.attention %q, %k, %v` becomes `tfm.cache_write` of `%k` and of
      `%v` at the function's `positions`, then `tfm.cached_attention` of
      `%q` over the two caches (the writes first, so each query attends its
      own key).

    `strata-compile --mode infer` emits the model twice, at the prefill
    chunk length and at length 1, names the functions `prefill` and
    `decode`, and runs this pass on both: prefill, chunked prefill and
    decoding are then the same ops, and a decode step costs time
    proportional to the context instead of its square. Works on `tfm.layer`
    regions (a layer that did not take the positions gets them as an extra
    operand) and on flattened functions. The module's `tfm.phase` becomes
    `"inference"`. The rewrites are plain functions in
    `compiler/Inference/InferenceDerivation.h`.

    With `kv-block-size=N` the caches are paged (vLLM's layout): each is a
    pool `[kv-blocks, N, groups, head_dim]`, every function takes a
    `block_table` `[batch, W]` i32 argument right after `positions`
    (`W = ceil(cache-length / N)`), and the cache ops address position `t`
    of row `b` as block `block_table[b, t / N]`, row `t % N`.

    Input:

    ```mlir
    func.func @decode(%tokens: tensor<2x1xi32>, %positions: tensor<2x1xi32> {tfm.name = "positions"}, %labels: tensor<2x1xi32>) -> (tensor<2x1x11xf32>, tensor<f32>) {
      ...
      %a = tfm.attention %q, %k, %v causal scale 0.5 : ...
      ...
      %loss = tfm.cross_entropy mean %logits, %labels : ...
      return %logits, %loss : tensor<2x1x11xf32>, tensor<f32>
    }
    ```

    Output:

    ```mlir
    tfm.kv_cache @"layers.0.attention.key_cache" : tensor<2x16x2x4xf32>
    tfm.kv_cache @"layers.0.attention.value_cache" : tensor<2x16x2x4xf32>
    func.func @decode(%tokens: tensor<2x1xi32>, %positions: tensor<2x1xi32> {tfm.name = "positions"}) -> tensor<2x1x11xf32> {
      ...
      tfm.cache_write @"layers.0.attention.key_cache", %k, %positions : ...
      tfm.cache_write @"layers.0.attention.value_cache", %v, %positions : ...
      %a = tfm.cached_attention %q, @"layers.0.attention.key_cache", @"layers.0.attention.value_cache", %positions causal scale 0.5 : ...
      ...
      return %logits : tensor<2x1x11xf32>
    }
    ```
  }];
  let options = [
    ListOption<"functions", "functions", "std::string",
               "Names of the functions to derive (default: every function)">,
    Option<"cacheLength", "cache-length", "int64_t", /*default=*/"0",
           "Positions each cache holds (default: the module's "
           "tfm.config max_position_embeddings)">,
    Option<"kvBlockSize", "kv-block-size", "int64_t", /*default=*/"0",
           "Page the caches: blocks of this many positions, addressed "
           "through a block_table argument (default 0: unpaged)">,
    Option<"kvBlocks", "kv-blocks", "int64_t", /*default=*/"0",
           "Blocks in each paged cache's pool (default: batch x "
           "ceil(cache-length / kv-block-size))">,
  ];
  let dependentDialects = ["::mlir::strata::tfm::TfmDialect",
                           "::mlir::func::FuncDialect"];
}

def QuantizeWeightsPass : Pass<"strata-tfm-quantize-weights", "::mlir::ModuleOp"> {
  let summary = "Stores the weights of linear layers and the token embedding as int8";
  let description = [{
    Int8 weight-only quantization for inference (`strata-compile --mode
    infer --quantize int8-weight-only`). A parameter is quantized when
    every read of it is the weight of a `tfm.matmul` or the table of a
    `tfm.embedding`, and at least one read is a matmul weight or a lookup
    of the function's tokens (its first argument): the attention query,
    key, value and output projections, the MLP's fc1/fc2 (gate/up/fc2), the
    token embedding (which GPT-2 ties to the output layer) and an untied
    output layer. Norm weights, biases and the position embedding keep the
    model's type.

    Each such parameter `@w : tensor<o... x k... x T>` becomes
    `tensor<o... x k... x i8>` with `scales @w_scale`, a new f32 parameter
    of its output dimensions `o...` (the rows of an embedding table); each
    matmul becomes `tfm.quantized_matmul` and each lookup
    `tfm.quantized_embedding`. The runtime fills both parameters from the
    f32 weight when a checkpoint loads: per output channel, scale =
    max |w| / 127 and q = round(w / scale) clamped to [-127, 127].

    Runs after `strata-tfm-derive-inference` and before partitioning:
    `strata-partition` splits the scales with a column-parallel weight's
    output dimension and replicates them beside a row-parallel one. A
    parameter that is trainable (a training module) is refused. The rewrite
    is in `compiler/Inference/WeightQuantization.h`.

    Input:

    ```mlir
    tfm.parameter @"layers.0.mlp.fc2.weight" : tensor<8x16xf32> init <normal, std = 2.000000e-02>
    func.func @decode(%x: tensor<2x1x16xf32>) -> tensor<2x1x8xf32> {
      %w = tfm.param_ref @"layers.0.mlp.fc2.weight" : tensor<8x16xf32>
      %y = tfm.matmul %x, %w : tensor<2x1x16xf32>, tensor<8x16xf32> -> tensor<2x1x8xf32>
      return %y : tensor<2x1x8xf32>
    }
    ```

    Output:

    ```mlir
    tfm.parameter @"layers.0.mlp.fc2.weight" : tensor<8x16xi8> init <normal, std = 2.000000e-02> scales @"layers.0.mlp.fc2.weight_scale"
    tfm.parameter @"layers.0.mlp.fc2.weight_scale" : tensor<8xf32> init <ones>
    func.func @decode(%x: tensor<2x1x16xf32>) -> tensor<2x1x8xf32> {
      %w = tfm.param_ref @"layers.0.mlp.fc2.weight" : tensor<8x16xi8>
      %s = tfm.param_ref @"layers.0.mlp.fc2.weight_scale" : tensor<8xf32>
      %y = tfm.quantized_matmul %x, %w scales %s : tensor<2x1x16xf32>, tensor<8x16xi8>, tensor<8xf32> -> tensor<2x1x8xf32>
      return %y : tensor<2x1x8xf32>
    }
    ```
  }];
  let options = [
    Option<"scheme", "scheme", "std::string", /*default=*/"\"int8-weight-only\"",
           "The quantization scheme; int8-weight-only is the only one">,
  ];
  let dependentDialects = ["::mlir::strata::tfm::TfmDialect"];
}

//===----------------------------------------------------------------------===//
// Phase "fused"
//===----------------------------------------------------------------------===//

def FuseElementwisePass : Pass<"strata-tfm-fuse-elementwise", "::mlir::ModuleOp"> {
  let summary = "Fuses the elementwise chains after linear-layer biases";
  let description = [{
    Rewrites, forward and backward, the chains of elementwise ops that
    follow a `tfm.bias_add` into one fused op each, so that the chain reads
    and writes its tensors once:

    * `tfm.bias_add` then `tfm.gelu` becomes `tfm.bias_gelu`; each
      `tfm.gelu_grad` of the pre-activation, with the `tfm.bias_grad` of its
      result, becomes `tfm.bias_gelu_grad`, which recomputes the
      pre-activation from the bias input (so the bias input is kept for the
      backward pass instead of the pre-activation: the same size);
    * `tfm.bias_add`, an optional `tfm.dropout`, then `tfm.add` becomes
      `tfm.bias_dropout_add` with the dropout's rate and stream (rate 0
      without a dropout);
    * `tfm.dropout` (in training, the backward of a forward dropout) whose
      result a `tfm.bias_grad` reads becomes `tfm.bias_dropout_add_grad`.

    A chain is fused only when no intermediate value has another reader
    (for GELU: only `tfm.gelu` and `tfm.gelu_grad` read the
    pre-activation), so fusion never keeps an intermediate tensor alive.
    Every rewrite is exact, dropout masks included. The pass works on
    flattened functions and inside `tfm.layer` regions alike: when a forward
    layer saves the pre-activation for its backward twin, the layer saves
    the bias input instead and the backward layer re-reads the bias
    parameter. Models without biases (Llama) are left as they are. Fused
    ops keep the location of the op whose result they produce.

    The artifact pipeline (`compiler/Lowering/PlannedProgram.cpp`) runs it
    after `strata-tfm-flatten-layers` and before `cse` and buffer
    assignment. The rewrites are plain functions in
    `compiler/Fusion/ElementwiseFusion.h`.

    Input:

    ```mlir
    %u = tfm.bias_add %x, %b : tensor<2x3x8xf32>, tensor<8xf32>
    %y = tfm.gelu tanh %u : tensor<2x3x8xf32>
    ...
    %du = tfm.gelu_grad tanh %u, %dy : tensor<2x3x8xf32>
    %db = tfm.bias_grad %du : tensor<2x3x8xf32> -> tensor<8xf32>
    ```

    Output:

    ```mlir
    %y = tfm.bias_gelu tanh %x, %b : tensor<2x3x8xf32>, tensor<8xf32>
    ...
    %du, %db = tfm.bias_gelu_grad tanh %x, %b, %dy : tensor<2x3x8xf32>, tensor<8xf32>
    ```
  }];
  let dependentDialects = ["::mlir::strata::tfm::TfmDialect"];
}

//===----------------------------------------------------------------------===//
// Phase "scheduled"
//===----------------------------------------------------------------------===//

def FlattenLayersPass : Pass<"strata-tfm-flatten-layers", "::mlir::ModuleOp"> {
  let summary = "Inlines every tfm.layer region into its function";
  let description = [{
    Layers are units for the passes that place or recompute them (pipeline
    stages, activation recomputation); once those have run, the executable
    program is a flat instruction list. This pass replaces each `tfm.layer`
    (forward or backward) by the ops of its body, with the block arguments
    replaced by the layer's operands and the layer's results by the yielded
    values. Parameter reads repeated in several layers' bodies become
    identical ops that `cse` merges.

    Input:

    ```mlir
    %h = tfm.layer 0 (%x) : (tensor<2x3x6xf32>) -> tensor<2x3x6xf32> {
    ^bb0(%in: tensor<2x3x6xf32>):
      %y = tfm.silu %in : tensor<2x3x6xf32>
      tfm.yield %y : tensor<2x3x6xf32>
    }
    ```

    Output:

    ```mlir
    %h = tfm.silu %x : tensor<2x3x6xf32>
    ```
  }];
  let dependentDialects = ["::mlir::strata::tfm::TfmDialect"];
}

//===----------------------------------------------------------------------===//
// Partitioning
//===----------------------------------------------------------------------===//

def PartitionPass : Pass<"strata-partition", "::mlir::ModuleOp"> {
  let summary = "Splits the program over the device mesh (tensor, sequence and data parallelism)";
  let description = [{
    Turns a module on global shapes into the program each rank runs, for the
    mesh of the module's `tfm.config` (`data_parallel_size`,
    `pipeline_model_parallel_size`, `tensor_model_parallel_size`; the
    pipeline stages are cut afterwards by `strata-pipeline`). Runs after the
    training or inference phase, on `tfm.layer` regions intact.

    1. Declares `dist.mesh @mesh axes = ["dp", "pp", "tp"]` and splits the
       parameters by Megatron-LM's layout: query/key/value and MLP
       up-projections by output features (heads), attention output and MLP
       down-projections by input features, word embeddings and an untied
       output layer by vocabulary. Each `tfm.parameter` gets `dist.sharding`
       and `dist.local_type` (the block a rank holds).
    2. Propagates dimension splits through each function, forward and
       backward, with the ops' `ShardingRuleOpInterface`, until nothing
       changes.
    3. In program order, decides how each op runs: a split contracted
       dimension leaves a partial sum; `dist.all_reduce` is inserted only
       where a consumer needs the full value (a bias, a norm, a residual
       add), and `dist.all_gather` where one needs a whole dimension. Every
       value gets its local type. Embedding lookups of a split vocabulary
       get `vocab_shard`, attention over split heads `head_shard` (dropout
       masks by global head); `tfm.cross_entropy` of vocabulary-split logits
       becomes `tfm.vocab_parallel_stats`, an all-gather of 3 numbers per
       position and rank, and `tfm.vocab_parallel_loss` (its gradient
       `tfm.vocab_parallel_cross_entropy_grad`), so no rank holds the full
       logits; `tfm.grad_norm` adds the all-reduced sum of squares of the
       split gradients (`tfm.grad_square_sum`) to that of the whole ones.

    Per transformer layer this yields Megatron-LM's collectives: one
    all-reduce after the attention output projection and one after the MLP
    down-projection in the forward pass, one before each of the two norms'
    gradients in the backward pass. A mesh of one rank leaves the module
    unchanged. Splits that do not divide are errors, never truncation.
  }];
  let dependentDialects = ["::mlir::strata::tfm::TfmDialect",
                           "::mlir::strata::dist::DistDialect"];
}

def PipelineStagesPass : Pass<"strata-pipeline", "::mlir::ModuleOp"> {
  let summary = "Cuts the partitioned program into one program per pipeline stage";
  let description = [{
    Runs after `strata-partition` when `pipeline_model_parallel_size` (pp) is
    above 1 (otherwise it leaves the module alone). The module's body is
    replaced by pp nested modules, `module @stage<s> attributes
    {dist.pipeline_stage = s}`, each the complete program of the ranks with
    pp coordinate s:

    1. The layers are cut into pp x v contiguous chunks (v =
       `virtual_pipeline_model_parallel_size`) that minimize the slowest
       chunk's cost (the forward flops of its layers; the embedding counts
       on the first chunk, the head and loss on the last). Chunk g runs on
       stage g mod pp as its local chunk g / pp: v > 1 is the interleaved
       schedule, which needs the micro-batches per step to be a multiple of
       pp.
    2. `forward` becomes `forward.<c>` per local chunk, `forward_backward`
       becomes `forward_step.<c>` (the chunk's forward pass, returning its
       *saved values*: what its backward pass reads) and `backward_step.<c>`
       (forward_backward's arguments, then the saved values). Values that
       cross to the next chunk forward, or to the previous chunk backward,
       become `dist.send` / `dist.recv` pairs over the pp axis, one tag per
       value; parameter reads are repeated where they are used.
    3. Each stage keeps the parameters its pieces use; a parameter two
       stages use (tied word embeddings) carries `dist.shared_with_stage` on
       both, and the runtime sums the two gradient copies before the update.
    4. `zero_grads`, `reduce_gradients` and `optimizer_step` keep the
       stage's parameters; the gradient norm sums every stage's sum of
       squares with a `dist.all_reduce` over pp (a shared parameter counts
       once, on its lower stage).
    5. A training stage records in `dist.pipeline_stash_slots` how many
       micro-batches each chunk keeps in flight between its forward and
       backward steps under the runtime's schedule (for the module's
       micro-batches per step): buffer assignment gives each such stash slot
       its own saved-value buffers in the arena, and the artifact one variant
       of the chunk's step functions per slot.

    The runtime runs the pieces in the 1F1B (or interleaved) order, each
    micro-batch's steps in its stash slot (docs/parallelism.md).
  }];
  let dependentDialects = ["::mlir::strata::tfm::TfmDialect",
                           "::mlir::strata::dist::DistDialect"];
}

#endif // STRATA_COMPILER_TRANSFORMS_PASSES_TD
