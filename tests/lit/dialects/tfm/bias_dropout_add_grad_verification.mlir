// RUN: strata-opt %s -split-input-file -verify-diagnostics

// The bias gradient takes the trailing dimensions (64), not the leading ones.

func.func @leading_dimensions(%dy: tensor<4x8x64xf32>) {
  // expected-error @+1 {{'tfm.bias_dropout_add_grad' op expected a bias gradient shaped like trailing dimensions of the gradient 4x8x64, got 4}}
  %0:2 = tfm.bias_dropout_add_grad %dy rate 0.1 stream 0 : tensor<4x8x64xf32> -> tensor<4xf32>
  return
}

// -----

func.func @scalar_bias_grad(%dy: tensor<4x8x64xf32>) {
  // expected-error @+1 {{'tfm.bias_dropout_add_grad' op expected a bias gradient shaped like trailing dimensions of the gradient 4x8x64, got scalar}}
  %0:2 = tfm.bias_dropout_add_grad %dy rate 0.1 stream 0 : tensor<4x8x64xf32> -> tensor<f32>
  return
}

// -----

func.func @rate_nan(%dy: tensor<4x64xf32>) {
  // expected-error @+1 {{'tfm.bias_dropout_add_grad' op expected rate in [0, 1), got nan}}
  %0:2 = tfm.bias_dropout_add_grad %dy rate 0x7FF8000000000000 stream 0 : tensor<4x64xf32> -> tensor<64xf32>
  return
}

// -----

func.func @input_grad_type(%dy: tensor<4x64xf32>) {
  // expected-error @+1 {{'tfm.bias_dropout_add_grad' op failed to verify that all of {result_grad, input_grad} have same type}}
  %0:2 = "tfm.bias_dropout_add_grad"(%dy) <{rate = 1.0e-01 : f64, rng_stream = 0 : i64}> : (tensor<4x64xf32>) -> (tensor<2x64xf32>, tensor<64xf32>)
  return
}

// -----

func.func @bias_grad_element_type(%dy: tensor<4x64xbf16>) {
  // expected-error @+1 {{'tfm.bias_dropout_add_grad' op expected every floating-point operand and result to have element type 'bf16' (as the first operand), got 'f32' for result #1}}
  %0:2 = tfm.bias_dropout_add_grad %dy rate 0.1 stream 0 : tensor<4x64xbf16> -> tensor<64xf32>
  return
}
