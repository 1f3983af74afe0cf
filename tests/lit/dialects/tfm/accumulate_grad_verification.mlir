// RUN: strata-opt %s -split-input-file -verify-diagnostics

func.func @undefined(%dw: tensor<4x64xf32>) {
  // expected-error @+1 {{'tfm.accumulate_grad' op @missing does not name a tfm.parameter}}
  tfm.accumulate_grad @missing, %dw : tensor<4x64xf32>
  return
}

// -----

// The symbol exists but is not a tfm.parameter.

func.func private @not_a_parameter() -> tensor<4x64xf32>

func.func @wrong_kind(%dw: tensor<4x64xf32>) {
  // expected-error @+1 {{'tfm.accumulate_grad' op @not_a_parameter does not name a tfm.parameter (it names a func.func)}}
  tfm.accumulate_grad @not_a_parameter, %dw : tensor<4x64xf32>
  return
}

// -----

// Only trainable parameters have a gradient slot.

tfm.parameter @frozen : tensor<4x64xf32> init <normal, std = 0.02> weight_decay

func.func @frozen_parameter(%dw: tensor<4x64xf32>) {
  // expected-error @+1 {{'tfm.accumulate_grad' op @frozen is not trainable and has no gradient slot}}
  tfm.accumulate_grad @frozen, %dw : tensor<4x64xf32>
  return
}

// -----

tfm.parameter @w : tensor<4x64xf32> init <normal, std = 0.02> trainable

func.func @wrong_shape(%dw: tensor<64x4xf32>) {
  // expected-error @+1 {{'tfm.accumulate_grad' op expected a gradient of type 'tensor<4x64xf32>' for @w, got 'tensor<64x4xf32>'}}
  tfm.accumulate_grad @w, %dw : tensor<64x4xf32>
  return
}

// -----

// The slot has the parameter's element type: a bf16 gradient of an f32
// parameter needs an explicit cast.

tfm.parameter @w : tensor<4x64xf32> init <normal, std = 0.02> trainable

func.func @wrong_element_type(%dw: tensor<4x64xbf16>) {
  // expected-error @+1 {{'tfm.accumulate_grad' op expected a gradient of type 'tensor<4x64xf32>' for @w, got 'tensor<4x64xbf16>'}}
  tfm.accumulate_grad @w, %dw : tensor<4x64xbf16>
  return
}

// -----

// A dynamic gradient does not match the static parameter type either.

tfm.parameter @w : tensor<4x64xf32> init <normal, std = 0.02> trainable

func.func @dynamic_gradient(%dw: tensor<?x64xf32>) {
  // expected-error @+1 {{'tfm.accumulate_grad' op expected a gradient of type 'tensor<4x64xf32>' for @w, got 'tensor<?x64xf32>'}}
  tfm.accumulate_grad @w, %dw : tensor<?x64xf32>
  return
}

// -----

// Inside a backward tfm.layer (isolated from above) the symbol is checked
// alike.

tfm.parameter @w : tensor<4x64xf32> init <normal, std = 0.02>

func.func @inside_layer(%dw: tensor<4x64xf32>) {
  tfm.layer 0 backward (%dw) : (tensor<4x64xf32>) -> () {
  ^bb0(%g: tensor<4x64xf32>):
    // expected-error @+1 {{'tfm.accumulate_grad' op @w is not trainable and has no gradient slot}}
    tfm.accumulate_grad @w, %g : tensor<4x64xf32>
    tfm.yield
  }
  return
}

// -----

tfm.parameter @w : tensor<4x64xf32> init <normal, std = 0.02> trainable

func.func @integer_gradient(%dw: tensor<4x64xi32>) {
  // expected-error @+1 {{'tfm.accumulate_grad' op operand #0 must be ranked tensor of 32-bit float or bfloat16 type or 16-bit float or 64-bit float values, but got 'tensor<4x64xi32>'}}
  tfm.accumulate_grad @w, %dw : tensor<4x64xi32>
  return
}
