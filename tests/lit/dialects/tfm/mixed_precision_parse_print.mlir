// RUN: strata-opt %s | strata-opt | FileCheck %s

// The ops of mixed precision round-trip: a bf16 parameter with an f32 main
// parameter, casts, and an optimizer step with loss scaling.

// CHECK: tfm.parameter @w : tensor<4x64xbf16> init <normal, std = 2.000000e-02> trainable weight_decay main f32
tfm.parameter @w : tensor<4x64xbf16> init <normal, std = 0.02> trainable weight_decay main f32
// CHECK: tfm.parameter @v : tensor<4x64xf32> init <zeros> trainable{{$}}
tfm.parameter @v : tensor<4x64xf32> init <zeros> trainable

// CHECK-LABEL: func.func @casts
func.func @casts(%g: tensor<4x64xbf16>) -> tensor<4x64xbf16> {
  // CHECK: %[[V:.*]] = tfm.param_ref @v : tensor<4x64xf32>
  // CHECK-NEXT: %[[B:.*]] = tfm.cast %[[V]] : tensor<4x64xf32> to tensor<4x64xbf16>
  // CHECK-NEXT: %[[F:.*]] = tfm.cast %{{.*}} : tensor<4x64xbf16> to tensor<4x64xf32>
  // CHECK-NEXT: tfm.accumulate_grad @w, %[[F]] : tensor<4x64xf32>
  %v = tfm.param_ref @v : tensor<4x64xf32>
  %b = tfm.cast %v : tensor<4x64xf32> to tensor<4x64xbf16>
  %f = tfm.cast %g : tensor<4x64xbf16> to tensor<4x64xf32>
  tfm.accumulate_grad @w, %f : tensor<4x64xf32>
  return %b : tensor<4x64xbf16>
}

// CHECK-LABEL: func.func @step
func.func @step(%s: tensor<f32>, %scale: tensor<f32>) -> tensor<f32> {
  // CHECK: %[[SCALED:.*]] = tfm.grad_norm : tensor<f32>
  // CHECK-NEXT: %[[NORM:.*]] = tfm.unscale %[[SCALED]], %{{.*}} : tensor<f32>
  // CHECK-NEXT: %[[CLIP:.*]] = tfm.clip_coefficient %[[NORM]], %{{.*}} : tensor<f32>
  // CHECK-NEXT: %[[FACTOR:.*]] = tfm.unscale %[[CLIP]], %{{.*}} : tensor<f32>
  // CHECK-NEXT: tfm.adamw @w main lr {{.*}} grad_scale %[[FACTOR]] if_finite %[[NORM]](tensor<f32>) : tensor<f32>
  // CHECK-NEXT: tfm.param_from_main @w{{$}}
  // CHECK-NEXT: tfm.adamw @v lr {{.*}} grad_scale %[[FACTOR]] : tensor<f32>
  %scaled = tfm.grad_norm : tensor<f32>
  %norm = tfm.unscale %scaled, %scale : tensor<f32>
  %clip = tfm.clip_coefficient %norm, %s : tensor<f32>
  %factor = tfm.unscale %clip, %scale : tensor<f32>
  tfm.adamw @w main lr %s beta1 %s beta2 %s eps %s weight_decay %s step %s grad_scale %factor if_finite %norm(tensor<f32>) : tensor<f32>
  tfm.param_from_main @w
  tfm.adamw @v lr %s beta1 %s beta2 %s eps %s weight_decay %s step %s grad_scale %factor : tensor<f32>
  return %norm : tensor<f32>
}
