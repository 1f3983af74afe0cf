// RUN: strata-opt %s | strata-opt | FileCheck %s
// The distributed optimizer's ops print and parse back: the gradients
// reduce-scattered over dp, the rank's block summed and updated, the
// parameters all-gathered.

// CHECK: tfm.parameter @w : tensor<4x6xf32> init <zeros> trainable {dist.optimizer_local_type = tensor<12xf32>, dist.optimizer_shard_axis = "dp"}
tfm.parameter @w : tensor<4x6xf32> init <zeros> trainable {dist.optimizer_local_type = tensor<12xf32>, dist.optimizer_shard_axis = "dp"}
tfm.parameter @b : tensor<6xf32> init <zeros> trainable
dist.mesh @mesh axes = ["dp", "pp", "tp"] shape = [2, 1, 1]

// CHECK-LABEL: func.func @reduce_gradients
// CHECK-NEXT: tfm.reduce_grads [@b] on @mesh axes = ["dp"]
// CHECK-NEXT: tfm.reduce_scatter_grads [@w] on @mesh axes = ["dp"]
func.func @reduce_gradients() {
  tfm.reduce_grads [@b] on @mesh axes = ["dp"]
  tfm.reduce_scatter_grads [@w] on @mesh axes = ["dp"]
  return
}

// CHECK-LABEL: func.func @optimizer_step
// CHECK-NEXT: %[[BLOCKS:.*]] = tfm.grad_square_sum [@w] shard "dp" : tensor<f32>
// CHECK-NEXT: %[[ALL:.*]] = dist.all_reduce %[[BLOCKS]]
// CHECK-NEXT: tfm.grad_norm of [@b] plus %[[ALL]](tensor<f32>) : tensor<f32>
// CHECK-NEXT: tfm.adamw @w shard "dp" lr
// CHECK-NEXT: tfm.adamw @b lr
// CHECK-NEXT: tfm.gather_params [@w] on @mesh axes = ["dp"]
func.func @optimizer_step(%lr: tensor<f32>) -> tensor<f32> {
  %0 = tfm.grad_square_sum [@w] shard "dp" : tensor<f32>
  %1 = dist.all_reduce %0 on @mesh axes = ["dp"] reduction = sum : tensor<f32>
  %2 = tfm.grad_norm of [@b] plus %1(tensor<f32>) : tensor<f32>
  tfm.adamw @w shard "dp" lr %lr beta1 %lr beta2 %lr eps %lr weight_decay %lr step %lr grad_scale %lr : tensor<f32>
  tfm.adamw @b lr %lr beta1 %lr beta2 %lr eps %lr weight_decay %lr step %lr grad_scale %lr : tensor<f32>
  tfm.gather_params [@w] on @mesh axes = ["dp"]
  return %2 : tensor<f32>
}
