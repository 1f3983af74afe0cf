// RUN: strata-opt %s -split-input-file -verify-diagnostics

func.func @input_rank_3(%x: tensor<4x16x64xf32>, %p: tensor<4x16xi32>) {
  // expected-error @+1 {{'tfm.rotary_embedding' op expected input of rank 4 [batch, seq, heads, head_dim], got 'tensor<4x16x64xf32>'}}
  %0 = tfm.rotary_embedding %x, %p base 10000.0 dims 64 : tensor<4x16x64xf32>, tensor<4x16xi32>
  return
}

// -----

func.func @positions_seq(%x: tensor<4x16x4x16xf32>, %p: tensor<4x8xi32>) {
  // expected-error @+1 {{'tfm.rotary_embedding' op expected positions of shape 4x16 (the input's batch and seq), got 4x8}}
  %0 = tfm.rotary_embedding %x, %p base 10000.0 dims 16 : tensor<4x16x4x16xf32>, tensor<4x8xi32>
  return
}

// -----

func.func @positions_rank_1(%x: tensor<4x16x4x16xf32>, %p: tensor<16xi32>) {
  // expected-error @+1 {{'tfm.rotary_embedding' op expected positions of shape 4x16 (the input's batch and seq), got 16}}
  %0 = tfm.rotary_embedding %x, %p base 10000.0 dims 16 : tensor<4x16x4x16xf32>, tensor<16xi32>
  return
}

// -----

func.func @odd_dims(%x: tensor<4x16x4x16xf32>, %p: tensor<4x16xi32>) {
  // expected-error @+1 {{'tfm.rotary_embedding' op expected an even number of rotary dims, got 15}}
  %0 = tfm.rotary_embedding %x, %p base 10000.0 dims 15 : tensor<4x16x4x16xf32>, tensor<4x16xi32>
  return
}

// -----

func.func @dims_exceed_head_dim(%x: tensor<4x16x4x16xf32>, %p: tensor<4x16xi32>) {
  // expected-error @+1 {{'tfm.rotary_embedding' op expected rotary dims 32 to be at most head_dim 16}}
  %0 = tfm.rotary_embedding %x, %p base 10000.0 dims 32 : tensor<4x16x4x16xf32>, tensor<4x16xi32>
  return
}

// -----

func.func @zero_dims(%x: tensor<4x16x4x16xf32>, %p: tensor<4x16xi32>) {
  // expected-error @+1 {{'tfm.rotary_embedding' op attribute 'rotary_dims' failed to satisfy constraint: 64-bit signless integer attribute whose minimum value is 1}}
  %0 = tfm.rotary_embedding %x, %p base 10000.0 dims 0 : tensor<4x16x4x16xf32>, tensor<4x16xi32>
  return
}

// -----

func.func @base_one(%x: tensor<4x16x4x16xf32>, %p: tensor<4x16xi32>) {
  // expected-error @+1 {{'tfm.rotary_embedding' op expected a finite base greater than 1, got 1.000000e+00}}
  %0 = tfm.rotary_embedding %x, %p base 1.0 dims 16 : tensor<4x16x4x16xf32>, tensor<4x16xi32>
  return
}

// -----

func.func @base_below_one(%x: tensor<4x16x4x16xf32>, %p: tensor<4x16xi32>) {
  // expected-error @+1 {{'tfm.rotary_embedding' op expected a finite base greater than 1, got 5.000000e-01}}
  %0 = tfm.rotary_embedding %x, %p base 0.5 dims 16 : tensor<4x16x4x16xf32>, tensor<4x16xi32>
  return
}

// -----

func.func @infinite_base(%x: tensor<4x16x4x16xf32>, %p: tensor<4x16xi32>) {
  // expected-error @+1 {{'tfm.rotary_embedding' op expected a finite base greater than 1, got INF}}
  %0 = tfm.rotary_embedding %x, %p base 0x7FF0000000000000 dims 16 : tensor<4x16x4x16xf32>, tensor<4x16xi32>
  return
}

// -----

func.func @float_positions(%x: tensor<4x16x4x16xf32>, %p: tensor<4x16xf32>) {
  // expected-error @+1 {{'tfm.rotary_embedding' op operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<4x16xf32>'}}
  %0 = tfm.rotary_embedding %x, %p base 10000.0 dims 16 : tensor<4x16x4x16xf32>, tensor<4x16xf32>
  return
}

// -----

func.func @result_type(%x: tensor<4x16x4x16xf32>, %p: tensor<4x16xi32>) {
  // expected-error @+1 {{'tfm.rotary_embedding' op failed to verify that all of {input, result} have same type}}
  %0 = "tfm.rotary_embedding"(%x, %p) <{base = 1.0e+04 : f64, rotary_dims = 16 : i64}> : (tensor<4x16x4x16xf32>, tensor<4x16xi32>) -> tensor<4x16x4x16xbf16>
  return
}
