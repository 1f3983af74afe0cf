// RUN: strata-opt %s -split-input-file -verify-diagnostics

func.func @scalar_input(%x: tensor<f32>, %g: tensor<1xf32>) {
  // expected-error @+1 {{'tfm.layer_norm_grad' op expected an input of rank at least 1, got 'tensor<f32>'}}
  %0:3 = tfm.layer_norm_grad %x, %x, %g epsilon 1.0e-05 : tensor<f32>, tensor<1xf32>
  return
}

// -----

func.func @scale_size(%dy: tensor<4x16x64xf32>, %x: tensor<4x16x64xf32>, %g: tensor<32xf32>) {
  // expected-error @+1 {{'tfm.layer_norm_grad' op expected scale of shape 64 (the input's last dimension), got 32}}
  %0:3 = tfm.layer_norm_grad %dy, %x, %g epsilon 1.0e-05 : tensor<4x16x64xf32>, tensor<32xf32>
  return
}

// -----

// A rank-2 scale is rejected even when its first dimension is the right size.

func.func @scale_rank(%dy: tensor<4x16x64xf32>, %x: tensor<4x16x64xf32>, %g: tensor<64x1xf32>) {
  // expected-error @+1 {{'tfm.layer_norm_grad' op expected scale of shape 64 (the input's last dimension), got 64x1}}
  %0:3 = tfm.layer_norm_grad %dy, %x, %g epsilon 1.0e-05 : tensor<4x16x64xf32>, tensor<64x1xf32>
  return
}

// -----

func.func @zero_epsilon(%dy: tensor<4x64xf32>, %x: tensor<4x64xf32>, %g: tensor<64xf32>) {
  // expected-error @+1 {{'tfm.layer_norm_grad' op expected a positive, finite epsilon, got 0.000000e+00}}
  %0:3 = tfm.layer_norm_grad %dy, %x, %g epsilon 0.0 : tensor<4x64xf32>, tensor<64xf32>
  return
}

// -----

func.func @negative_epsilon(%dy: tensor<4x64xf32>, %x: tensor<4x64xf32>, %g: tensor<64xf32>) {
  // expected-error @+1 {{'tfm.layer_norm_grad' op expected a positive, finite epsilon, got -1.000000e-05}}
  %0:3 = tfm.layer_norm_grad %dy, %x, %g epsilon -1.0e-05 : tensor<4x64xf32>, tensor<64xf32>
  return
}

// -----

func.func @infinite_epsilon(%dy: tensor<4x64xf32>, %x: tensor<4x64xf32>, %g: tensor<64xf32>) {
  // expected-error @+1 {{'tfm.layer_norm_grad' op expected a positive, finite epsilon, got INF}}
  %0:3 = tfm.layer_norm_grad %dy, %x, %g epsilon 0x7FF0000000000000 : tensor<4x64xf32>, tensor<64xf32>
  return
}

// -----

func.func @nan_epsilon(%dy: tensor<4x64xf32>, %x: tensor<4x64xf32>, %g: tensor<64xf32>) {
  // expected-error @+1 {{'tfm.layer_norm_grad' op expected a positive, finite epsilon, got nan}}
  %0:3 = tfm.layer_norm_grad %dy, %x, %g epsilon 0x7FF8000000000000 : tensor<4x64xf32>, tensor<64xf32>
  return
}

// -----

// The custom form takes the gradient's type from the input; the generic form
// can state a different one.

func.func @result_grad_type(%dy: tensor<4x32xf32>, %x: tensor<4x64xf32>, %g: tensor<64xf32>) {
  // expected-error @+1 {{'tfm.layer_norm_grad' op failed to verify that all of {input, result_grad, input_grad} have same type}}
  %0:3 = "tfm.layer_norm_grad"(%dy, %x, %g) <{epsilon = 1.0e-05 : f64}> : (tensor<4x32xf32>, tensor<4x64xf32>, tensor<64xf32>) -> (tensor<4x64xf32>, tensor<64xf32>, tensor<64xf32>)
  return
}

// -----

func.func @bias_grad_type(%dy: tensor<4x64xf32>, %x: tensor<4x64xf32>, %g: tensor<64xf32>) {
  // expected-error @+1 {{'tfm.layer_norm_grad' op failed to verify that all of {scale, scale_grad, bias_grad} have same type}}
  %0:3 = "tfm.layer_norm_grad"(%dy, %x, %g) <{epsilon = 1.0e-05 : f64}> : (tensor<4x64xf32>, tensor<4x64xf32>, tensor<64xf32>) -> (tensor<4x64xf32>, tensor<64xf32>, tensor<32xf32>)
  return
}

// -----

// A bf16 model with an f32 norm weight needs an explicit cast.

func.func @scale_element_type(%dy: tensor<4x64xbf16>, %x: tensor<4x64xbf16>, %g: tensor<64xf32>) {
  // expected-error @+1 {{'tfm.layer_norm_grad' op expected every floating-point operand and result to have element type 'bf16' (as the first operand), got 'f32' for operand #2}}
  %0:3 = tfm.layer_norm_grad %dy, %x, %g epsilon 1.0e-05 : tensor<4x64xbf16>, tensor<64xf32>
  return
}

// -----

func.func @integer_scale(%dy: tensor<4x64xf32>, %x: tensor<4x64xf32>, %g: tensor<64xi32>) {
  // expected-error @+1 {{'tfm.layer_norm_grad' op operand #2 must be ranked tensor of 32-bit float or bfloat16 type or 16-bit float or 64-bit float values, but got 'tensor<64xi32>'}}
  %0:3 = tfm.layer_norm_grad %dy, %x, %g epsilon 1.0e-05 : tensor<4x64xf32>, tensor<64xi32>
  return
}
