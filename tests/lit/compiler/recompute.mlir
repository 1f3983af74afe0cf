// RUN: strata-opt %s --strata-tfm-derive-training --strata-tfm-recompute -split-input-file | FileCheck %s

// Two layers, each rms_norm -> dropout -> matmul -> silu -> residual add.
// Without recomputation each forward layer saves the dropout output and the
// silu input for its backward twin (see the `selective` case below).

// Full recomputation, uniform, one layer per group: the forward layers yield
// their outputs only; each backward layer takes its layer's input and the
// output gradient, re-runs the forward ops its backward ops read (the
// dropout with the forward stream, so the mask is the same), then the
// backward ops. The silu and the residual add only made the output: they
// are not recomputed.

// The evaluation function is left alone.
// CHECK-LABEL: func.func @forward(
// CHECK-NOT: tfm.recomputed
// CHECK-LABEL: func.func @forward_backward(
// CHECK: %[[X:.*]] = tfm.embedding
// CHECK: %[[H0:.*]] = tfm.layer 0 (%[[X]]) : (tensor<2x3x6xf32>) -> tensor<2x3x6xf32> {
// CHECK: tfm.dropout %{{.*}} rate 1.000000e-01 stream 0 :
// CHECK: tfm.yield %{{[^,]*}} : tensor<2x3x6xf32>
// CHECK: %[[H1:.*]] = tfm.layer 1 (%[[H0]]) : (tensor<2x3x6xf32>) -> tensor<2x3x6xf32> {
// CHECK: tfm.dropout %{{.*}} rate 1.000000e-01 stream 1 :
// CHECK: tfm.yield %{{[^,]*}} : tensor<2x3x6xf32>
// CHECK: %[[DH1:.*]] = tfm.matmul_grad_input
// CHECK: %[[DH0:.*]] = tfm.layer 1 backward (%[[H0]], %[[DH1]]) : (tensor<2x3x6xf32>, tensor<2x3x6xf32>) -> tensor<2x3x6xf32> {
// CHECK-NEXT: ^bb0(%[[IN1:[^:]*]]: tensor<2x3x6xf32>, %[[DY1:[^:]*]]: tensor<2x3x6xf32>):
// CHECK: %[[N1:.*]] = tfm.rms_norm %[[IN1]], %{{.*}} {tfm.recomputed}
// CHECK: %[[D1:.*]] = tfm.dropout %[[N1]] rate 1.000000e-01 stream 1 {tfm.recomputed}
// CHECK: %[[Y1:.*]] = tfm.matmul %[[D1]], %{{.*}} {tfm.recomputed}
// CHECK-NOT: tfm.silu %
// CHECK: tfm.silu_grad %[[Y1]], %[[DY1]]
// CHECK: tfm.matmul_grad_weight %{{.*}}, %[[D1]]
// CHECK: tfm.rms_norm_grad %{{.*}}, %[[IN1]]
// CHECK: tfm.yield
// CHECK: %[[DX:.*]] = tfm.layer 0 backward (%[[X]], %[[DH0]])
// CHECK: tfm.rms_norm %{{.*}} {tfm.recomputed}
// CHECK: tfm.dropout %{{.*}} rate 1.000000e-01 stream 0 {tfm.recomputed}
// CHECK: tfm.matmul %{{.*}} {tfm.recomputed}
// CHECK: tfm.embedding_grad %[[DX]]
module attributes {tfm.config = {activations_checkpoint_granularity = "full", activations_checkpoint_method = "uniform", activations_checkpoint_num_layers = 1 : i64}} {
  tfm.parameter @emb : tensor<11x6xf32> init <normal, std = 2.000000e-02> trainable weight_decay
  tfm.parameter @norm0 : tensor<6xf32> init <ones> trainable
  tfm.parameter @w0 : tensor<6x6xf32> init <normal, std = 2.000000e-02> trainable weight_decay
  tfm.parameter @norm1 : tensor<6xf32> init <ones> trainable
  tfm.parameter @w1 : tensor<6x6xf32> init <normal, std = 2.000000e-02> trainable weight_decay

