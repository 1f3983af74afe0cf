// RUN: strata-opt %s -split-input-file -verify-diagnostics

func.func @query_rank(%q: tensor<4x16x64xf32>, %k: tensor<4x16x4x16xf32>, %v: tensor<4x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention' op expected query of rank 4 [batch, seq, heads, head_dim], got 4x16x64}}
  %0 = tfm.attention %q, %k, %v scale 0.25 : tensor<4x16x64xf32>, tensor<4x16x4x16xf32>, tensor<4x16x4x16xf32> -> tensor<4x16x4x16xf32>
  return
}

// -----

func.func @key_rank(%q: tensor<4x16x4x16xf32>, %k: tensor<4x16x64xf32>, %v: tensor<4x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention' op expected key of rank 4 [batch, seq, heads, head_dim], got 4x16x64}}
  %0 = tfm.attention %q, %k, %v scale 0.25 : tensor<4x16x4x16xf32>, tensor<4x16x64xf32>, tensor<4x16x4x16xf32> -> tensor<4x16x4x16xf32>
  return
}

// -----

func.func @value_rank(%q: tensor<4x16x4x16xf32>, %k: tensor<4x16x4x16xf32>, %v: tensor<1x4x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention' op expected value of rank 4 [batch, seq, heads, head_dim], got 1x4x16x4x16}}
  %0 = tfm.attention %q, %k, %v scale 0.25 : tensor<4x16x4x16xf32>, tensor<4x16x4x16xf32>, tensor<1x4x16x4x16xf32> -> tensor<4x16x4x16xf32>
  return
}

// -----

func.func @query_key_batch(%q: tensor<4x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention' op expected equal batch sizes, got query 4, key 2, value 2}}
  %0 = tfm.attention %q, %k, %v scale 0.25 : tensor<4x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32> -> tensor<4x16x4x16xf32>
  return
}

// -----

func.func @key_value_batch(%q: tensor<4x16x4x16xf32>, %k: tensor<4x16x4x16xf32>, %v: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention' op expected equal batch sizes, got query 4, key 4, value 2}}
  %0 = tfm.attention %q, %k, %v scale 0.25 : tensor<4x16x4x16xf32>, tensor<4x16x4x16xf32>, tensor<2x16x4x16xf32> -> tensor<4x16x4x16xf32>
  return
}

// -----

func.func @key_value_length(%q: tensor<4x16x4x16xf32>, %k: tensor<4x16x4x16xf32>, %v: tensor<4x8x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention' op expected key and value to agree in length and groups, got key 4x16x4x16 and value 4x8x4x16}}
  %0 = tfm.attention %q, %k, %v scale 0.25 : tensor<4x16x4x16xf32>, tensor<4x16x4x16xf32>, tensor<4x8x4x16xf32> -> tensor<4x16x4x16xf32>
  return
}

// -----

func.func @key_value_groups(%q: tensor<4x16x4x16xf32>, %k: tensor<4x16x4x16xf32>, %v: tensor<4x16x2x16xf32>) {
  // expected-error @+1 {{'tfm.attention' op expected key and value to agree in length and groups, got key 4x16x4x16 and value 4x16x2x16}}
  %0 = tfm.attention %q, %k, %v scale 0.25 : tensor<4x16x4x16xf32>, tensor<4x16x4x16xf32>, tensor<4x16x2x16xf32> -> tensor<4x16x4x16xf32>
  return
}

// -----

func.func @head_dim(%q: tensor<4x16x4x16xf32>, %k: tensor<4x16x4x32xf32>, %v: tensor<4x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention' op expected query head_dim 16 to equal key head_dim 32}}
  %0 = tfm.attention %q, %k, %v scale 0.25 : tensor<4x16x4x16xf32>, tensor<4x16x4x32xf32>, tensor<4x16x4x16xf32> -> tensor<4x16x4x16xf32>
  return
}

// -----

func.func @groups_do_not_divide_heads(%q: tensor<2x16x12x16xf32>, %k: tensor<2x16x5x16xf32>, %v: tensor<2x16x5x16xf32>) {
  // expected-error @+1 {{'tfm.attention' op expected 12 query heads to be divisible by 5 key/value groups}}
  %0 = tfm.attention %q, %k, %v scale 0.25 : tensor<2x16x12x16xf32>, tensor<2x16x5x16xf32>, tensor<2x16x5x16xf32> -> tensor<2x16x12x16xf32>
  return
}

// -----

// More groups than heads.

