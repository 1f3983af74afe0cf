// RUN: strata-opt %s -split-input-file -verify-diagnostics
// The distributed optimizer's ops and attributes (TfmParallelOps.td,
// tfm.adamw ... shard, tfm.parameter's dist.optimizer_* attributes) reject
// a block update of whole optimizer state and the reverse.

// expected-error @+1 {{'tfm.parameter' op expected dist.optimizer_shard_axis and dist.optimizer_local_type together}}
tfm.parameter @w : tensor<4x6xf32> init <zeros> trainable {dist.optimizer_shard_axis = "dp"}

// -----

// expected-error @+1 {{'tfm.parameter' op expected an optimizer block of a 1-D tensor whose size divides the 24 elements of the local type 'tensor<4x6xf32>', got 'tensor<5xf32>'}}
tfm.parameter @w : tensor<4x6xf32> init <zeros> trainable {dist.optimizer_local_type = tensor<5xf32>, dist.optimizer_shard_axis = "dp"}

// -----

tfm.parameter @w : tensor<4x6xf32> init <zeros> trainable
func.func @whole_state(%lr: tensor<f32>) {
  // expected-error @+1 {{'tfm.adamw' op updates a block of @w, whose optimizer state is whole}}
  tfm.adamw @w shard "dp" lr %lr beta1 %lr beta2 %lr eps %lr weight_decay %lr step %lr grad_scale %lr : tensor<f32>
  return
}

// -----

tfm.parameter @w : tensor<4x6xf32> init <zeros> trainable {dist.optimizer_local_type = tensor<12xf32>, dist.optimizer_shard_axis = "dp"}
func.func @whole_update(%lr: tensor<f32>) {
  // expected-error @+1 {{'tfm.adamw' op updates the whole of @w, whose optimizer state is split over mesh axis dp}}
  tfm.adamw @w lr %lr beta1 %lr beta2 %lr eps %lr weight_decay %lr step %lr grad_scale %lr : tensor<f32>
  return
}

// -----

tfm.parameter @w : tensor<4x6xf32> init <zeros> trainable
dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 1, 1]
func.func @scatter_whole() {
  // expected-error @+1 {{'tfm.reduce_scatter_grads' op expected the optimizer state of @w to be split over mesh axis "dp", but it is whole}}
  tfm.reduce_scatter_grads [@w] on @mesh axes = ["dp"]
  return
}

// -----

tfm.parameter @w : tensor<4x6xf32> init <zeros> trainable {dist.optimizer_local_type = tensor<12xf32>, dist.optimizer_shard_axis = "dp"}
dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 1, 2]
func.func @gather_two_axes() {
  // expected-error @+1 {{'tfm.gather_params' op expected one mesh axis, got ["dp", "tp"]}}
  tfm.gather_params [@w] on @mesh axes = ["dp", "tp"]
  return
}

// -----

tfm.parameter @w : tensor<4x6xf32> init <zeros> trainable {dist.optimizer_local_type = tensor<12xf32>, dist.optimizer_shard_axis = "dp"}
func.func @square_sum_other_axis() -> tensor<f32> {
  // expected-error @+1 {{'tfm.grad_square_sum' op expected the optimizer state of @w to be split over mesh axis "tp", but it is split over "dp"}}
  %0 = tfm.grad_square_sum [@w] shard "tp" : tensor<f32>
  return %0 : tensor<f32>
}
