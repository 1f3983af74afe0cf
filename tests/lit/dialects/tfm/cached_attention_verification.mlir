// RUN: strata-opt %s -split-input-file -verify-diagnostics

tfm.kv_cache @kc : tensor<2x16x2x8xf32>

func.func @undefined_value_cache(%q: tensor<2x1x4x8xf32>, %p: tensor<2x1xi32>) -> tensor<2x1x4x8xf32> {
  // expected-error @+1 {{'tfm.cached_attention' op value cache @vc does not name a tfm.kv_cache}}
  %a = tfm.cached_attention %q, @kc, @vc, %p causal scale 0.35 : tensor<2x1x4x8xf32>, tensor<2x1xi32> -> tensor<2x1x4x8xf32>
  return %a : tensor<2x1x4x8xf32>
}

// -----

func.func private @kc()
tfm.kv_cache @vc : tensor<2x16x2x8xf32>

func.func @wrong_kind(%q: tensor<2x1x4x8xf32>, %p: tensor<2x1xi32>) -> tensor<2x1x4x8xf32> {
  // expected-error @+1 {{'tfm.cached_attention' op key cache @kc does not name a tfm.kv_cache (it names a func.func)}}
  %a = tfm.cached_attention %q, @kc, @vc, %p causal scale 0.35 : tensor<2x1x4x8xf32>, tensor<2x1xi32> -> tensor<2x1x4x8xf32>
  return %a : tensor<2x1x4x8xf32>
}

// -----

tfm.kv_cache @kc : tensor<2x16x2x8xf32>
tfm.kv_cache @vc : tensor<2x16x2x8xf32>

func.func @not_causal(%q: tensor<2x1x4x8xf32>, %p: tensor<2x1xi32>) -> tensor<2x1x4x8xf32> {
  // expected-error @+1 {{'tfm.cached_attention' op expected causal: a query attends the cached keys up to its own position}}
  %a = tfm.cached_attention %q, @kc, @vc, %p scale 0.35 : tensor<2x1x4x8xf32>, tensor<2x1xi32> -> tensor<2x1x4x8xf32>
  return %a : tensor<2x1x4x8xf32>
}

// -----

tfm.kv_cache @kc : tensor<2x16x2x8xf32>
tfm.kv_cache @vc : tensor<2x16x2x8xf32>

func.func @scale(%q: tensor<2x1x4x8xf32>, %p: tensor<2x1xi32>) -> tensor<2x1x4x8xf32> {
  // expected-error @+1 {{'tfm.cached_attention' op expected a positive, finite scale, got -1}}
  %a = tfm.cached_attention %q, @kc, @vc, %p causal scale -1.0 : tensor<2x1x4x8xf32>, tensor<2x1xi32> -> tensor<2x1x4x8xf32>
  return %a : tensor<2x1x4x8xf32>
}

// -----

tfm.kv_cache @kc : tensor<2x16x2x8xf32>
tfm.kv_cache @vc : tensor<2x16x2x8xf32>

func.func @positions(%q: tensor<2x3x4x8xf32>, %p: tensor<2x1xi32>) -> tensor<2x3x4x8xf32> {
  // expected-error @+1 {{'tfm.cached_attention' op expected positions of shape 2x3 (the query's batch and length), got 2x1}}
  %a = tfm.cached_attention %q, @kc, @vc, %p causal scale 0.35 : tensor<2x3x4x8xf32>, tensor<2x1xi32> -> tensor<2x3x4x8xf32>
  return %a : tensor<2x3x4x8xf32>
}

// -----

tfm.kv_cache @kc : tensor<2x16x2x8xf32>
tfm.kv_cache @vc : tensor<2x16x2x8xf32>

func.func @result(%q: tensor<2x1x4x8xf32>, %p: tensor<2x1xi32>) -> tensor<2x1x2x8xf32> {
  // expected-error @+1 {{'tfm.cached_attention' op expected a result of shape 2x1x4x? [batch, query length, heads, value head_dim], got 2x1x2x8}}
  %a = tfm.cached_attention %q, @kc, @vc, %p causal scale 0.35 : tensor<2x1x4x8xf32>, tensor<2x1xi32> -> tensor<2x1x2x8xf32>
  return %a : tensor<2x1x2x8xf32>
}

// -----

tfm.kv_cache @kc : tensor<2x16x2x8xf32>
tfm.kv_cache @vc : tensor<2x16x2x6xf32>

