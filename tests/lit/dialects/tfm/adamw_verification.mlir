// RUN: strata-opt %s -split-input-file -verify-diagnostics

func.func @undefined(%s: tensor<f32>) {
  // expected-error @+1 {{'tfm.adamw' op @missing does not name a tfm.parameter}}
  tfm.adamw @missing lr %s beta1 %s beta2 %s eps %s weight_decay %s step %s grad_scale %s : tensor<f32>
  return
}

// -----

// The symbol exists but is not a tfm.parameter.

func.func private @not_a_parameter() -> tensor<4x64xf32>

func.func @wrong_kind(%s: tensor<f32>) {
  // expected-error @+1 {{'tfm.adamw' op @not_a_parameter does not name a tfm.parameter (it names a func.func)}}
  tfm.adamw @not_a_parameter lr %s beta1 %s beta2 %s eps %s weight_decay %s step %s grad_scale %s : tensor<f32>
  return
}

// -----

// A frozen parameter has no gradient (nor moment) slots to update from.

tfm.parameter @frozen : tensor<4x64xf32> init <normal, std = 0.02> weight_decay

func.func @frozen_parameter(%s: tensor<f32>) {
  // expected-error @+1 {{'tfm.adamw' op @frozen is not trainable and has no gradient slot}}
  tfm.adamw @frozen lr %s beta1 %s beta2 %s eps %s weight_decay %s step %s grad_scale %s : tensor<f32>
  return
}

// -----

tfm.parameter @w : tensor<4x64xf32> init <normal, std = 0.02> trainable

func.func @rank_one_hyperparameters(%s: tensor<1xf32>) {
  // expected-error @+1 {{'tfm.adamw' op operand #0 must be 0D tensor of 32-bit float or 64-bit float values, but got 'tensor<1xf32>'}}
  tfm.adamw @w lr %s beta1 %s beta2 %s eps %s weight_decay %s step %s grad_scale %s : tensor<1xf32>
  return
}

// -----

// Hyperparameters are f32 or f64 whatever the parameter's type.

tfm.parameter @w : tensor<4x64xbf16> init <normal, std = 0.02> trainable

func.func @bf16_hyperparameters(%s: tensor<bf16>) {
  // expected-error @+1 {{'tfm.adamw' op operand #0 must be 0D tensor of 32-bit float or 64-bit float values, but got 'tensor<bf16>'}}
  tfm.adamw @w lr %s beta1 %s beta2 %s eps %s weight_decay %s step %s grad_scale %s : tensor<bf16>
  return
}

// -----

// The custom form gives every operand the type of lr; the generic form can
// state others. A non-scalar step:

tfm.parameter @w : tensor<4x64xf32> init <normal, std = 0.02> trainable

func.func @rank_one_step(%s: tensor<f32>, %step: tensor<1xf32>) {
  // expected-error @+1 {{'tfm.adamw' op operand #5 must be 0D tensor of 32-bit float or 64-bit float values, but got 'tensor<1xf32>'}}
  "tfm.adamw"(%s, %s, %s, %s, %s, %step, %s) <{name = @w}> : (tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<1xf32>, tensor<f32>) -> ()
  return
}

// -----

// Scalars of mixed types:

tfm.parameter @w : tensor<4x64xf32> init <normal, std = 0.02> trainable

func.func @mixed_types(%s: tensor<f32>, %c: tensor<f64>) {
  // expected-error @+1 {{'tfm.adamw' op failed to verify that all of {lr, beta1, beta2, eps, weight_decay, step, grad_scale} have same type}}
  "tfm.adamw"(%s, %s, %s, %s, %s, %s, %c) <{name = @w}> : (tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f64>) -> ()
  return
}