  func.func @forward(%tokens: tensor<2x3xi32>, %positions: tensor<2x3xi32>, %labels: tensor<2x3xi32>) -> (tensor<2x3x11xf32>, tensor<f32>) {
    %emb = tfm.param_ref @emb : tensor<11x6xf32>
    %x = tfm.embedding %emb[%tokens] : tensor<11x6xf32>, tensor<2x3xi32> -> tensor<2x3x6xf32>
    %h0 = tfm.layer 0 (%x) : (tensor<2x3x6xf32>) -> tensor<2x3x6xf32> {
    ^bb0(%in: tensor<2x3x6xf32>):
      %g = tfm.param_ref @norm0 : tensor<6xf32>
      %n = tfm.rms_norm %in, %g epsilon 1.0e-5 : tensor<2x3x6xf32>, tensor<6xf32>
      %d = tfm.dropout %n rate 0.1 : tensor<2x3x6xf32>
      %w = tfm.param_ref @w0 : tensor<6x6xf32>
      %y = tfm.matmul %d, %w : tensor<2x3x6xf32>, tensor<6x6xf32> -> tensor<2x3x6xf32>
      %a = tfm.silu %y : tensor<2x3x6xf32>
      %r = tfm.add %in, %a : tensor<2x3x6xf32>
      tfm.yield %r : tensor<2x3x6xf32>
    }
    %h1 = tfm.layer 1 (%h0) : (tensor<2x3x6xf32>) -> tensor<2x3x6xf32> {
    ^bb0(%in: tensor<2x3x6xf32>):
      %g = tfm.param_ref @norm1 : tensor<6xf32>
      %n = tfm.rms_norm %in, %g epsilon 1.0e-5 : tensor<2x3x6xf32>, tensor<6xf32>
      %d = tfm.dropout %n rate 0.1 : tensor<2x3x6xf32>
      %w = tfm.param_ref @w1 : tensor<6x6xf32>
      %y = tfm.matmul %d, %w : tensor<2x3x6xf32>, tensor<6x6xf32> -> tensor<2x3x6xf32>
      %a = tfm.silu %y : tensor<2x3x6xf32>
      %r = tfm.add %in, %a : tensor<2x3x6xf32>
      tfm.yield %r : tensor<2x3x6xf32>
    }
    %logits = tfm.matmul %h1, %emb : tensor<2x3x6xf32>, tensor<11x6xf32> -> tensor<2x3x11xf32>
    %loss = tfm.cross_entropy mean %logits, %labels : tensor<2x3x11xf32>, tensor<2x3xi32> -> tensor<f32>
    return %logits, %loss : tensor<2x3x11xf32>, tensor<f32>
  }
}

// -----

// Uniform, two layers per group: only the group's input is stored. Layer 1's
// backward, which runs first, recomputes both layers (layer 0 entirely:
// its output is layer 1's input) and hands layer 0's backward the values
// it reads as extra results.

