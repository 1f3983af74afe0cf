// RUN: strata-opt %s -split-input-file -verify-diagnostics

func.func @undefined(%k: tensor<2x1x4x8xf32>, %p: tensor<2x1xi32>) {
  // expected-error @+1 {{'tfm.cache_write' op cache @missing does not name a tfm.kv_cache}}
  tfm.cache_write @missing, %k, %p : tensor<2x1x4x8xf32>, tensor<2x1xi32>
  return
}

// -----

tfm.parameter @w : tensor<2x16x4x8xf32> init <zeros>

func.func @wrong_kind(%k: tensor<2x1x4x8xf32>, %p: tensor<2x1xi32>) {
  // expected-error @+1 {{'tfm.cache_write' op cache @w does not name a tfm.kv_cache (it names a tfm.parameter)}}
  tfm.cache_write @w, %k, %p : tensor<2x1x4x8xf32>, tensor<2x1xi32>
  return
}

// -----

tfm.kv_cache @c : tensor<2x16x4x8xf32>

func.func @rank(%k: tensor<2x1x32xf32>, %p: tensor<2x1xi32>) {
  // expected-error @+1 {{'tfm.cache_write' op expected values of rank 4 [batch, seq, heads, head_dim], got 2x1x32}}
  tfm.cache_write @c, %k, %p : tensor<2x1x32xf32>, tensor<2x1xi32>
  return
}

// -----

tfm.kv_cache @c : tensor<2x16x4x8xf32>

func.func @positions_shape(%k: tensor<2x3x4x8xf32>, %p: tensor<2x1xi32>) {
  // expected-error @+1 {{'tfm.cache_write' op expected positions of shape 2x3 (the values's batch and length), got 2x1}}
  tfm.cache_write @c, %k, %p : tensor<2x3x4x8xf32>, tensor<2x1xi32>
  return
}

// -----

tfm.kv_cache @c : tensor<2x16x4x8xf32>

func.func @groups(%k: tensor<2x1x2x8xf32>, %p: tensor<2x1xi32>) {
  // expected-error @+1 {{'tfm.cache_write' op expected values of shape 2x?x4x8 (the batch, groups and head_dim of @c 2x16x4x8), got 2x1x2x8}}
  tfm.cache_write @c, %k, %p : tensor<2x1x2x8xf32>, tensor<2x1xi32>
  return
}

// -----

tfm.kv_cache @c : tensor<2x16x4x8xf32>

func.func @batch(%k: tensor<1x1x4x8xf32>, %p: tensor<1x1xi32>) {
  // expected-error @+1 {{'tfm.cache_write' op expected values of shape 2x?x4x8 (the batch, groups and head_dim of @c 2x16x4x8), got 1x1x4x8}}
  tfm.cache_write @c, %k, %p : tensor<1x1x4x8xf32>, tensor<1x1xi32>
  return
}

// -----

tfm.kv_cache @c : tensor<2x16x4x8xf32>

func.func @too_long(%k: tensor<2x17x4x8xf32>, %p: tensor<2x17xi32>) {
  // expected-error @+1 {{'tfm.cache_write' op expected at most 16 rows (the length of @c), got 17}}
  tfm.cache_write @c, %k, %p : tensor<2x17x4x8xf32>, tensor<2x17xi32>
  return
}

// -----

tfm.kv_cache @c : tensor<2x16x4x8xf32>

func.func @element_type(%k: tensor<2x1x4x8xbf16>, %p: tensor<2x1xi32>) {
  // expected-error @+1 {{'tfm.cache_write' op expected @c to have the values's element type 'bf16', got 'f32'}}
  tfm.cache_write @c, %k, %p : tensor<2x1x4x8xbf16>, tensor<2x1xi32>
  return
}

// -----

tfm.kv_cache @c : tensor<2x16x4x8xf32>

func.func @float_positions(%k: tensor<2x1x4x8xf32>, %p: tensor<2x1xf32>) {
  // expected-error @+1 {{'tfm.cache_write' op operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<2x1xf32>'}}
  tfm.cache_write @c, %k, %p : tensor<2x1x4x8xf32>, tensor<2x1xf32>
  return
}