func.func @groups_exceed_heads(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x8x16xf32>, %v: tensor<2x16x8x16xf32>) {
  // expected-error @+1 {{'tfm.attention' op expected 4 query heads to be divisible by 8 key/value groups}}
  %0 = tfm.attention %q, %k, %v scale 0.25 : tensor<2x16x4x16xf32>, tensor<2x16x8x16xf32>, tensor<2x16x8x16xf32> -> tensor<2x16x4x16xf32>
  return
}

// -----

// Zero groups is rejected (and not divided by).

func.func @zero_groups(%q: tensor<2x16x12x16xf32>, %k: tensor<2x16x0x16xf32>, %v: tensor<2x16x0x16xf32>) {
  // expected-error @+1 {{'tfm.attention' op expected 12 query heads to be divisible by 0 key/value groups}}
  %0 = tfm.attention %q, %k, %v scale 0.25 : tensor<2x16x12x16xf32>, tensor<2x16x0x16xf32>, tensor<2x16x0x16xf32> -> tensor<2x16x12x16xf32>
  return
}

// -----

// A causal query may not be longer than the keys (the mask is aligned at the
// bottom right). Without `causal` the same shapes are accepted.

func.func @causal_query_longer_than_keys(%q: tensor<2x16x4x16xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x8x4x16xf32>) {
  %ok = tfm.attention %q, %k, %v scale 0.25 : tensor<2x16x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32> -> tensor<2x16x4x16xf32>
  // expected-error @+1 {{'tfm.attention' op expected causal query length 16 to be at most key length 8}}
  %0 = tfm.attention %q, %k, %v causal scale 0.25 : tensor<2x16x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32> -> tensor<2x16x4x16xf32>
  return
}

// -----

func.func @zero_scale(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention' op expected a positive, finite scale, got 0.000000e+00}}
  %0 = tfm.attention %q, %k, %v scale 0.0 : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32> -> tensor<2x16x4x16xf32>
  return
}

// -----

func.func @negative_scale(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention' op expected a positive, finite scale, got -2.500000e-01}}
  %0 = tfm.attention %q, %k, %v scale -0.25 : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32> -> tensor<2x16x4x16xf32>
  return
}

// -----

func.func @infinite_scale(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention' op expected a positive, finite scale, got INF}}
  %0 = tfm.attention %q, %k, %v scale 0x7FF0000000000000 : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32> -> tensor<2x16x4x16xf32>
  return
}

// -----

func.func @dropout_one(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention' op expected dropout in [0, 1), got 1.000000e+00}}
  %0 = tfm.attention %q, %k, %v scale 0.25 dropout 1.0 : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32> -> tensor<2x16x4x16xf32>
  return
}

// -----

func.func @negative_dropout(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention' op expected dropout in [0, 1), got -1.000000e-01}}
  %0 = tfm.attention %q, %k, %v scale 0.25 dropout -0.1 : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32> -> tensor<2x16x4x16xf32>
  return
}

// -----

// The result takes its last dimension from the value head_dim (8), not the
// query's (16).

func.func @result_head_dim(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x8xf32>) {
  // expected-error @+1 {{'tfm.attention' op expected result shape 2x16x4x8 [batch, query length, heads, value head_dim], got 2x16x4x16}}
  %0 = tfm.attention %q, %k, %v scale 0.25 : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x8xf32> -> tensor<2x16x4x16xf32>
  return
}

// -----

// The result has the query length (1), not the key length (128).

func.func @result_length(%q: tensor<2x1x4x16xf32>, %k: tensor<2x128x4x16xf32>, %v: tensor<2x128x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention' op expected result shape 2x1x4x16 [batch, query length, heads, value head_dim], got 2x128x4x16}}
  %0 = tfm.attention %q, %k, %v causal scale 0.25 : tensor<2x1x4x16xf32>, tensor<2x128x4x16xf32>, tensor<2x128x4x16xf32> -> tensor<2x128x4x16xf32>
  return
}

// -----

// The result has the query heads (12), not the key/value groups (4).

func.func @result_heads(%q: tensor<2x16x12x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention' op expected result shape 2x16x12x16 [batch, query length, heads, value head_dim], got 2x16x4x16}}
  %0 = tfm.attention %q, %k, %v scale 0.25 : tensor<2x16x12x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32> -> tensor<2x16x4x16xf32>
  return
}

// -----

func.func @negative_stream(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.attention' op attribute 'rng_stream' failed to satisfy constraint: 64-bit signless integer attribute whose value is non-negative}}
  %0 = tfm.attention %q, %k, %v scale 0.25 dropout 0.1 stream -1 : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32> -> tensor<2x16x4x16xf32>
  return
}
