// RUN: strata-opt %s -split-input-file -verify-diagnostics

func.func @rank_one(%norm: tensor<1xf32>) {
  // expected-error @+1 {{'tfm.clip_coefficient' op operand #0 must be 0D tensor of 32-bit float or 64-bit float values, but got 'tensor<1xf32>'}}
  %0 = tfm.clip_coefficient %norm, %norm : tensor<1xf32>
  return
}

// -----

func.func @bf16(%norm: tensor<bf16>) {
  // expected-error @+1 {{'tfm.clip_coefficient' op operand #0 must be 0D tensor of 32-bit float or 64-bit float values, but got 'tensor<bf16>'}}
  %0 = tfm.clip_coefficient %norm, %norm : tensor<bf16>
  return
}

// -----

// The custom form gives every operand and the result the norm's type; the
// generic form can state others.

func.func @rank_one_max_norm(%norm: tensor<f32>, %max: tensor<1xf32>) {
  // expected-error @+1 {{'tfm.clip_coefficient' op operand #1 must be 0D tensor of 32-bit float or 64-bit float values, but got 'tensor<1xf32>'}}
  %0 = "tfm.clip_coefficient"(%norm, %max) : (tensor<f32>, tensor<1xf32>) -> tensor<f32>
  return
}

// -----

func.func @rank_one_result(%norm: tensor<f32>) {
  // expected-error @+1 {{'tfm.clip_coefficient' op result #0 must be 0D tensor of 32-bit float or 64-bit float values, but got 'tensor<1xf32>'}}
  %0 = "tfm.clip_coefficient"(%norm, %norm) : (tensor<f32>, tensor<f32>) -> tensor<1xf32>
  return
}

// -----

func.func @mixed_types(%norm: tensor<f32>, %max: tensor<f64>) {
  // expected-error @+1 {{'tfm.clip_coefficient' op failed to verify that all of {norm, max_norm, coefficient} have same type}}
  %0 = "tfm.clip_coefficient"(%norm, %max) : (tensor<f32>, tensor<f64>) -> tensor<f32>
  return
}
