// RUN: strata-opt %s --strata-tfm-quantize-weights -split-input-file -verify-diagnostics | FileCheck %s

// A tied GPT-2-style model after inference derivation: the word embedding is
// looked up with the tokens and is the output layer's weight; the position
// embedding, norm and bias stay f32. Scales cover the output dimensions
// (per head and head_dim for the query, per hidden row for the output
// projection that contracts two dimensions, per vocabulary row).

// CHECK:       tfm.parameter @emb : tensor<11x4xi8> init <normal, std = 2.000000e-02> scales @emb_scale
// CHECK-NEXT:  tfm.parameter @emb_scale : tensor<11xf32> init <ones>
// CHECK-NEXT:  tfm.parameter @pos : tensor<8x4xf32>
// CHECK-NEXT:  tfm.parameter @wq : tensor<2x2x4xi8> init <normal, std = 2.000000e-02> scales @wq_scale
// CHECK-NEXT:  tfm.parameter @wq_scale : tensor<2x2xf32> init <ones>
// CHECK-NEXT:  tfm.parameter @wo : tensor<4x2x2xi8> init <normal, std = 2.000000e-02> scales @wo_scale
// CHECK-NEXT:  tfm.parameter @wo_scale : tensor<4xf32> init <ones>
// CHECK-NEXT:  tfm.parameter @norm : tensor<4xf32>
// CHECK-NEXT:  tfm.parameter @bias : tensor<2x2xf32>
// CHECK-LABEL: func.func @decode
// CHECK-DAG:     %[[E:.*]] = tfm.param_ref @emb : tensor<11x4xi8>
// CHECK-DAG:     %[[ES:.*]] = tfm.param_ref @emb_scale : tensor<11xf32>
// CHECK:         tfm.quantized_embedding %[[E]][%{{.*}}] scales %[[ES]]
// CHECK:         tfm.embedding %{{.*}}[%{{.*}}] : tensor<8x4xf32>
// CHECK:         tfm.quantized_matmul %{{.*}} scales %{{.*}} : tensor<2x1x4xf32>, tensor<2x2x4xi8>, tensor<2x2xf32>
// CHECK:         tfm.bias_add
// CHECK:         tfm.quantized_matmul %{{.*}} scales %{{.*}} contracting 2 : tensor<2x1x2x2xf32>, tensor<4x2x2xi8>, tensor<4xf32>
// CHECK:         tfm.layer_norm
// CHECK:         tfm.quantized_matmul %{{.*}}, %[[E]] scales %[[ES]] : tensor<2x1x4xf32>, tensor<11x4xi8>, tensor<11xf32>
// CHECK-NOT:     tfm.matmul
module {
  tfm.parameter @emb : tensor<11x4xf32> init <normal, std = 2.000000e-02> trainable weight_decay
  tfm.parameter @pos : tensor<8x4xf32> init <normal, std = 2.000000e-02> trainable weight_decay
  tfm.parameter @wq : tensor<2x2x4xf32> init <normal, std = 2.000000e-02> trainable weight_decay
  tfm.parameter @wo : tensor<4x2x2xf32> init <normal, std = 2.000000e-02> trainable weight_decay
  tfm.parameter @norm : tensor<4xf32> init <ones> trainable
  tfm.parameter @bias : tensor<2x2xf32> init <zeros> trainable
  func.func @decode(%tokens: tensor<2x1xi32>, %positions: tensor<2x1xi32>) -> tensor<2x1x11xf32> {
    %emb = tfm.param_ref @emb : tensor<11x4xf32>
    %x = tfm.embedding %emb[%tokens] : tensor<11x4xf32>, tensor<2x1xi32> -> tensor<2x1x4xf32>
    %pos = tfm.param_ref @pos : tensor<8x4xf32>
    %p = tfm.embedding %pos[%positions] : tensor<8x4xf32>, tensor<2x1xi32> -> tensor<2x1x4xf32>
    %h = tfm.add %x, %p : tensor<2x1x4xf32>
    %wq = tfm.param_ref @wq : tensor<2x2x4xf32>
    %q = tfm.matmul %h, %wq : tensor<2x1x4xf32>, tensor<2x2x4xf32> -> tensor<2x1x2x2xf32>
    %b = tfm.param_ref @bias : tensor<2x2xf32>
    %qb = tfm.bias_add %q, %b : tensor<2x1x2x2xf32>, tensor<2x2xf32>
    %wo = tfm.param_ref @wo : tensor<4x2x2xf32>
    %o = tfm.matmul %qb, %wo contracting 2 : tensor<2x1x2x2xf32>, tensor<4x2x2xf32> -> tensor<2x1x4xf32>
    %n = tfm.param_ref @norm : tensor<4xf32>
    %y = tfm.layer_norm %o, %n epsilon 1.000000e-05 : tensor<2x1x4xf32>, tensor<4xf32>
    %logits = tfm.matmul %y, %emb : tensor<2x1x4xf32>, tensor<11x4xf32> -> tensor<2x1x11xf32>
    return %logits : tensor<2x1x11xf32>
  }
}

// -----

// A parameter with gradient slots (a training module) is never picked: its
// accumulate_grad reads the symbol too.
// CHECK-LABEL: func.func @train
// CHECK:         tfm.matmul
// CHECK-NOT:     tfm.quantized_matmul
module {
  tfm.parameter @w : tensor<3x4xf32> init <normal, std = 2.000000e-02> trainable weight_decay
  func.func @train(%x: tensor<2x4xf32>, %g: tensor<3x4xf32>) -> tensor<2x3xf32> {
    %w = tfm.param_ref @w : tensor<3x4xf32>
    %y = tfm.matmul %x, %w : tensor<2x4xf32>, tensor<3x4xf32> -> tensor<2x3xf32>
    tfm.accumulate_grad @w, %g : tensor<3x4xf32>
    return %y : tensor<2x3xf32>
  }
}

// -----

module {
  // expected-error @+1 {{cannot quantize @w: its scale parameter @w_scale already exists}}
  tfm.parameter @w : tensor<3x4xf32> init <normal, std = 2.000000e-02>
  tfm.parameter @w_scale : tensor<3xf32> init <ones>
  func.func @decode(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
    %w = tfm.param_ref @w : tensor<3x4xf32>
    %y = tfm.matmul %x, %w : tensor<2x4xf32>, tensor<3x4xf32> -> tensor<2x3xf32>
    return %y : tensor<2x3xf32>
  }
}
