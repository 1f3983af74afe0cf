// RUN: strata-opt %s -split-input-file -verify-diagnostics

// A bias has rank at least 1.

func.func @scalar_result(%dy: tensor<4x8x64xf32>) {
  // expected-error @+1 {{'tfm.bias_grad' op expected a result shaped like trailing dimensions of the gradient 4x8x64, got scalar}}
  %0 = tfm.bias_grad %dy : tensor<4x8x64xf32> -> tensor<f32>
  return
}

// -----

func.func @result_rank_exceeds_gradient(%dy: tensor<8x64xf32>) {
  // expected-error @+1 {{'tfm.bias_grad' op expected a result shaped like trailing dimensions of the gradient 8x64, got 4x8x64}}
  %0 = tfm.bias_grad %dy : tensor<8x64xf32> -> tensor<4x8x64xf32>
  return
}

// -----

// The result takes the trailing dimensions (64), not the leading ones (4).

func.func @leading_dimensions(%dy: tensor<4x8x64xf32>) {
  // expected-error @+1 {{'tfm.bias_grad' op expected a result shaped like trailing dimensions of the gradient 4x8x64, got 4}}
  %0 = tfm.bias_grad %dy : tensor<4x8x64xf32> -> tensor<4xf32>
  return
}

// -----

func.func @trailing_two_mismatch(%dy: tensor<4x8x4x16xf32>) {
  // expected-error @+1 {{'tfm.bias_grad' op expected a result shaped like trailing dimensions of the gradient 4x8x4x16, got 8x16}}
  %0 = tfm.bias_grad %dy : tensor<4x8x4x16xf32> -> tensor<8x16xf32>
  return
}

// -----

func.func @result_element_type(%dy: tensor<4x8x64xbf16>) {
  // expected-error @+1 {{'tfm.bias_grad' op expected every floating-point operand and result to have element type 'bf16' (as the first operand), got 'f32' for result #0}}
  %0 = tfm.bias_grad %dy : tensor<4x8x64xbf16> -> tensor<64xf32>
  return
}

// -----

func.func @integer_gradient(%dy: tensor<4x8x64xi32>) {
  // expected-error @+1 {{'tfm.bias_grad' op operand #0 must be ranked tensor of 32-bit float or bfloat16 type or 16-bit float or 64-bit float values, but got 'tensor<4x8x64xi32>'}}
  %0 = tfm.bias_grad %dy : tensor<4x8x64xi32> -> tensor<64xi32>
  return
}
