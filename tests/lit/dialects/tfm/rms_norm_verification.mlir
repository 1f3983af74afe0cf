// RUN: strata-opt %s -split-input-file -verify-diagnostics

func.func @scalar_input(%x: tensor<f32>, %g: tensor<1xf32>) {
  // expected-error @+1 {{'tfm.rms_norm' op expected an input of rank at least 1, got 'tensor<f32>'}}
  %0 = tfm.rms_norm %x, %g epsilon 1.0e-05 : tensor<f32>, tensor<1xf32>
  return
}

// -----

func.func @scale_size(%x: tensor<4x16x64xf32>, %g: tensor<128xf32>) {
  // expected-error @+1 {{'tfm.rms_norm' op expected scale of shape 64 (the input's last dimension), got 128}}
  %0 = tfm.rms_norm %x, %g epsilon 1.0e-05 : tensor<4x16x64xf32>, tensor<128xf32>
  return
}

// -----

func.func @scale_rank(%x: tensor<4x16x64xf32>, %g: tensor<64x1xf32>) {
  // expected-error @+1 {{'tfm.rms_norm' op expected scale of shape 64 (the input's last dimension), got 64x1}}
  %0 = tfm.rms_norm %x, %g epsilon 1.0e-05 : tensor<4x16x64xf32>, tensor<64x1xf32>
  return
}

// -----

func.func @scalar_scale(%x: tensor<4x16x64xf32>, %g: tensor<f32>) {
  // expected-error @+1 {{'tfm.rms_norm' op expected scale of shape 64 (the input's last dimension), got scalar}}
  %0 = tfm.rms_norm %x, %g epsilon 1.0e-05 : tensor<4x16x64xf32>, tensor<f32>
  return
}

// -----

func.func @zero_epsilon(%x: tensor<4x64xf32>, %g: tensor<64xf32>) {
  // expected-error @+1 {{'tfm.rms_norm' op expected a positive, finite epsilon, got 0.000000e+00}}
  %0 = tfm.rms_norm %x, %g epsilon 0.0 : tensor<4x64xf32>, tensor<64xf32>
  return
}

// -----

func.func @negative_epsilon(%x: tensor<4x64xf32>, %g: tensor<64xf32>) {
  // expected-error @+1 {{'tfm.rms_norm' op expected a positive, finite epsilon, got -1.000000e-06}}
  %0 = tfm.rms_norm %x, %g epsilon -1.0e-06 : tensor<4x64xf32>, tensor<64xf32>
  return
}

// -----

func.func @infinite_epsilon(%x: tensor<4x64xf32>, %g: tensor<64xf32>) {
  // expected-error @+1 {{'tfm.rms_norm' op expected a positive, finite epsilon, got INF}}
  %0 = tfm.rms_norm %x, %g epsilon 0x7FF0000000000000 : tensor<4x64xf32>, tensor<64xf32>
  return
}

// -----

func.func @result_type(%x: tensor<4x64xf32>, %g: tensor<64xf32>) {
  // expected-error @+1 {{'tfm.rms_norm' op failed to verify that all of {input, result} have same type}}
  %0 = "tfm.rms_norm"(%x, %g) <{epsilon = 1.0e-05 : f64}> : (tensor<4x64xf32>, tensor<64xf32>) -> tensor<4x64xf16>
  return
}
