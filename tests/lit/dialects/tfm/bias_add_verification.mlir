// RUN: strata-opt %s -split-input-file -verify-diagnostics

func.func @scalar_bias(%x: tensor<4x16x64xf32>, %b: tensor<f32>) {
  // expected-error @+1 {{'tfm.bias_add' op expected a bias of rank 1 to 3 (the input's rank), got rank 0}}
  %0 = tfm.bias_add %x, %b : tensor<4x16x64xf32>, tensor<f32>
  return
}

// -----

func.func @bias_rank_exceeds_input(%x: tensor<16x64xf32>, %b: tensor<4x16x64xf32>) {
  // expected-error @+1 {{'tfm.bias_add' op expected a bias of rank 1 to 2 (the input's rank), got rank 3}}
  %0 = tfm.bias_add %x, %b : tensor<16x64xf32>, tensor<4x16x64xf32>
  return
}

// -----

func.func @bias_size(%x: tensor<4x16x64xf32>, %b: tensor<32xf32>) {
  // expected-error @+1 {{'tfm.bias_add' op expected bias shape 64 (the input's trailing dimensions), got 32}}
  %0 = tfm.bias_add %x, %b : tensor<4x16x64xf32>, tensor<32xf32>
  return
}

// -----

// A [heads, head_dim] bias must match both trailing dimensions, in order.

func.func @bias_rank_2_shape(%x: tensor<4x16x4x16xf32>, %b: tensor<16x4xf32>) {
  // expected-error @+1 {{'tfm.bias_add' op expected bias shape 4x16 (the input's trailing dimensions), got 16x4}}
  %0 = tfm.bias_add %x, %b : tensor<4x16x4x16xf32>, tensor<16x4xf32>
  return
}

// -----

func.func @result_type(%x: tensor<4x64xf32>, %b: tensor<64xf32>) {
  // expected-error @+1 {{'tfm.bias_add' op failed to verify that all of {input, result} have same type}}
  %0 = "tfm.bias_add"(%x, %b) : (tensor<4x64xf32>, tensor<64xf32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @integer_bias(%x: tensor<4x64xf32>, %b: tensor<64xi32>) {
  // expected-error @+1 {{'tfm.bias_add' op operand #1 must be ranked tensor of 32-bit float or bfloat16 type or 16-bit float or 64-bit float values, but got 'tensor<64xi32>'}}
  %0 = tfm.bias_add %x, %b : tensor<4x64xf32>, tensor<64xi32>
  return
}

// -----

func.func @scalar_input(%x: tensor<f32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'tfm.bias_add' op expected an input of rank at least 1, got 'tensor<f32>'}}
  %0 = tfm.bias_add %x, %b : tensor<f32>, tensor<4xf32>
  return
}
