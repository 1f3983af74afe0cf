// RUN: strata-opt %s -split-input-file -verify-diagnostics

// The custom form gives the gradients the input's type; the generic form can
// state others.

func.func @result_grad_type(%x: tensor<4x64xf32>, %dy: tensor<4x64xbf16>) {
  // expected-error @+1 {{'tfm.gelu_grad' op failed to verify that all of {input, result_grad, input_grad} have same type}}
  %0 = "tfm.gelu_grad"(%x, %dy) <{approximation = 1 : i32}> : (tensor<4x64xf32>, tensor<4x64xbf16>) -> tensor<4x64xf32>
  return
}

// -----

func.func @input_grad_shape(%x: tensor<4x64xf32>) {
  // expected-error @+1 {{'tfm.gelu_grad' op failed to verify that all of {input, result_grad, input_grad} have same type}}
  %0 = "tfm.gelu_grad"(%x, %x) <{approximation = 0 : i32}> : (tensor<4x64xf32>, tensor<4x64xf32>) -> tensor<64x4xf32>
  return
}

// -----

func.func @integer_input(%x: tensor<4x64xi32>) {
  // expected-error @+1 {{'tfm.gelu_grad' op operand #0 must be ranked tensor of 32-bit float or bfloat16 type or 16-bit float or 64-bit float values, but got 'tensor<4x64xi32>'}}
  %0 = tfm.gelu_grad tanh %x, %x : tensor<4x64xi32>
  return
}
