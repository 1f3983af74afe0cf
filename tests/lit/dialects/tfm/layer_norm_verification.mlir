// RUN: strata-opt %s -split-input-file -verify-diagnostics

func.func @scalar_input(%x: tensor<f32>, %g: tensor<1xf32>) {
  // expected-error @+1 {{'tfm.layer_norm' op expected an input of rank at least 1, got 'tensor<f32>'}}
  %0 = tfm.layer_norm %x, %g epsilon 1.0e-05 : tensor<f32>, tensor<1xf32>
  return
}

// -----

func.func @scale_size(%x: tensor<4x16x64xf32>, %g: tensor<32xf32>) {
  // expected-error @+1 {{'tfm.layer_norm' op expected scale of shape 64 (the input's last dimension), got 32}}
  %0 = tfm.layer_norm %x, %g epsilon 1.0e-05 : tensor<4x16x64xf32>, tensor<32xf32>
  return
}

// -----

// A rank-2 scale is rejected even when its first dimension is the right size.

func.func @scale_rank(%x: tensor<4x16x64xf32>, %g: tensor<64x1xf32>) {
  // expected-error @+1 {{'tfm.layer_norm' op expected scale of shape 64 (the input's last dimension), got 64x1}}
  %0 = tfm.layer_norm %x, %g epsilon 1.0e-05 : tensor<4x16x64xf32>, tensor<64x1xf32>
  return
}

// -----

func.func @bias_size(%x: tensor<4x16x64xf32>, %g: tensor<64xf32>, %b: tensor<32xf32>) {
  // expected-error @+1 {{'tfm.layer_norm' op expected bias of shape 64 (the input's last dimension), got 32}}
  %0 = tfm.layer_norm %x, %g, %b epsilon 1.0e-05 : tensor<4x16x64xf32>, tensor<64xf32>, tensor<32xf32>
  return
}

// -----

func.func @bias_rank(%x: tensor<4x16x64xf32>, %g: tensor<64xf32>, %b: tensor<64x1xf32>) {
  // expected-error @+1 {{'tfm.layer_norm' op expected bias of shape 64 (the input's last dimension), got 64x1}}
  %0 = tfm.layer_norm %x, %g, %b epsilon 1.0e-05 : tensor<4x16x64xf32>, tensor<64xf32>, tensor<64x1xf32>
  return
}

// -----

func.func @scalar_bias(%x: tensor<4x16x64xf32>, %g: tensor<64xf32>, %b: tensor<f32>) {
  // expected-error @+1 {{'tfm.layer_norm' op expected bias of shape 64 (the input's last dimension), got scalar}}
  %0 = tfm.layer_norm %x, %g, %b epsilon 1.0e-05 : tensor<4x16x64xf32>, tensor<64xf32>, tensor<f32>
  return
}

// -----

func.func @zero_epsilon(%x: tensor<4x64xf32>, %g: tensor<64xf32>) {
  // expected-error @+1 {{'tfm.layer_norm' op expected a positive, finite epsilon, got 0.000000e+00}}
  %0 = tfm.layer_norm %x, %g epsilon 0.0 : tensor<4x64xf32>, tensor<64xf32>
  return
}

// -----

func.func @negative_epsilon(%x: tensor<4x64xf32>, %g: tensor<64xf32>) {
  // expected-error @+1 {{'tfm.layer_norm' op expected a positive, finite epsilon, got -1.000000e-05}}
  %0 = tfm.layer_norm %x, %g epsilon -1.0e-05 : tensor<4x64xf32>, tensor<64xf32>
  return
}

// -----

func.func @infinite_epsilon(%x: tensor<4x64xf32>, %g: tensor<64xf32>) {
  // expected-error @+1 {{'tfm.layer_norm' op expected a positive, finite epsilon, got INF}}
  %0 = tfm.layer_norm %x, %g epsilon 0x7FF0000000000000 : tensor<4x64xf32>, tensor<64xf32>
  return
}

// -----

func.func @nan_epsilon(%x: tensor<4x64xf32>, %g: tensor<64xf32>) {
  // expected-error @+1 {{'tfm.layer_norm' op expected a positive, finite epsilon, got nan}}
  %0 = tfm.layer_norm %x, %g epsilon 0x7FF8000000000000 : tensor<4x64xf32>, tensor<64xf32>
  return
}

// -----

func.func @result_type(%x: tensor<4x64xf32>, %g: tensor<64xf32>) {
  // expected-error @+1 {{'tfm.layer_norm' op failed to verify that all of {input, result} have same type}}
  %0 = "tfm.layer_norm"(%x, %g) <{epsilon = 1.0e-05 : f64}> : (tensor<4x64xf32>, tensor<64xf32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @integer_scale(%x: tensor<4x64xf32>, %g: tensor<64xi32>) {
  // expected-error @+1 {{'tfm.layer_norm' op operand #1 must be ranked tensor of 32-bit float or bfloat16 type or 16-bit float or 64-bit float values, but got 'tensor<64xi32>'}}
  %0 = tfm.layer_norm %x, %g epsilon 1.0e-05 : tensor<4x64xf32>, tensor<64xi32>
  return
}
