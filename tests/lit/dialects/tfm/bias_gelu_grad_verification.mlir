// RUN: strata-opt %s -split-input-file -verify-diagnostics

func.func @bias_size(%x: tensor<4x16x64xf32>, %b: tensor<32xf32>, %dy: tensor<4x16x64xf32>) {
  // expected-error @+1 {{'tfm.bias_gelu_grad' op expected bias shape 64 (the input's trailing dimensions), got 32}}
  %0:2 = tfm.bias_gelu_grad tanh %x, %b, %dy : tensor<4x16x64xf32>, tensor<32xf32>
  return
}

// -----

// A [heads, head_dim] bias must match both trailing dimensions, in order.

func.func @bias_rank_2_shape(%x: tensor<4x16x4x16xf32>, %b: tensor<16x4xf32>, %dy: tensor<4x16x4x16xf32>) {
  // expected-error @+1 {{'tfm.bias_gelu_grad' op expected bias shape 4x16 (the input's trailing dimensions), got 16x4}}
  %0:2 = tfm.bias_gelu_grad erf %x, %b, %dy : tensor<4x16x4x16xf32>, tensor<16x4xf32>
  return
}

// -----

func.func @gradient_type(%x: tensor<4x64xf32>, %b: tensor<64xf32>, %dy: tensor<4x32xf32>) {
  // expected-error @+1 {{'tfm.bias_gelu_grad' op failed to verify that all of {input, result_grad, input_grad} have same type}}
  %0:2 = "tfm.bias_gelu_grad"(%x, %b, %dy) <{approximation = 1 : i32}> : (tensor<4x64xf32>, tensor<64xf32>, tensor<4x32xf32>) -> (tensor<4x64xf32>, tensor<64xf32>)
  return
}

// -----

func.func @bias_grad_type(%x: tensor<4x64xf32>, %b: tensor<64xf32>, %dy: tensor<4x64xf32>) {
  // expected-error @+1 {{'tfm.bias_gelu_grad' op failed to verify that all of {bias, bias_grad} have same type}}
  %0:2 = "tfm.bias_gelu_grad"(%x, %b, %dy) <{approximation = 1 : i32}> : (tensor<4x64xf32>, tensor<64xf32>, tensor<4x64xf32>) -> (tensor<4x64xf32>, tensor<4x64xf32>)
  return
}
