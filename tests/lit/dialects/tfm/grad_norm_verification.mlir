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

// -----

// A sum from elsewhere needs the list of the slots read here (an empty list
// reads none): without one every slot would count on top of the sum.

func.func @plus_without_list(%sum: tensor<f32>) {
  // expected-error @+1 {{'tfm.grad_norm' op with a 'plus' sum lists the parameters it reads ('of [...]', possibly empty)}}
  %0 = tfm.grad_norm plus %sum(tensor<f32>) : tensor<f32>
  return
}

// -----

func.func @plus_with_empty_list(%sum: tensor<f32>) -> tensor<f32> {
  %0 = tfm.grad_norm of [] plus %sum(tensor<f32>) : tensor<f32>
  return %0 : tensor<f32>
}
