//===- TfmInferenceOps.td - tfm ops of KV-cache inference --*- tablegen -*-===//
//
// Part of Strata. SPDX-License-Identifier: Apache-2.0
//
// The ops the inference derivation (`strata-tfm-derive-inference`) creates:
// a key/value cache per attention layer, declared like a parameter, written
// at the positions of a call and read by attention. Prefill, chunked
// prefill and decode are all the same three ops at different query
// lengths. The frontend never emits them and they have no vector-Jacobian
// product: inference is not differentiated.
//
//===----------------------------------------------------------------------===//
#ifndef STRATA_DIALECTS_TFM_IR_TFMINFERENCEOPS_TD
#define STRATA_DIALECTS_TFM_IR_TFMINFERENCEOPS_TD

//===----------------------------------------------------------------------===//
// Caches
//===----------------------------------------------------------------------===//

def Tfm_KVCacheOp : Tfm_Op<"kv_cache", [
    Symbol, HasParent<"::mlir::ModuleOp">]> {
  let summary = "A named key or value cache of one attention layer";
  let description = [{
    Declares persistent state of inference as a module-level symbol, like
    `tfm.parameter`: `[batch, length, groups, head_dim]`, where `length` is
    the longest context a sequence may reach (the model's
    `max_position_embeddings`) and `groups` the key/value heads. Entry
    `[b, t]` holds the key (or value) of sequence `b` at position `t`.
    `tfm.cache_write` fills it and `tfm.cached_attention` reads it. Every
    function of the module shares the same caches, so a prefill call leaves
    the state that the decode calls after it extend.

    A paged cache (`strata-compile --kv-block-size N`, as in vLLM) is
    `[blocks, block_size, groups, head_dim]` instead: a pool of blocks of
    `block_size` positions that the ops using it address through a block
    table (`tfm.cache_write`), so rows of a batch share the pool and a
    sequence holds only the blocks its context needs. The op itself does
    not know which layout it has; its users' block tables say.

    Created by `strata-tfm-derive-inference`, two per attention layer,
    named `layers.N.attention.key_cache` and `layers.N.attention.value_cache`;
    the artifact makes each a buffer of category `KVCache`.

    Example:

    ```mlir
    tfm.kv_cache @"layers.0.attention.key_cache" : tensor<4x1024x8x64xf32>
    ```

    **Constraints:**
    * the type is a statically shaped rank-4 tensor of a float element type,
      with every dimension at least 1;
    * the op sits directly in the module.
  }];
  let arguments = (ins
    SymbolNameAttr:$sym_name,
    TypeAttrOf<Tfm_FloatTensor>:$type
  );
  let assemblyFormat = "$sym_name `:` $type attr-dict";
  let extraClassDeclaration = [{
    ::mlir::RankedTensorType getTensorType() {
      return ::llvm::cast<::mlir::RankedTensorType>(getType());
    }
    /// The block each rank holds once partitioned (the partitioner sets the
    /// discardable `dist.local_type`; under tensor parallelism a rank
    /// caches the key/value groups of its heads), the declared type before.
    ::mlir::RankedTensorType getLocalType() {
      if (auto local = (*this)->getAttrOfType<::mlir::TypeAttr>(
              "dist.local_type"))
        return ::llvm::cast<::mlir::RankedTensorType>(local.getValue());
      return getTensorType();
    }
  }];
  let hasVerifier = 1;
}

