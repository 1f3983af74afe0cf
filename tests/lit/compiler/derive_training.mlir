// RUN: strata-opt %s --strata-tfm-derive-training -split-input-file -verify-diagnostics | FileCheck %s

// A one-layer model small enough to read: the backward layer receives what
// the forward layer saved, re-reads parameters instead of saving them, and
// every trainable parameter's gradient is accumulated once per use.

module attributes {tfm.config = {micro_batch_size = 2 : i64, data_parallel_size = 1 : i64, global_batch_size = 8 : i64}} {
  tfm.parameter @emb : tensor<11x6xf32> init <normal, std = 2.000000e-02> trainable weight_decay
  tfm.parameter @norm : tensor<6xf32> init <ones> trainable
  tfm.parameter @w : tensor<6x6xf32> init <normal, std = 2.000000e-02> trainable weight_decay
  tfm.parameter @frozen : tensor<6x6xf32> init <normal, std = 2.000000e-02>

  func.func @forward(%tokens: tensor<2x3xi32>, %positions: tensor<2x3xi32>, %labels: tensor<2x3xi32>) -> (tensor<2x3x11xf32>, tensor<f32>) {
    %emb = tfm.param_ref @emb : tensor<11x6xf32>
    %x = tfm.embedding %emb[%tokens] : tensor<11x6xf32>, tensor<2x3xi32> -> tensor<2x3x6xf32>
    %d = tfm.dropout %x rate 0.1 : tensor<2x3x6xf32>
    %h = tfm.layer 0 (%d) : (tensor<2x3x6xf32>) -> tensor<2x3x6xf32> {
    ^bb0(%in: tensor<2x3x6xf32>):
      %g = tfm.param_ref @norm : tensor<6xf32>
      %n = tfm.rms_norm %in, %g epsilon 1.0e-5 : tensor<2x3x6xf32>, tensor<6xf32>
      %w = tfm.param_ref @w : tensor<6x6xf32>
      %y = tfm.matmul %n, %w : tensor<2x3x6xf32>, tensor<6x6xf32> -> tensor<2x3x6xf32>
      %f = tfm.param_ref @frozen : tensor<6x6xf32>
      %z = tfm.matmul %y, %f : tensor<2x3x6xf32>, tensor<6x6xf32> -> tensor<2x3x6xf32>
      %a = tfm.silu %z : tensor<2x3x6xf32>
      %r = tfm.add %in, %a : tensor<2x3x6xf32>
      tfm.yield %r : tensor<2x3x6xf32>
    }
    %logits = tfm.matmul %h, %emb : tensor<2x3x6xf32>, tensor<11x6xf32> -> tensor<2x3x11xf32>
    %loss = tfm.cross_entropy mean %logits, %labels : tensor<2x3x11xf32>, tensor<2x3xi32> -> tensor<f32>
    return %logits, %loss : tensor<2x3x11xf32>, tensor<f32>
  }
}

// CHECK: module attributes {tfm.config = {{.*}}, tfm.micro_batches = 4 : i64, tfm.phase = "training"}
// The forward function stays (evaluation, training-mode forward); its
// dropout gets the stream forward_backward's forward uses.
// CHECK-LABEL: func.func @forward(
// CHECK: tfm.dropout %{{.*}} rate 1.000000e-01 stream 0 :
// CHECK: return

// CHECK-LABEL: func.func @forward_backward(
// CHECK-SAME: %[[TOKENS:[^:]*]]: tensor<2x3xi32>
// CHECK-SAME: %[[SCALE:[^:]*]]: tensor<f32> {tfm.name = "loss_scale"}) -> tensor<f32>
// CHECK: %[[EMB:.*]] = tfm.param_ref @emb
// CHECK: %[[X:.*]] = tfm.embedding %[[EMB]][%[[TOKENS]]]
// CHECK: %[[D:.*]] = tfm.dropout %[[X]] rate 1.000000e-01 stream 0
// The forward layer also returns what its backward twin needs: the silu
// input and the rms_norm output (not the frozen matmul's input, whose
// weight gradient is dropped).
// CHECK: %[[H:.*]]:3 = tfm.layer 0 (%[[D]]) : (tensor<2x3x6xf32>) -> (tensor<2x3x6xf32>, tensor<2x3x6xf32>, tensor<2x3x6xf32>)
// CHECK: tfm.yield
// CHECK: %[[LOGITS:.*]] = tfm.matmul %[[H]]#0, %[[EMB]]
// CHECK: %[[LOSS:.*]] = tfm.cross_entropy mean %[[LOGITS]]
// CHECK: %[[DLOGITS:.*]] = tfm.cross_entropy_grad mean %[[LOGITS]], %{{.*}}, %[[SCALE]]
// CHECK: %[[DH:.*]] = tfm.matmul_grad_input %[[DLOGITS]], %[[EMB]] outputs 1
// CHECK: %[[DEMB_HEAD:.*]] = tfm.matmul_grad_weight %[[DLOGITS]], %[[H]]#0 batch 2
// The layer's own input is passed to the backward layer directly.
// CHECK: %[[DIN:.*]] = tfm.layer 0 backward (%[[H]]#1, %[[H]]#2, %[[D]], %[[DH]])
// CHECK-DAG: tfm.param_ref @w
// CHECK-DAG: tfm.param_ref @norm
// CHECK-DAG: tfm.param_ref @frozen
// CHECK: tfm.silu_grad
// The frozen weight's gradient is never computed or accumulated.
// CHECK: tfm.matmul_grad_input
// CHECK-NOT: tfm.accumulate_grad @frozen
// CHECK: tfm.accumulate_grad @w
// CHECK: tfm.rms_norm_grad
// CHECK: tfm.accumulate_grad @norm
// CHECK: tfm.yield
// The dropout's gradient redraws its mask from the same stream.
// CHECK: %[[DD:.*]] = tfm.dropout %[[DIN]] rate 1.000000e-01 stream 0
// CHECK: %[[DEMB_IN:.*]] = tfm.embedding_grad %[[DD]][%[[TOKENS]]]
// Tied embeddings: both uses add up before one accumulation.
// CHECK: %[[DEMB:.*]] = tfm.add %[[DEMB_HEAD]], %[[DEMB_IN]]
// CHECK: tfm.accumulate_grad @emb, %[[DEMB]]
// CHECK: return %[[LOSS]] : tensor<f32>