func.func @value_dim(%q: tensor<2x1x4x8xf32>, %p: tensor<2x1xi32>) -> tensor<2x1x4x8xf32> {
  // expected-error @+1 {{'tfm.cached_attention' op expected result head_dim 6 (the value cache's), got 8}}
  %a = tfm.cached_attention %q, @kc, @vc, %p causal scale 0.35 : tensor<2x1x4x8xf32>, tensor<2x1xi32> -> tensor<2x1x4x8xf32>
  return %a : tensor<2x1x4x8xf32>
}

// -----

tfm.kv_cache @kc : tensor<2x16x2x4xf32>
tfm.kv_cache @vc : tensor<2x16x2x8xf32>

func.func @head_dim(%q: tensor<2x1x4x8xf32>, %p: tensor<2x1xi32>) -> tensor<2x1x4x8xf32> {
  // expected-error @+1 {{'tfm.cached_attention' op expected key cache @kc 2x16x2x4 to have the query's batch 2 and head_dim 8}}
  %a = tfm.cached_attention %q, @kc, @vc, %p causal scale 0.35 : tensor<2x1x4x8xf32>, tensor<2x1xi32> -> tensor<2x1x4x8xf32>
  return %a : tensor<2x1x4x8xf32>
}

// -----

tfm.kv_cache @kc : tensor<2x16x2x8xf32>
tfm.kv_cache @vc : tensor<2x12x2x8xf32>

func.func @cache_lengths(%q: tensor<2x1x4x8xf32>, %p: tensor<2x1xi32>) -> tensor<2x1x4x8xf32> {
  // expected-error @+1 {{'tfm.cached_attention' op expected the key and value caches to agree in batch, length and groups, got key cache 2x16x2x8 and value cache 2x12x2x8}}
  %a = tfm.cached_attention %q, @kc, @vc, %p causal scale 0.35 : tensor<2x1x4x8xf32>, tensor<2x1xi32> -> tensor<2x1x4x8xf32>
  return %a : tensor<2x1x4x8xf32>
}

// -----

tfm.kv_cache @kc : tensor<2x16x3x8xf32>
tfm.kv_cache @vc : tensor<2x16x3x8xf32>

func.func @groups(%q: tensor<2x1x4x8xf32>, %p: tensor<2x1xi32>) -> tensor<2x1x4x8xf32> {
  // expected-error @+1 {{'tfm.cached_attention' op expected 4 query heads to be divisible by 3 key/value groups}}
  %a = tfm.cached_attention %q, @kc, @vc, %p causal scale 0.35 : tensor<2x1x4x8xf32>, tensor<2x1xi32> -> tensor<2x1x4x8xf32>
  return %a : tensor<2x1x4x8xf32>
}

// -----

tfm.kv_cache @kc : tensor<1x4x2x8xf32>
tfm.kv_cache @vc : tensor<1x4x2x8xf32>

func.func @too_many_queries(%q: tensor<1x5x4x8xf32>, %p: tensor<1x5xi32>) -> tensor<1x5x4x8xf32> {
  // expected-error @+1 {{'tfm.cached_attention' op expected query length 5 to be at most the cache length 4}}
  %a = tfm.cached_attention %q, @kc, @vc, %p causal scale 0.35 : tensor<1x5x4x8xf32>, tensor<1x5xi32> -> tensor<1x5x4x8xf32>
  return %a : tensor<1x5x4x8xf32>
}

// -----

tfm.kv_cache @kc : tensor<2x16x2x8xbf16>
tfm.kv_cache @vc : tensor<2x16x2x8xbf16>

func.func @element_type(%q: tensor<2x1x4x8xf32>, %p: tensor<2x1xi32>) -> tensor<2x1x4x8xf32> {
  // expected-error @+1 {{'tfm.cached_attention' op expected @kc to have the query's element type 'f32', got 'bf16'}}
  %a = tfm.cached_attention %q, @kc, @vc, %p causal scale 0.35 : tensor<2x1x4x8xf32>, tensor<2x1xi32> -> tensor<2x1x4x8xf32>
  return %a : tensor<2x1x4x8xf32>
}

// -----

tfm.kv_cache @kc : tensor<2x16x2x8xf32>
tfm.kv_cache @vc : tensor<2x16x2x8xf32>

func.func @result_element_type(%q: tensor<2x1x4x8xf32>, %p: tensor<2x1xi32>) -> tensor<2x1x4x8xbf16> {
  // expected-error @+1 {{'tfm.cached_attention' op expected every floating-point operand and result to have element type 'f32' (as the first operand), got 'bf16' for result #0}}
  %a = tfm.cached_attention %q, @kc, @vc, %p causal scale 0.35 : tensor<2x1x4x8xf32>, tensor<2x1xi32> -> tensor<2x1x4x8xbf16>
  return %a : tensor<2x1x4x8xbf16>
}