def Tfm_CacheWriteOp : Tfm_Op<"cache_write", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>,
    MemoryEffects<[MemWrite]>]> {
  let summary = "Writes keys or values into a cache at their positions";
  let description = [{
    For `values[b, s, g, d]` and `positions[b, s]`:
    `cache[b, positions[b, s], g, d] = values[b, s, g, d]`. The other
    entries of the cache keep their values. A position outside
    `[0, length)` is a runtime error (the runtime checks every position
    before it writes any).

    With a `block_table[b, w]` (i32) the cache is paged,
    `[blocks, block_size, groups, head_dim]`, and logical position `p` of
    row `b` lives in block `block_table[b, p / block_size]`, row
    `p % block_size`:
    `cache[block_table[b, p / N], p % N, g, d] = values[b, s, g, d]` with
    `p = positions[b, s]`, `N = block_size`. A row's logical length is
    `W * N` (`W` the table's width): a position outside `[0, W * N)` or a
    table entry the call reads outside `[0, blocks)` is a runtime error,
    checked before anything is written. Entries a call does not read are
    never checked (a row may leave unused slots at any value).

    Created by `strata-tfm-derive-inference` from the key and value operands
    of each `tfm.attention`, before the `tfm.cached_attention` that reads
    them; `positions` is the function's positions argument.

    Example:

    ```mlir
    tfm.cache_write @"layers.0.attention.key_cache", %k, %positions : tensor<4x1x8x64xf32>, tensor<4x1xi32>
    // Paged: 64 blocks of 16 positions, 8 table entries (128 positions) per row.
    tfm.cache_write @"layers.0.attention.key_cache", %k, %positions block_table %table : tensor<4x1x8x64xf32>, tensor<4x1xi32>, tensor<4x8xi32>
    ```

    **Constraints:**
    * the symbol names a `tfm.kv_cache`;
    * `values` has rank 4, the cache's groups, head_dim and element type;
      without a table the cache's batch and at most the cache's length in
      rows, with one at most `W * block_size` rows;
    * `positions` has the leading two dimensions of `values`;
    * `block_table` (optional) is `[batch, W]` i32, `batch` the values'.
  }];
  let arguments = (ins
    FlatSymbolRefAttr:$cache,
    Tfm_FloatTensor:$values,
    Tfm_IndexTensor:$positions,
    Optional<Tfm_IndexTensor>:$block_table
  );
  let assemblyFormat = [{
    $cache `,` $values `,` $positions (`block_table` $block_table^)?
    attr-dict `:` type($values) `,` type($positions)
    (`,` type($block_table)^)?
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

def Tfm_CachedAttentionOp : Tfm_Op<"cached_attention", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>,
    MemoryEffects<[MemRead]>, Tfm_SameFloatElementType]> {
  let summary = "Attention of queries over a key/value cache";
  let description = [{
    For `query[b, s, h, d]`, a key cache `K[b, t, g, d]` and a value cache
    `V[b, t, g, e]` with `h` a multiple of `g` (query head `i` reads group
    `i / (h / g)`, as in `tfm.attention`), query `(b, s)` attends the cached
    keys `t` in `[0, positions[b, s]]`:

    `result[b, s, h, :] = softmax_t(scale * q[b, s, h, :] . K[b, t, g, :]) . V[b, t, g, :]`

    The mask is position-causal: it follows the positions, not the row
    index, so the same op serves a prefill of a whole prompt, a chunk of a
    prompt (positions `[p, p + S)`) and the decoding of one token
    (`S = 1`); rows of one batch may sit at different positions. Its cost
    is proportional to the positions attended, not to the cache length. The
    keys and values of this call's own positions must have been written
    before (`tfm.cache_write`); the derivation orders the writes first. No
    dropout (inference) and no log-sum-exp (no backward pass).

    With a `block_table[b, w]` the caches are paged
    (`[blocks, block_size, groups, head_dim]`, see `tfm.cache_write`): key
    `t` of row `b` is `K[block_table[b, t / N], t % N]`. The logical cache
    length is then `W * N`; the runtime checks every position against it
    and every table entry the call reads (the blocks of keys
    `[0, positions[b, s]]`) against `[0, blocks)` before it reads any.

    Created by `strata-tfm-derive-inference` in place of `tfm.attention`;
    `causal` is required and kept explicit, as in `tfm.attention`.

    Example:

    ```mlir
    %a = tfm.cached_attention %q, @"layers.0.attention.key_cache", @"layers.0.attention.value_cache", %positions causal scale 1.250000e-01 : tensor<4x1x32x64xf32>, tensor<4x1xi32> -> tensor<4x1x32x64xf32>
    // Paged caches tensor<64x16x8x64xf32>, 8 blocks per row:
    %p = tfm.cached_attention %q, @"layers.0.attention.key_cache", @"layers.0.attention.value_cache", %positions block_table %table causal scale 1.250000e-01 : tensor<4x1x32x64xf32>, tensor<4x1xi32>, tensor<4x8xi32> -> tensor<4x1x32x64xf32>
    ```

    **Constraints:**
    * both symbols name `tfm.kv_cache` ops whose first three dimensions
      (batch, length, groups; paged: blocks, block_size, groups) agree, the
      key cache's head_dim equals the query's, and without a table its
      batch the query's;
    * groups divide the query heads;
    * the query length is at most the cache length (paged: `W *
      block_size`);
    * `positions` is `[batch, query length]`;
    * `block_table` (optional) is `[batch, W]` i32;
    * `causal` is set; `scale` is positive;
    * the result is `[batch, query length, heads, value head_dim]`; the
      query, caches and result share one element type.
  }];
  let arguments = (ins
    Tfm_FloatTensor:$query,
    FlatSymbolRefAttr:$key_cache,
    FlatSymbolRefAttr:$value_cache,
    Tfm_IndexTensor:$positions,
    Optional<Tfm_IndexTensor>:$block_table,
    UnitAttr:$causal,
    F64Attr:$scale
  );
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key_cache `,` $value_cache `,` $positions
    (`block_table` $block_table^)? (`causal` $causal^)? `scale` $scale
    attr-dict `:` type($query) `,` type($positions)
    (`,` type($block_table)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tfm_TakePositionsOp : Tfm_Op<"take_positions", [Pure]> {
  let summary = "One position of each batch row";
  let description = [{
    For `input[b, s, ...]` and `index[b]`:
    `result[b, 0, ...] = input[b, index[b], ...]`.

    A prefill only needs the logits of each prompt's last token, and prompts
    of one batch end at different positions: selecting each row's last
    hidden state before the final norm and the output projection saves the
    vocabulary-sized work of every other position.

    Created by `strata-tfm-derive-inference` in the `prefill` function (its
    `last` argument); lowered to the `TakePositions` kernel, which checks
    every index against the sequence length at run time.

    Example:

    ```mlir
    %h = tfm.take_positions %x, %last : tensor<4x16x768xf32>, tensor<4xi32> -> tensor<4x1x768xf32>
    ```

    **Constraints:** `input` has rank >= 2; `index` is `[batch]`; the result
    is `input`'s shape with the sequence dimension 1.
  }];
  let arguments = (ins Tfm_FloatTensor:$input, Tfm_IndexTensor:$index);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $index attr-dict `:` type($input) `,` type($index) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

#endif // STRATA_DIALECTS_TFM_IR_TFMINFERENCEOPS_TD
