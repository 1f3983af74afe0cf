// RUN: strata-opt %s -split-input-file -verify-diagnostics

func.func @bias_size(%x: tensor<4x16x64xf32>, %b: tensor<16xf32>, %r: tensor<4x16x64xf32>) {
  // expected-error @+1 {{'tfm.bias_dropout_add' op expected bias shape 64 (the input's trailing dimensions), got 16}}
  %0 = tfm.bias_dropout_add %x, %b, %r rate 0.1 : tensor<4x16x64xf32>, tensor<16xf32>
  return
}

// -----

func.func @rate_one(%x: tensor<4x64xf32>, %b: tensor<64xf32>, %r: tensor<4x64xf32>) {
  // expected-error @+1 {{'tfm.bias_dropout_add' op expected rate in [0, 1), got 1.000000e+00}}
  %0 = tfm.bias_dropout_add %x, %b, %r rate 1.0 stream 2 : tensor<4x64xf32>, tensor<64xf32>
  return
}

// -----

func.func @negative_rate(%x: tensor<4x64xf32>, %b: tensor<64xf32>, %r: tensor<4x64xf32>) {
  // expected-error @+1 {{'tfm.bias_dropout_add' op expected rate in [0, 1), got -1.000000e-01}}
  %0 = tfm.bias_dropout_add %x, %b, %r rate -0.1 : tensor<4x64xf32>, tensor<64xf32>
  return
}

// -----

func.func @residual_type(%x: tensor<4x64xf32>, %b: tensor<64xf32>, %r: tensor<2x64xf32>) {
  // expected-error @+1 {{'tfm.bias_dropout_add' op failed to verify that all of {input, residual, result} have same type}}
  %0 = "tfm.bias_dropout_add"(%x, %b, %r) <{rate = 1.0e-01 : f64}> : (tensor<4x64xf32>, tensor<64xf32>, tensor<2x64xf32>) -> tensor<4x64xf32>
  return
}

// -----

func.func @negative_stream(%x: tensor<4x64xf32>, %b: tensor<64xf32>, %r: tensor<4x64xf32>) {
  // expected-error @+1 {{'tfm.bias_dropout_add' op attribute 'rng_stream' failed to satisfy constraint: 64-bit signless integer attribute whose value is non-negative}}
  %0 = tfm.bias_dropout_add %x, %b, %r rate 0.1 stream -1 : tensor<4x64xf32>, tensor<64xf32>
  return
}
