// RUN: strata-opt %s -split-input-file -verify-diagnostics

func.func @cast_shape(%x: tensor<4x64xf32>) {
  // expected-error @+1 {{'tfm.cast' op expected a result of the input's shape 4x64, got 4x32}}
  %0 = tfm.cast %x : tensor<4x64xf32> to tensor<4x32xbf16>
  return
}

// -----

func.func @cast_same_type(%x: tensor<4x64xbf16>) {
  // expected-error @+1 {{'tfm.cast' op expected a cast between different element types, got 'bf16' to 'bf16'}}
  %0 = tfm.cast %x : tensor<4x64xbf16> to tensor<4x64xbf16>
  return
}

// -----

func.func @cast_integer(%x: tensor<4x64xi32>) {
  // expected-error @+1 {{'tfm.cast' op operand #0 must be ranked tensor of 32-bit float or bfloat16 type or 16-bit float or 64-bit float values, but got 'tensor<4x64xi32>'}}
  %0 = tfm.cast %x : tensor<4x64xi32> to tensor<4x64xf32>
  return
}

// -----

// A main parameter is the f32 copy of a half-precision parameter.

// expected-error @+1 {{'tfm.parameter' op expected a main parameter only for a bf16 or f16 parameter, got 'f32'}}
tfm.parameter @w : tensor<4x64xf32> init <normal, std = 0.02> trainable main f32

// -----

// expected-error @+1 {{'tfm.parameter' op expected an f32 main parameter, got 'f64'}}
tfm.parameter @w : tensor<4x64xbf16> init <normal, std = 0.02> trainable main f64

// -----

// expected-error @+1 {{'tfm.parameter' op expected a main parameter only for a trainable parameter (the optimizer's copy)}}
tfm.parameter @w : tensor<4x64xf16> init <normal, std = 0.02> main f32

// -----

// Its gradient slot is f32.

tfm.parameter @w : tensor<4x64xbf16> init <normal, std = 0.02> trainable main f32

func.func @bf16_gradient(%g: tensor<4x64xbf16>) {
  // expected-error @+1 {{'tfm.accumulate_grad' op expected a gradient of type 'tensor<4x64xf32>' for @w, got 'tensor<4x64xbf16>'}}
  tfm.accumulate_grad @w, %g : tensor<4x64xbf16>
  return
}

// -----

// AdamW states whether it updates a main parameter.

tfm.parameter @w : tensor<4x64xbf16> init <normal, std = 0.02> trainable main f32

func.func @missing_main(%s: tensor<f32>) {
  // expected-error @+1 {{'tfm.adamw' op updates @w, which has a main parameter of type 'tensor<4x64xf32>'}}
  tfm.adamw @w lr %s beta1 %s beta2 %s eps %s weight_decay %s step %s grad_scale %s : tensor<f32>
  return
}

// -----

tfm.parameter @w : tensor<4x64xbf16> init <normal, std = 0.02> trainable

func.func @no_main(%s: tensor<f32>) {
  // expected-error @+1 {{'tfm.adamw' op updates the main parameter of @w, which has none}}
  tfm.adamw @w main lr %s beta1 %s beta2 %s eps %s weight_decay %s step %s grad_scale %s : tensor<f32>
  return
}

// -----

tfm.parameter @w : tensor<4x64xbf16> init <normal, std = 0.02> trainable main f32

func.func @f64_norm(%s: tensor<f32>, %norm: tensor<f64>) {
  // expected-error @+1 {{'tfm.adamw' op expected the if_finite value of type 'tensor<f32>' (the hyperparameters'), got 'tensor<f64>'}}
  tfm.adamw @w main lr %s beta1 %s beta2 %s eps %s weight_decay %s step %s grad_scale %s if_finite %norm(tensor<f64>) : tensor<f32>
  return
}

// -----

// tfm.param_from_main rounds a main parameter that exists.

tfm.parameter @w : tensor<4x64xbf16> init <normal, std = 0.02> trainable

func.func @round_without_main() {
  // expected-error @+1 {{'tfm.param_from_main' op @w of type 'tensor<4x64xbf16>' has no main parameter to round}}
  tfm.param_from_main @w
  return
}

// -----

tfm.parameter @frozen : tensor<4x64xbf16> init <normal, std = 0.02>

func.func @round_frozen() {
  // expected-error @+1 {{'tfm.param_from_main' op @frozen is not trainable and has no gradient slot}}
  tfm.param_from_main @frozen
  return
}

// -----

// Under the distributed optimizer the main parameter is a block, like the
// moments; the rounding writes that block.

tfm.parameter @w : tensor<4x64xbf16> init <normal, std = 0.02> trainable main f32 {dist.optimizer_local_type = tensor<128xf32>, dist.optimizer_shard_axis = "dp"}

func.func @whole_rounding() {
  // expected-error @+1 {{'tfm.param_from_main' op updates the whole of @w, whose optimizer state is split over mesh axis dp}}
  tfm.param_from_main @w
  return
}

// -----

// The moments' (and main parameter's) block is f32 like the gradient slot.

// expected-error @+1 {{'tfm.parameter' op expected an optimizer block of a 1-D tensor whose size divides the 256 elements of the local type 'tensor<4x64xbf16>', got 'tensor<128xbf16>'}}
tfm.parameter @w : tensor<4x64xbf16> init <normal, std = 0.02> trainable main f32 {dist.optimizer_local_type = tensor<128xbf16>, dist.optimizer_shard_axis = "dp"}

// -----

func.func @unscale_types(%x: tensor<f32>, %s: tensor<f64>) {
  // expected-error @+1 {{'tfm.unscale' op failed to verify that all of {value, loss_scale, result} have same type}}
  %0 = "tfm.unscale"(%x, %s) : (tensor<f32>, tensor<f64>) -> tensor<f32>
  return
}
