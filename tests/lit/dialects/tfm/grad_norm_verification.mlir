// RUN: strata-opt %s -split-input-file -verify-diagnostics

func.func @rank_one_norm() {
  // expected-error @+1 {{'tfm.grad_norm' op result #0 must be 0D tensor of 32-bit float or 64-bit float values, but got 'tensor<1xf32>'}}
  %0 = tfm.grad_norm : tensor<1xf32>
  return
}

// -----

// The norm is accumulated in at least f32.

func.func @bf16_norm() {
  // expected-error @+1 {{'tfm.grad_norm' op result #0 must be 0D tensor of 32-bit float or 64-bit float values, but got 'tensor<bf16>'}}
  %0 = tfm.grad_norm : tensor<bf16>
  return
}
