// RUN: strata-opt %s -split-input-file -verify-diagnostics

func.func @same_rank(%x: tensor<4x16x64xf32>) {
  // expected-error @+1 {{'tfm.split_heads' op expected the split shape to have one more dimension than the merged shape, got 4x16x64 and 4x16x64}}
  %0 = tfm.split_heads %x : tensor<4x16x64xf32> -> tensor<4x16x64xf32>
  return
}

// -----

func.func @two_more_dims(%x: tensor<4x64xf32>) {
  // expected-error @+1 {{'tfm.split_heads' op expected the split shape to have one more dimension than the merged shape, got 4x2x2x16 and 4x64}}
  %0 = tfm.split_heads %x : tensor<4x64xf32> -> tensor<4x2x2x16xf32>
  return
}

// -----

func.func @scalar_input(%x: tensor<f32>) {
  // expected-error @+1 {{'tfm.split_heads' op expected the split shape to have one more dimension than the merged shape, got 1 and scalar}}
  %0 = tfm.split_heads %x : tensor<f32> -> tensor<1xf32>
  return
}

// -----

func.func @leading_dims(%x: tensor<4x16x64xf32>) {
  // expected-error @+1 {{'tfm.split_heads' op expected leading dimensions 4x16 to be kept, got 4x8}}
  %0 = tfm.split_heads %x : tensor<4x16x64xf32> -> tensor<4x8x4x16xf32>
  return
}

// -----

func.func @dynamic_heads(%x: tensor<4x16x64xf32>) {
  // expected-error @+1 {{'tfm.split_heads' op expected static heads and head_dim, got ?x16}}
  %0 = tfm.split_heads %x : tensor<4x16x64xf32> -> tensor<4x16x?x16xf32>
  return
}

// -----

func.func @dynamic_head_dim(%x: tensor<4x16x?xf32>) {
  // expected-error @+1 {{'tfm.split_heads' op expected static heads and head_dim, got 4x?}}
  %0 = tfm.split_heads %x : tensor<4x16x?xf32> -> tensor<4x16x4x?xf32>
  return
}

// -----

func.func @heads_times_head_dim(%x: tensor<4x16x64xf32>) {
  // expected-error @+1 {{'tfm.split_heads' op expected 4 heads x 8 head_dim = 32 to equal the merged dimension 64}}
  %0 = tfm.split_heads %x : tensor<4x16x64xf32> -> tensor<4x16x4x8xf32>
  return
}

// -----

func.func @integer_input(%x: tensor<4x64xi32>) {
  // expected-error @+1 {{'tfm.split_heads' op operand #0 must be ranked tensor of 32-bit float or bfloat16 type or 16-bit float or 64-bit float values, but got 'tensor<4x64xi32>'}}
  %0 = tfm.split_heads %x : tensor<4x64xi32> -> tensor<4x4x16xf32>
  return
}