// CHECK-LABEL: func.func @forward_backward(
// CHECK: %[[X:.*]] = tfm.embedding
// CHECK: %[[H0:.*]] = tfm.layer 0 (%[[X]]) : (tensor<2x3x6xf32>) -> tensor<2x3x6xf32>
// CHECK: tfm.layer 1 (%[[H0]]) : (tensor<2x3x6xf32>) -> tensor<2x3x6xf32>
// CHECK: %[[B1:.*]]:3 = tfm.layer 1 backward (%[[X]], %{{.*}}) : (tensor<2x3x6xf32>, tensor<2x3x6xf32>) -> (tensor<2x3x6xf32>, tensor<2x3x6xf32>, tensor<2x3x6xf32>) {
// CHECK: %[[D0:.*]] = tfm.dropout %{{.*}} stream 0 {tfm.recomputed}
// CHECK: %[[Y0:.*]] = tfm.matmul %[[D0]], %{{.*}} {tfm.recomputed}
// CHECK: tfm.silu %[[Y0]] {tfm.recomputed}
// CHECK: %[[R0:.*]] = tfm.add %{{.*}} {tfm.recomputed}
// CHECK: tfm.rms_norm %[[R0]], %{{.*}} {tfm.recomputed}
// CHECK: tfm.dropout %{{.*}} stream 1 {tfm.recomputed}
// CHECK: tfm.yield %{{.*}}, %[[Y0]], %[[D0]] :
// CHECK: tfm.layer 0 backward (%[[B1]]#1, %[[B1]]#2, %[[X]], %[[B1]]#0)
// CHECK-NOT: tfm.recomputed
// CHECK: tfm.embedding_grad
module attributes {tfm.config = {activations_checkpoint_granularity = "full", activations_checkpoint_method = "uniform", activations_checkpoint_num_layers = 2 : i64}} {
  tfm.parameter @emb : tensor<11x6xf32> init <normal, std = 2.000000e-02> trainable weight_decay
  tfm.parameter @norm0 : tensor<6xf32> init <ones> trainable
  tfm.parameter @w0 : tensor<6x6xf32> init <normal, std = 2.000000e-02> trainable weight_decay
  tfm.parameter @norm1 : tensor<6xf32> init <ones> trainable
  tfm.parameter @w1 : tensor<6x6xf32> init <normal, std = 2.000000e-02> trainable weight_decay

  func.func @forward(%tokens: tensor<2x3xi32>, %positions: tensor<2x3xi32>, %labels: tensor<2x3xi32>) -> (tensor<2x3x11xf32>, tensor<f32>) {
    %emb = tfm.param_ref @emb : tensor<11x6xf32>
    %x = tfm.embedding %emb[%tokens] : tensor<11x6xf32>, tensor<2x3xi32> -> tensor<2x3x6xf32>
    %h0 = tfm.layer 0 (%x) : (tensor<2x3x6xf32>) -> tensor<2x3x6xf32> {
    ^bb0(%in: tensor<2x3x6xf32>):
      %g = tfm.param_ref @norm0 : tensor<6xf32>
      %n = tfm.rms_norm %in, %g epsilon 1.0e-5 : tensor<2x3x6xf32>, tensor<6xf32>
      %d = tfm.dropout %n rate 0.1 : tensor<2x3x6xf32>
      %w = tfm.param_ref @w0 : tensor<6x6xf32>
      %y = tfm.matmul %d, %w : tensor<2x3x6xf32>, tensor<6x6xf32> -> tensor<2x3x6xf32>
      %a = tfm.silu %y : tensor<2x3x6xf32>
      %r = tfm.add %in, %a : tensor<2x3x6xf32>
      tfm.yield %r : tensor<2x3x6xf32>
    }
    %h1 = tfm.layer 1 (%h0) : (tensor<2x3x6xf32>) -> tensor<2x3x6xf32> {
    ^bb0(%in: tensor<2x3x6xf32>):
      %g = tfm.param_ref @norm1 : tensor<6xf32>
      %n = tfm.rms_norm %in, %g epsilon 1.0e-5 : tensor<2x3x6xf32>, tensor<6xf32>
      %d = tfm.dropout %n rate 0.1 : tensor<2x3x6xf32>
      %w = tfm.param_ref @w1 : tensor<6x6xf32>
      %y = tfm.matmul %d, %w : tensor<2x3x6xf32>, tensor<6x6xf32> -> tensor<2x3x6xf32>
      %a = tfm.silu %y : tensor<2x3x6xf32>
      %r = tfm.add %in, %a : tensor<2x3x6xf32>
      tfm.yield %r : tensor<2x3x6xf32>
    }
    %logits = tfm.matmul %h1, %emb : tensor<2x3x6xf32>, tensor<11x6xf32> -> tensor<2x3x11xf32>
    %loss = tfm.cross_entropy mean %logits, %labels : tensor<2x3x11xf32>, tensor<2x3xi32> -> tensor<f32>
    return %logits, %loss : tensor<2x3x11xf32>, tensor<f32>
  }
}

// -----

// Block, one layer: layer 0 is recomputed, layer 1 saves its activations
// as before.