// CHECK-LABEL: func.func @zero_grads()
// CHECK-NEXT: tfm.zero_grads

// CHECK-LABEL: func.func @optimizer_step(
// CHECK: %[[NORM:.*]] = tfm.grad_norm
// CHECK: %[[COEF:.*]] = tfm.clip_coefficient %[[NORM]]
// CHECK: tfm.adamw @emb {{.*}} grad_scale %[[COEF]]
// CHECK: tfm.adamw @norm
// CHECK: tfm.adamw @w
// CHECK-NOT: tfm.adamw @frozen
// CHECK: return %[[NORM]]

// -----

// Frozen parts cost nothing: with the only weight frozen, no weight
// gradient GEMM survives.
module {
  tfm.parameter @frozen : tensor<6x6xf32> init <normal, std = 2.000000e-02>
  tfm.parameter @bias : tensor<6xf32> init <zeros> trainable
  // CHECK-LABEL: func.func @forward_backward(
  func.func @forward(%x: tensor<2x3x6xf32>, %unused: tensor<2x3xi32>, %labels: tensor<2x3xi32>) -> (tensor<2x3x6xf32>, tensor<f32>) {
    %f = tfm.param_ref @frozen : tensor<6x6xf32>
    %y = tfm.matmul %x, %f : tensor<2x3x6xf32>, tensor<6x6xf32> -> tensor<2x3x6xf32>
    %b = tfm.param_ref @bias : tensor<6xf32>
    %z = tfm.bias_add %y, %b : tensor<2x3x6xf32>, tensor<6xf32>
    %loss = tfm.cross_entropy mean %z, %labels : tensor<2x3x6xf32>, tensor<2x3xi32> -> tensor<f32>
    return %z, %loss : tensor<2x3x6xf32>, tensor<f32>
  }
  // CHECK: tfm.bias_grad
  // CHECK-NEXT: tfm.accumulate_grad @bias
  // CHECK-NOT: tfm.matmul_grad
  // CHECK: return
}

// -----

// expected-error @+1 {{expected a @forward function (the input phase) to derive training from}}
module {
  func.func @main() {
    return
  }
}

// -----

module {
  tfm.parameter @w : tensor<6x6xf32> init <normal, std = 2.000000e-02> trainable
  func.func @forward(%x: tensor<2x3x6xf32>, %unused: tensor<2x3xi32>, %labels: tensor<2x3xi32>) -> (tensor<2x3x6xf32>, tensor<f32>) {
    %w = tfm.param_ref @w : tensor<6x6xf32>
    %y = tfm.matmul %x, %w : tensor<2x3x6xf32>, tensor<6x6xf32> -> tensor<2x3x6xf32>
    // expected-error @+1 {{'arith.negf' op has no vector-Jacobian product, so the loss cannot be differentiated through it}}
    %n = arith.negf %y : tensor<2x3x6xf32>
    %loss = tfm.cross_entropy mean %n, %labels : tensor<2x3x6xf32>, tensor<2x3xi32> -> tensor<f32>
    return %n, %loss : tensor<2x3x6xf32>, tensor<f32>
  }
}

// -----

module {
  // expected-error @+1 {{'func.func' op expected results (logits, scalar loss), got 'tensor<2x3x6xf32>'}}
  func.func @forward(%x: tensor<2x3x6xf32>) -> tensor<2x3x6xf32> {
    return %x : tensor<2x3x6xf32>
  }
}
