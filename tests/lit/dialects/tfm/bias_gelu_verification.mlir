// RUN: strata-opt %s -split-input-file -verify-diagnostics

func.func @bias_size(%x: tensor<4x16x64xf32>, %b: tensor<32xf32>) {
  // expected-error @+1 {{'tfm.bias_gelu' op expected bias shape 64 (the input's trailing dimensions), got 32}}
  %0 = tfm.bias_gelu tanh %x, %b : tensor<4x16x64xf32>, tensor<32xf32>
  return
}

// -----

func.func @scalar_bias(%x: tensor<4x16x64xf32>, %b: tensor<f32>) {
  // expected-error @+1 {{'tfm.bias_gelu' op expected a bias of rank 1 to 3 (the input's rank), got rank 0}}
  %0 = tfm.bias_gelu tanh %x, %b : tensor<4x16x64xf32>, tensor<f32>
  return
}

// -----

func.func @scalar_input(%x: tensor<f32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'tfm.bias_gelu' op expected an input of rank at least 1, got 'tensor<f32>'}}
  %0 = tfm.bias_gelu erf %x, %b : tensor<f32>, tensor<4xf32>
  return
}

// -----

func.func @result_type(%x: tensor<4x64xf32>, %b: tensor<64xf32>) {
  // expected-error @+1 {{'tfm.bias_gelu' op failed to verify that all of {input, result} have same type}}
  %0 = "tfm.bias_gelu"(%x, %b) <{approximation = 1 : i32}> : (tensor<4x64xf32>, tensor<64xf32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @bias_element_type(%x: tensor<4x64xf32>, %b: tensor<64xbf16>) {
  // expected-error @+1 {{'tfm.bias_gelu' op expected every floating-point operand and result to have element type 'f32' (as the first operand), got 'bf16' for operand #1}}
  %0 = tfm.bias_gelu tanh %x, %b : tensor<4x64xf32>, tensor<64xbf16>
  return
}