// CHECK-LABEL: func.func @forward_backward(
// CHECK: %[[X:.*]] = tfm.embedding
// CHECK: %[[H0:.*]] = tfm.layer 0 (%[[X]]) : (tensor<2x3x6xf32>) -> tensor<2x3x6xf32>
// CHECK: %[[H1:.*]]:3 = tfm.layer 1 (%[[H0]])
// CHECK: tfm.layer 1 backward (%[[H1]]#1, %[[H1]]#2, %[[H0]], %{{.*}})
// CHECK-NOT: tfm.recomputed
// CHECK: tfm.layer 0 backward (%[[X]], %{{.*}})
// CHECK: tfm.dropout %{{.*}} stream 0 {tfm.recomputed}
module attributes {tfm.config = {activations_checkpoint_granularity = "full", activations_checkpoint_method = "block", activations_checkpoint_num_layers = 1 : i64}} {
  tfm.parameter @emb : tensor<11x6xf32> init <normal, std = 2.000000e-02> trainable weight_decay
  tfm.parameter @norm0 : tensor<6xf32> init <ones> trainable
  tfm.parameter @w0 : tensor<6x6xf32> init <normal, std = 2.000000e-02> trainable weight_decay
  tfm.parameter @norm1 : tensor<6xf32> init <ones> trainable
  tfm.parameter @w1 : tensor<6x6xf32> init <normal, std = 2.000000e-02> trainable weight_decay

  func.func @forward(%tokens: tensor<2x3xi32>, %positions: tensor<2x3xi32>, %labels: tensor<2x3xi32>) -> (tensor<2x3x11xf32>, tensor<f32>) {
    %emb = tfm.param_ref @emb : tensor<11x6xf32>
    %x = tfm.embedding %emb[%tokens] : tensor<11x6xf32>, tensor<2x3xi32> -> tensor<2x3x6xf32>
    %h0 = tfm.layer 0 (%x) : (tensor<2x3x6xf32>) -> tensor<2x3x6xf32> {
    ^bb0(%in: tensor<2x3x6xf32>):
      %g = tfm.param_ref @norm0 : tensor<6xf32>
      %n = tfm.rms_norm %in, %g epsilon 1.0e-5 : tensor<2x3x6xf32>, tensor<6xf32>
      %d = tfm.dropout %n rate 0.1 : tensor<2x3x6xf32>
      %w = tfm.param_ref @w0 : tensor<6x6xf32>
      %y = tfm.matmul %d, %w : tensor<2x3x6xf32>, tensor<6x6xf32> -> tensor<2x3x6xf32>
      %a = tfm.silu %y : tensor<2x3x6xf32>
      %r = tfm.add %in, %a : tensor<2x3x6xf32>
      tfm.yield %r : tensor<2x3x6xf32>
    }
    %h1 = tfm.layer 1 (%h0) : (tensor<2x3x6xf32>) -> tensor<2x3x6xf32> {
    ^bb0(%in: tensor<2x3x6xf32>):
      %g = tfm.param_ref @norm1 : tensor<6xf32>
      %n = tfm.rms_norm %in, %g epsilon 1.0e-5 : tensor<2x3x6xf32>, tensor<6xf32>
      %d = tfm.dropout %n rate 0.1 : tensor<2x3x6xf32>
      %w = tfm.param_ref @w1 : tensor<6x6xf32>
      %y = tfm.matmul %d, %w : tensor<2x3x6xf32>, tensor<6x6xf32> -> tensor<2x3x6xf32>
      %a = tfm.silu %y : tensor<2x3x6xf32>
      %r = tfm.add %in, %a : tensor<2x3x6xf32>
      tfm.yield %r : tensor<2x3x6xf32>
    }
    %logits = tfm.matmul %h1, %emb : tensor<2x3x6xf32>, tensor<11x6xf32> -> tensor<2x3x11xf32>
    %loss = tfm.cross_entropy mean %logits, %labels : tensor<2x3x11xf32>, tensor<2x3xi32> -> tensor<f32>
    return %logits, %loss : tensor<2x3x11xf32>, tensor<f32>
  }
}

