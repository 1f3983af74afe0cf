// RUN: strata-opt %s -split-input-file -verify-diagnostics

// Paged caches: pools [blocks, block_size, groups, head_dim] addressed
// through a block table [batch, W] i32.

tfm.kv_cache @c : tensor<8x4x2x8xf32>

func.func @table_rank(%k: tensor<2x1x2x8xf32>, %p: tensor<2x1xi32>, %t: tensor<8xi32>) {
  // expected-error @+1 {{'tfm.cache_write' op expected a block table of type tensor<BxWxi32> [batch, blocks per row], got 'tensor<8xi32>'}}
  tfm.cache_write @c, %k, %p block_table %t : tensor<2x1x2x8xf32>, tensor<2x1xi32>, tensor<8xi32>
  return
}

// -----

tfm.kv_cache @c : tensor<8x4x2x8xf32>

func.func @table_type(%k: tensor<2x1x2x8xf32>, %p: tensor<2x1xi32>, %t: tensor<2x4xi64>) {
  // expected-error @+1 {{'tfm.cache_write' op expected a block table of type tensor<BxWxi32> [batch, blocks per row], got 'tensor<2x4xi64>'}}
  tfm.cache_write @c, %k, %p block_table %t : tensor<2x1x2x8xf32>, tensor<2x1xi32>, tensor<2x4xi64>
  return
}

// -----

tfm.kv_cache @c : tensor<8x4x2x8xf32>

func.func @table_batch(%k: tensor<2x1x2x8xf32>, %p: tensor<2x1xi32>, %t: tensor<3x4xi32>) {
  // expected-error @+1 {{'tfm.cache_write' op expected a block table of 2 rows (the values's batch), got 3x4}}
  tfm.cache_write @c, %k, %p block_table %t : tensor<2x1x2x8xf32>, tensor<2x1xi32>, tensor<3x4xi32>
  return
}

// -----

// Two blocks of 4 per row address 8 positions: 9 values do not fit.
tfm.kv_cache @c : tensor<8x4x2x8xf32>

func.func @too_many_rows(%k: tensor<2x9x2x8xf32>, %p: tensor<2x9xi32>, %t: tensor<2x2xi32>) {
  // expected-error @+1 {{'tfm.cache_write' op expected at most 8 rows (the positions its block table addresses, blocks per row x block size, of @c), got 9}}
  tfm.cache_write @c, %k, %p block_table %t : tensor<2x9x2x8xf32>, tensor<2x9xi32>, tensor<2x2xi32>
  return
}

// -----

// The pool's first dimension is blocks, not the batch: 8 blocks serve 2
// rows; the groups must still agree.
tfm.kv_cache @c : tensor<8x4x3x8xf32>

func.func @groups(%k: tensor<2x1x2x8xf32>, %p: tensor<2x1xi32>, %t: tensor<2x4xi32>) {
  // expected-error @+1 {{'tfm.cache_write' op expected values of shape ?x?x3x8 (the groups and head_dim of @c 8x4x3x8), got 2x1x2x8}}
  tfm.cache_write @c, %k, %p block_table %t : tensor<2x1x2x8xf32>, tensor<2x1xi32>, tensor<2x4xi32>
  return
}

// -----

tfm.kv_cache @kc : tensor<8x4x2x8xf32>
tfm.kv_cache @vc : tensor<8x4x2x8xf32>

func.func @attention_table(%q: tensor<2x1x4x8xf32>, %p: tensor<2x1xi32>, %t: tensor<1x4xi32>) -> tensor<2x1x4x8xf32> {
  // expected-error @+1 {{'tfm.cached_attention' op expected a block table of 2 rows (the query's batch), got 1x4}}
  %a = tfm.cached_attention %q, @kc, @vc, %p block_table %t causal scale 1.0 : tensor<2x1x4x8xf32>, tensor<2x1xi32>, tensor<1x4xi32> -> tensor<2x1x4x8xf32>
  return %a : tensor<2x1x4x8xf32>
}

// -----

tfm.kv_cache @kc : tensor<8x4x2x8xf32>
tfm.kv_cache @vc : tensor<6x4x2x8xf32>

func.func @pools_differ(%q: tensor<2x1x4x8xf32>, %p: tensor<2x1xi32>, %t: tensor<2x4xi32>) -> tensor<2x1x4x8xf32> {
  // expected-error @+1 {{'tfm.cached_attention' op expected the key and value caches to agree in blocks, block size and groups, got key cache 8x4x2x8 and value cache 6x4x2x8}}
  %a = tfm.cached_attention %q, @kc, @vc, %p block_table %t causal scale 1.0 : tensor<2x1x4x8xf32>, tensor<2x1xi32>, tensor<2x4xi32> -> tensor<2x1x4x8xf32>
  return %a : tensor<2x1x4x8xf32>
}

// -----

tfm.kv_cache @kc : tensor<8x4x2x8xf32>
tfm.kv_cache @vc : tensor<8x4x2x8xf32>

func.func @query_length(%q: tensor<2x9x4x8xf32>, %p: tensor<2x9xi32>, %t: tensor<2x2xi32>) -> tensor<2x9x4x8xf32> {
  // expected-error @+1 {{'tfm.cached_attention' op expected query length 9 to be at most the cache length 8 (blocks per row x block size)}}
  %a = tfm.cached_attention %q, @kc, @vc, %p block_table %t causal scale 1.0 : tensor<2x9x4x8xf32>, tensor<2x9xi32>, tensor<2x2xi32> -> tensor<2x9x4x8xf32>
  return %a : tensor<2x9x4x8xf32>
}
