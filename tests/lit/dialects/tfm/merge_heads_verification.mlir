// RUN: strata-opt %s -split-input-file -verify-diagnostics

func.func @same_rank(%a: tensor<4x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.merge_heads' op expected the split shape to have one more dimension than the merged shape, got 4x16x4x16 and 4x16x4x16}}
  %0 = tfm.merge_heads %a : tensor<4x16x4x16xf32> -> tensor<4x16x4x16xf32>
  return
}

// -----

// The input needs both a heads and a head_dim dimension.

func.func @rank_1_input(%a: tensor<64xf32>) {
  // expected-error @+1 {{'tfm.merge_heads' op expected the split shape to have one more dimension than the merged shape, got 64 and scalar}}
  %0 = tfm.merge_heads %a : tensor<64xf32> -> tensor<f32>
  return
}

// -----

func.func @leading_dims(%a: tensor<4x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.merge_heads' op expected leading dimensions 2x16 to be kept, got 4x16}}
  %0 = tfm.merge_heads %a : tensor<4x16x4x16xf32> -> tensor<2x16x64xf32>
  return
}

// -----

func.func @dynamic_heads(%a: tensor<4x16x?x16xf32>) {
  // expected-error @+1 {{'tfm.merge_heads' op expected static heads and head_dim, got ?x16}}
  %0 = tfm.merge_heads %a : tensor<4x16x?x16xf32> -> tensor<4x16x?xf32>
  return
}

// -----

func.func @dynamic_head_dim(%a: tensor<4x16x4x?xf32>) {
  // expected-error @+1 {{'tfm.merge_heads' op expected static heads and head_dim, got 4x?}}
  %0 = tfm.merge_heads %a : tensor<4x16x4x?xf32> -> tensor<4x16x?xf32>
  return
}

// -----

func.func @heads_times_head_dim(%a: tensor<4x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.merge_heads' op expected 4 heads x 16 head_dim = 64 to equal the merged dimension 128}}
  %0 = tfm.merge_heads %a : tensor<4x16x4x16xf32> -> tensor<4x16x128xf32>
  return
}

// -----

func.func @integer_result(%a: tensor<4x4x16xf32>) {
  // expected-error @+1 {{'tfm.merge_heads' op result #0 must be ranked tensor of 32-bit float or bfloat16 type or 16-bit float or 64-bit float values, but got 'tensor<4x64xi32>'}}
  %0 = tfm.merge_heads %a : tensor<4x4x16xf32> -> tensor<4x64xi32>
  return
}