// -----

// Selective: tfm.attention already keeps only its log-sum-exp, so nothing
// changes (these layers have no attention; see docs/model-description.md).

// CHECK-LABEL: func.func @forward_backward(
// CHECK: %[[H0:.*]]:3 = tfm.layer 0
// CHECK: %[[H1:.*]]:3 = tfm.layer 1
// CHECK: tfm.layer 1 backward (%[[H1]]#1, %[[H1]]#2, %[[H0]]#0, %{{.*}})
// CHECK: tfm.layer 0 backward (%[[H0]]#1, %[[H0]]#2,
// CHECK-NOT: tfm.recomputed
module attributes {tfm.config = {activations_checkpoint_granularity = "selective"}} {
  tfm.parameter @emb : tensor<11x6xf32> init <normal, std = 2.000000e-02> trainable weight_decay
  tfm.parameter @norm0 : tensor<6xf32> init <ones> trainable
  tfm.parameter @w0 : tensor<6x6xf32> init <normal, std = 2.000000e-02> trainable weight_decay
  tfm.parameter @norm1 : tensor<6xf32> init <ones> trainable
  tfm.parameter @w1 : tensor<6x6xf32> init <normal, std = 2.000000e-02> trainable weight_decay

  func.func @forward(%tokens: tensor<2x3xi32>, %positions: tensor<2x3xi32>, %labels: tensor<2x3xi32>) -> (tensor<2x3x11xf32>, tensor<f32>) {
    %emb = tfm.param_ref @emb : tensor<11x6xf32>
    %x = tfm.embedding %emb[%tokens] : tensor<11x6xf32>, tensor<2x3xi32> -> tensor<2x3x6xf32>
    %h0 = tfm.layer 0 (%x) : (tensor<2x3x6xf32>) -> tensor<2x3x6xf32> {
    ^bb0(%in: tensor<2x3x6xf32>):
      %g = tfm.param_ref @norm0 : tensor<6xf32>
      %n = tfm.rms_norm %in, %g epsilon 1.0e-5 : tensor<2x3x6xf32>, tensor<6xf32>
      %d = tfm.dropout %n rate 0.1 : tensor<2x3x6xf32>
      %w = tfm.param_ref @w0 : tensor<6x6xf32>
      %y = tfm.matmul %d, %w : tensor<2x3x6xf32>, tensor<6x6xf32> -> tensor<2x3x6xf32>
      %a = tfm.silu %y : tensor<2x3x6xf32>
      %r = tfm.add %in, %a : tensor<2x3x6xf32>
      tfm.yield %r : tensor<2x3x6xf32>
    }
    %h1 = tfm.layer 1 (%h0) : (tensor<2x3x6xf32>) -> tensor<2x3x6xf32> {
    ^bb0(%in: tensor<2x3x6xf32>):
      %g = tfm.param_ref @norm1 : tensor<6xf32>
      %n = tfm.rms_norm %in, %g epsilon 1.0e-5 : tensor<2x3x6xf32>, tensor<6xf32>
      %d = tfm.dropout %n rate 0.1 : tensor<2x3x6xf32>
      %w = tfm.param_ref @w1 : tensor<6x6xf32>
      %y = tfm.matmul %d, %w : tensor<2x3x6xf32>, tensor<6x6xf32> -> tensor<2x3x6xf32>
      %a = tfm.silu %y : tensor<2x3x6xf32>
      %r = tfm.add %in, %a : tensor<2x3x6xf32>
      tfm.yield %r : tensor<2x3x6xf32>
    }
    %logits = tfm.matmul %h1, %emb : tensor<2x3x6xf32>, tensor<11x6xf32> -> tensor<2x3x11xf32>
    %loss = tfm.cross_entropy mean %logits, %labels : tensor<2x3x11xf32>, tensor<2x3xi32> -> tensor<f32>
    return %logits, %loss : tensor<2x3x11xf32>, tensor<f32>
  }
}
