// RUN: strata-opt %s -split-input-file -verify-diagnostics

func.func @undefined() -> tensor<64xf32> {
  // expected-error @+1 {{'tfm.param_ref' op @missing does not name a tfm.parameter}}
  %w = tfm.param_ref @missing : tensor<64xf32>
  return %w : tensor<64xf32>
}

// -----

// The symbol exists but is not a tfm.parameter.

func.func private @not_a_parameter() -> tensor<64xf32>

func.func @wrong_kind() -> tensor<64xf32> {
  // expected-error @+1 {{'tfm.param_ref' op @not_a_parameter does not name a tfm.parameter (it names a func.func)}}
  %w = tfm.param_ref @not_a_parameter : tensor<64xf32>
  return %w : tensor<64xf32>
}

// -----

tfm.parameter @w : tensor<4x64xf32> init <normal, std = 0.02>

func.func @wrong_shape() -> tensor<64x4xf32> {
  // expected-error @+1 {{expected type 'tensor<4x64xf32>' of parameter @w, got 'tensor<64x4xf32>'}}
  %w = tfm.param_ref @w : tensor<64x4xf32>
  return %w : tensor<64x4xf32>
}

// -----

tfm.parameter @w : tensor<4x64xf32> init <normal, std = 0.02>

func.func @wrong_element_type() -> tensor<4x64xbf16> {
  // expected-error @+1 {{expected type 'tensor<4x64xf32>' of parameter @w, got 'tensor<4x64xbf16>'}}
  %w = tfm.param_ref @w : tensor<4x64xbf16>
  return %w : tensor<4x64xbf16>
}

// -----

tfm.parameter @w : tensor<4x64xf32> init <normal, std = 0.02>

func.func @dynamic_result() -> tensor<?x64xf32> {
  // expected-error @+1 {{expected type 'tensor<4x64xf32>' of parameter @w, got 'tensor<?x64xf32>'}}
  %w = tfm.param_ref @w : tensor<?x64xf32>
  return %w : tensor<?x64xf32>
}

// -----

// Inside a tfm.layer (isolated from above) the reference is checked alike.

tfm.parameter @w : tensor<4x64xf32> init <normal, std = 0.02>

func.func @inside_layer(%x: tensor<4x64xf32>) {
  tfm.layer 0 (%x) : (tensor<4x64xf32>) -> () {
  ^bb0(%h: tensor<4x64xf32>):
    // expected-error @+1 {{expected type 'tensor<4x64xf32>' of parameter @w, got 'tensor<64x4xf32>'}}
    %w = tfm.param_ref @w : tensor<64x4xf32>
  }
  return
}

// -----

func.func @integer_result() -> tensor<4xi32> {
  // expected-error @+1 {{'tfm.param_ref' op result #0 must be ranked tensor of 32-bit float or bfloat16 type or 16-bit float or 64-bit float or 8-bit signless integer values, but got 'tensor<4xi32>'}}
  %w = tfm.param_ref @w : tensor<4xi32>
  return %w : tensor<4xi32>
}
