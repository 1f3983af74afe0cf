// RUN: strata-opt %s -split-input-file --strata-tfm-fuse-elementwise | FileCheck %s

// The rewrites of strata-tfm-fuse-elementwise on hand-written chains: each
// fusion where it is legal, and the readers that make it illegal. The
// training programs of whole models are in fuse_elementwise_models.test.

//===----------------------------------------------------------------------===//
// bias + GELU, forward and backward (a flattened MLP's fc1)
//===----------------------------------------------------------------------===//

// The forward result and the backward's pre-activation both come from the
// bias input: the pre-activation is never materialized.

module {
  tfm.parameter @b : tensor<8xf32> init <zeros> trainable

  // CHECK-LABEL: func.func @bias_gelu_train(
  // CHECK-SAME:    %[[X:[^:]*]]: tensor<2x3x8xf32>, %[[DY:[^:]*]]: tensor<2x3x8xf32>
  // CHECK:         %[[B:.*]] = tfm.param_ref @b
  // CHECK-NOT:     tfm.bias_add
  // CHECK:         %[[Y:.*]] = tfm.bias_gelu tanh %[[X]], %[[B]] : tensor<2x3x8xf32>, tensor<8xf32>
  // CHECK-NOT:     tfm.gelu_grad
  // CHECK:         %[[DX:.*]], %[[DB:.*]] = tfm.bias_gelu_grad tanh %[[X]], %[[B]], %[[DY]] : tensor<2x3x8xf32>, tensor<8xf32>
  // CHECK-NOT:     tfm.bias_grad
  // CHECK:         tfm.accumulate_grad @b, %[[DB]]
  // CHECK:         return %[[Y]], %[[DX]]
  func.func @bias_gelu_train(%x: tensor<2x3x8xf32>, %dy: tensor<2x3x8xf32>) -> (tensor<2x3x8xf32>, tensor<2x3x8xf32>) {
    %b = tfm.param_ref @b : tensor<8xf32>
    %u = tfm.bias_add %x, %b : tensor<2x3x8xf32>, tensor<8xf32>
    %y = tfm.gelu tanh %u : tensor<2x3x8xf32>
    %du = tfm.gelu_grad tanh %u, %dy : tensor<2x3x8xf32>
    %db = tfm.bias_grad %du : tensor<2x3x8xf32> -> tensor<8xf32>
    tfm.accumulate_grad @b, %db : tensor<8xf32>
    return %y, %du : tensor<2x3x8xf32>, tensor<2x3x8xf32>
  }
}

// -----

// Evaluation: no gradient. A frozen bias: the gradient op has no bias_grad
// to absorb, and its bias gradient is unused.

// CHECK-LABEL: func.func @bias_gelu_forward_only(
// CHECK:         %[[Y:.*]] = tfm.bias_gelu erf %{{.*}}, %{{.*}}
// CHECK-NEXT:    return %[[Y]]
func.func @bias_gelu_forward_only(%x: tensor<2x3x8xf32>, %b: tensor<8xf32>) -> tensor<2x3x8xf32> {
  %u = tfm.bias_add %x, %b : tensor<2x3x8xf32>, tensor<8xf32>
  %y = tfm.gelu erf %u : tensor<2x3x8xf32>
  return %y : tensor<2x3x8xf32>
}

// CHECK-LABEL: func.func @bias_gelu_frozen_bias(
// CHECK:         tfm.bias_gelu tanh
// CHECK:         %[[DX:.*]], %{{.*}} = tfm.bias_gelu_grad tanh
// CHECK-NEXT:    return %{{.*}}, %[[DX]]
func.func @bias_gelu_frozen_bias(%x: tensor<2x3x8xf32>, %b: tensor<8xf32>, %dy: tensor<2x3x8xf32>) -> (tensor<2x3x8xf32>, tensor<2x3x8xf32>) {
  %u = tfm.bias_add %x, %b : tensor<2x3x8xf32>, tensor<8xf32>
  %y = tfm.gelu tanh %u : tensor<2x3x8xf32>
  %du = tfm.gelu_grad tanh %u, %dy : tensor<2x3x8xf32>
  return %y, %du : tensor<2x3x8xf32>, tensor<2x3x8xf32>
}

// -----

// Another reader of the pre-activation would keep it alive: no fusion.

// CHECK-LABEL: func.func @pre_activation_escapes(
// CHECK:         tfm.bias_add
// CHECK:         tfm.gelu tanh
// CHECK:         tfm.gelu_grad tanh
// CHECK:         tfm.bias_grad
// CHECK-NOT:     tfm.bias_gelu
func.func @pre_activation_escapes(%x: tensor<2x3x8xf32>, %b: tensor<8xf32>, %dy: tensor<2x3x8xf32>) -> (tensor<2x3x8xf32>, tensor<8xf32>, tensor<2x3x8xf32>) {
  %u = tfm.bias_add %x, %b : tensor<2x3x8xf32>, tensor<8xf32>
  %y = tfm.gelu tanh %u : tensor<2x3x8xf32>
  %du = tfm.gelu_grad tanh %u, %dy : tensor<2x3x8xf32>
  %db = tfm.bias_grad %du : tensor<2x3x8xf32> -> tensor<8xf32>
  return %y, %db, %u : tensor<2x3x8xf32>, tensor<8xf32>, tensor<2x3x8xf32>
}

// -----

// The pre-activation as the incoming gradient of a gelu_grad (not its
// input) is another reader too.

// CHECK-LABEL: func.func @pre_activation_as_gradient(
// CHECK:         tfm.bias_add
// CHECK-NOT:     tfm.bias_gelu
func.func @pre_activation_as_gradient(%x: tensor<2x3x8xf32>, %b: tensor<8xf32>, %v: tensor<2x3x8xf32>) -> (tensor<2x3x8xf32>, tensor<2x3x8xf32>) {
  %u = tfm.bias_add %x, %b : tensor<2x3x8xf32>, tensor<8xf32>
  %y = tfm.gelu tanh %u : tensor<2x3x8xf32>
  %d = tfm.gelu_grad tanh %v, %u : tensor<2x3x8xf32>
  return %y, %d : tensor<2x3x8xf32>, tensor<2x3x8xf32>
}

// -----

// Without a tfm.gelu there is nothing to fuse the gradient with.

// CHECK-LABEL: func.func @gelu_grad_only(
// CHECK:         tfm.bias_add
// CHECK:         tfm.gelu_grad
// CHECK-NOT:     tfm.bias_gelu
func.func @gelu_grad_only(%x: tensor<2x3x8xf32>, %b: tensor<8xf32>, %dy: tensor<2x3x8xf32>) -> tensor<2x3x8xf32> {
  %u = tfm.bias_add %x, %b : tensor<2x3x8xf32>, tensor<8xf32>
  %du = tfm.gelu_grad tanh %u, %dy : tensor<2x3x8xf32>
  return %du : tensor<2x3x8xf32>
}

// -----

// A bias_grad of the gradient with another shape (here over the last two
// dimensions) is not the bias's gradient: it stays, reading the fused op's
// input gradient.

// CHECK-LABEL: func.func @other_bias_grad(
// CHECK:         %[[DX:.*]], %[[DB:.*]] = tfm.bias_gelu_grad tanh
// CHECK:         %[[OTHER:.*]] = tfm.bias_grad %[[DX]] : tensor<2x3x8xf32> -> tensor<3x8xf32>
// CHECK:         return %[[DB]], %[[OTHER]]
func.func @other_bias_grad(%x: tensor<2x3x8xf32>, %b: tensor<8xf32>, %dy: tensor<2x3x8xf32>) -> (tensor<8xf32>, tensor<3x8xf32>, tensor<2x3x8xf32>) {
  %u = tfm.bias_add %x, %b : tensor<2x3x8xf32>, tensor<8xf32>
  %y = tfm.gelu tanh %u : tensor<2x3x8xf32>
  %du = tfm.gelu_grad tanh %u, %dy : tensor<2x3x8xf32>
  %db = tfm.bias_grad %du : tensor<2x3x8xf32> -> tensor<8xf32>
  %other = tfm.bias_grad %du : tensor<2x3x8xf32> -> tensor<3x8xf32>
  return %db, %other, %y : tensor<8xf32>, tensor<3x8xf32>, tensor<2x3x8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// bias + GELU across layers
//===----------------------------------------------------------------------===//

// The forward layer saves the pre-activation for its backward twin. After
// fusion it saves the bias input instead (same type: the layers' signatures
// do not change) and the backward layer re-reads the bias.

module {
  tfm.parameter @b : tensor<8xf32> init <zeros> trainable

  // CHECK-LABEL: func.func @saved_pre_activation(
  // CHECK:         %[[H:.*]]:2 = tfm.layer 0 (
  // CHECK:           %[[B:.*]] = tfm.param_ref @b
  // CHECK-NEXT:      %[[Y:.*]] = tfm.bias_gelu tanh %[[IN:.*]], %[[B]]
  // CHECK-NEXT:      tfm.yield %[[Y]], %[[IN]]
  // CHECK:         tfm.layer 0 backward (%[[H]]#1, %{{.*}})
  // CHECK-NEXT:    ^bb0(%[[SAVED:[^:]*]]: tensor<2x3x8xf32>, %[[DY:[^:]*]]: tensor<2x3x8xf32>):
  // CHECK-NEXT:      %[[B2:.*]] = tfm.param_ref @b
  // CHECK-NEXT:      %[[DX:.*]], %[[DB:.*]] = tfm.bias_gelu_grad tanh %[[SAVED]], %[[B2]], %[[DY]]
  // CHECK-NEXT:      tfm.accumulate_grad @b, %[[DB]]
  // CHECK-NEXT:      tfm.yield %[[DX]]
  func.func @saved_pre_activation(%x: tensor<2x3x8xf32>, %dy: tensor<2x3x8xf32>) -> (tensor<2x3x8xf32>, tensor<2x3x8xf32>) {
    %h:2 = tfm.layer 0 (%x) : (tensor<2x3x8xf32>) -> (tensor<2x3x8xf32>, tensor<2x3x8xf32>) {
    ^bb0(%in: tensor<2x3x8xf32>):
      %b = tfm.param_ref @b : tensor<8xf32>
      %u = tfm.bias_add %in, %b : tensor<2x3x8xf32>, tensor<8xf32>
      %y = tfm.gelu tanh %u : tensor<2x3x8xf32>
      tfm.yield %y, %u : tensor<2x3x8xf32>, tensor<2x3x8xf32>
    }
    %dx = tfm.layer 0 backward (%h#1, %dy) : (tensor<2x3x8xf32>, tensor<2x3x8xf32>) -> tensor<2x3x8xf32> {
    ^bb0(%u: tensor<2x3x8xf32>, %g: tensor<2x3x8xf32>):
      %du = tfm.gelu_grad tanh %u, %g : tensor<2x3x8xf32>
      %db = tfm.bias_grad %du : tensor<2x3x8xf32> -> tensor<8xf32>
      tfm.accumulate_grad @b, %db : tensor<8xf32>
      tfm.yield %du : tensor<2x3x8xf32>
    }
    return %h#0, %dx : tensor<2x3x8xf32>, tensor<2x3x8xf32>
  }
}

// -----

// A layer result that leaves the function, or a backward layer that reads
// the saved value otherwise than through gelu_grad, keeps the
// pre-activation.

module {
  tfm.parameter @b : tensor<8xf32> init <zeros> trainable

  // CHECK-LABEL: func.func @saved_value_returned(
  // CHECK:         tfm.bias_add
  // CHECK:         tfm.gelu tanh
  // CHECK-NOT:     tfm.bias_gelu
  func.func @saved_value_returned(%x: tensor<2x3x8xf32>) -> (tensor<2x3x8xf32>, tensor<2x3x8xf32>) {
    %h:2 = tfm.layer 0 (%x) : (tensor<2x3x8xf32>) -> (tensor<2x3x8xf32>, tensor<2x3x8xf32>) {
    ^bb0(%in: tensor<2x3x8xf32>):
      %b = tfm.param_ref @b : tensor<8xf32>
      %u = tfm.bias_add %in, %b : tensor<2x3x8xf32>, tensor<8xf32>
      %y = tfm.gelu tanh %u : tensor<2x3x8xf32>
      tfm.yield %y, %u : tensor<2x3x8xf32>, tensor<2x3x8xf32>
    }
    return %h#0, %h#1 : tensor<2x3x8xf32>, tensor<2x3x8xf32>
  }

  // CHECK-LABEL: func.func @saved_value_read_otherwise(
  // CHECK:         tfm.bias_add
  // CHECK:         tfm.gelu tanh
  // CHECK:         tfm.gelu_grad tanh
  // CHECK-NOT:     tfm.bias_gelu
  func.func @saved_value_read_otherwise(%x: tensor<2x3x8xf32>, %dy: tensor<2x3x8xf32>) -> (tensor<2x3x8xf32>, tensor<2x3x8xf32>) {
    %h:2 = tfm.layer 0 (%x) : (tensor<2x3x8xf32>) -> (tensor<2x3x8xf32>, tensor<2x3x8xf32>) {
    ^bb0(%in: tensor<2x3x8xf32>):
      %b = tfm.param_ref @b : tensor<8xf32>
      %u = tfm.bias_add %in, %b : tensor<2x3x8xf32>, tensor<8xf32>
      %y = tfm.gelu tanh %u : tensor<2x3x8xf32>
      tfm.yield %y, %u : tensor<2x3x8xf32>, tensor<2x3x8xf32>
    }
    %dx = tfm.layer 0 backward (%h#1, %dy) : (tensor<2x3x8xf32>, tensor<2x3x8xf32>) -> tensor<2x3x8xf32> {
    ^bb0(%u: tensor<2x3x8xf32>, %g: tensor<2x3x8xf32>):
      %du = tfm.gelu_grad tanh %u, %g : tensor<2x3x8xf32>
      %s = tfm.add %du, %u : tensor<2x3x8xf32>
      tfm.yield %s : tensor<2x3x8xf32>
    }
    return %h#0, %dx : tensor<2x3x8xf32>, tensor<2x3x8xf32>
  }
}

// -----

// A bias the backward layer cannot re-read (a layer input, not a parameter)
// keeps the saved pre-activation.

// CHECK-LABEL: func.func @saved_with_bias_operand(
// CHECK:         tfm.bias_add
// CHECK-NOT:     tfm.bias_gelu
func.func @saved_with_bias_operand(%x: tensor<2x3x8xf32>, %b: tensor<8xf32>, %dy: tensor<2x3x8xf32>) -> (tensor<2x3x8xf32>, tensor<2x3x8xf32>) {
  %h:2 = tfm.layer 0 (%x, %b) : (tensor<2x3x8xf32>, tensor<8xf32>) -> (tensor<2x3x8xf32>, tensor<2x3x8xf32>) {
  ^bb0(%in: tensor<2x3x8xf32>, %bias: tensor<8xf32>):
    %u = tfm.bias_add %in, %bias : tensor<2x3x8xf32>, tensor<8xf32>
    %y = tfm.gelu tanh %u : tensor<2x3x8xf32>
    tfm.yield %y, %u : tensor<2x3x8xf32>, tensor<2x3x8xf32>
  }
  %dx = tfm.layer 0 backward (%h#1, %dy) : (tensor<2x3x8xf32>, tensor<2x3x8xf32>) -> tensor<2x3x8xf32> {
  ^bb0(%u: tensor<2x3x8xf32>, %g: tensor<2x3x8xf32>):
    %du = tfm.gelu_grad tanh %u, %g : tensor<2x3x8xf32>
    tfm.yield %du : tensor<2x3x8xf32>
  }
  return %h#0, %dx : tensor<2x3x8xf32>, tensor<2x3x8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// bias + dropout + residual add, forward and backward
//===----------------------------------------------------------------------===//

// A flattened attention output projection with hidden dropout: the forward
// chain becomes one op with the dropout's stream; the backward dropout of
// the incoming gradient absorbs the bias gradient, and the other readers of
// its result (the weight's gradients) read the fused op's input gradient.

// CHECK-LABEL: func.func @bias_dropout_add_train(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<2x3x8xf32>, %[[B:[^:]*]]: tensor<8xf32>, %[[R:[^:]*]]: tensor<2x3x8xf32>, %[[W:[^:]*]]: tensor<8x8xf32>, %[[DH:[^:]*]]: tensor<2x3x8xf32>
// CHECK-NOT:     tfm.bias_add
// CHECK:         %[[H:.*]] = tfm.bias_dropout_add %[[X]], %[[B]], %[[R]] rate 1.000000e-01 stream 2 : tensor<2x3x8xf32>, tensor<8xf32>
// CHECK-NOT:     tfm.dropout
// CHECK:         %[[DX:.*]], %[[DB:.*]] = tfm.bias_dropout_add_grad %[[DH]] rate 1.000000e-01 stream 2 : tensor<2x3x8xf32> -> tensor<8xf32>
// CHECK-NOT:     tfm.bias_grad
// CHECK:         %[[DW:.*]] = tfm.matmul_grad_weight %[[DX]], %[[X]]
// CHECK:         return %[[H]], %[[DB]], %[[DW]]
func.func @bias_dropout_add_train(%x: tensor<2x3x8xf32>, %b: tensor<8xf32>, %r: tensor<2x3x8xf32>, %w: tensor<8x8xf32>, %dh: tensor<2x3x8xf32>) -> (tensor<2x3x8xf32>, tensor<8xf32>, tensor<8x8xf32>) {
  %u = tfm.bias_add %x, %b : tensor<2x3x8xf32>, tensor<8xf32>
  %d = tfm.dropout %u rate 0.1 stream 2 : tensor<2x3x8xf32>
  %h = tfm.add %r, %d : tensor<2x3x8xf32>
  %du = tfm.dropout %dh rate 0.1 stream 2 : tensor<2x3x8xf32>
  %db = tfm.bias_grad %du : tensor<2x3x8xf32> -> tensor<8xf32>
  %dw = tfm.matmul_grad_weight %du, %x batch 2 : tensor<2x3x8xf32>, tensor<2x3x8xf32> -> tensor<8x8xf32>
  return %h, %db, %dw : tensor<2x3x8xf32>, tensor<8xf32>, tensor<8x8xf32>
}

// -----

// Without dropout (hidden_dropout 0): a bias and residual add, rate 0. The
// residual may be either operand. Evaluation's dropout has no stream.

// CHECK-LABEL: func.func @bias_add_residual(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<2x3x8xf32>, %[[B:[^:]*]]: tensor<8xf32>, %[[R:[^:]*]]: tensor<2x3x8xf32>
// CHECK:         %[[H1:.*]] = tfm.bias_dropout_add %[[X]], %[[B]], %[[R]] rate 0.000000e+00 : tensor<2x3x8xf32>, tensor<8xf32>
// CHECK:         %[[H2:.*]] = tfm.bias_dropout_add %[[H1]], %[[B]], %[[R]] rate 1.000000e-01 : tensor<2x3x8xf32>, tensor<8xf32>
// CHECK-NEXT:    return %[[H2]]
func.func @bias_add_residual(%x: tensor<2x3x8xf32>, %b: tensor<8xf32>, %r: tensor<2x3x8xf32>) -> tensor<2x3x8xf32> {
  %u = tfm.bias_add %x, %b : tensor<2x3x8xf32>, tensor<8xf32>
  %h1 = tfm.add %r, %u : tensor<2x3x8xf32>
  %u2 = tfm.bias_add %h1, %b : tensor<2x3x8xf32>, tensor<8xf32>
  %d2 = tfm.dropout %u2 rate 0.1 : tensor<2x3x8xf32>
  %h2 = tfm.add %d2, %r : tensor<2x3x8xf32>
  return %h2 : tensor<2x3x8xf32>
}

// -----

// Readers of the biased value or of the dropout's result other than the
// chain keep the chain; so does an add of the value to itself.

// CHECK-LABEL: func.func @dropout_result_escapes(
// CHECK:         tfm.bias_add
// CHECK:         tfm.dropout
// CHECK:         tfm.add
// CHECK-NOT:     tfm.bias_dropout_add
func.func @dropout_result_escapes(%x: tensor<2x3x8xf32>, %b: tensor<8xf32>, %r: tensor<2x3x8xf32>) -> (tensor<2x3x8xf32>, tensor<2x3x8xf32>) {
  %u = tfm.bias_add %x, %b : tensor<2x3x8xf32>, tensor<8xf32>
  %d = tfm.dropout %u rate 0.1 stream 0 : tensor<2x3x8xf32>
  %h = tfm.add %r, %d : tensor<2x3x8xf32>
  return %h, %d : tensor<2x3x8xf32>, tensor<2x3x8xf32>
}

// CHECK-LABEL: func.func @biased_value_escapes(
// CHECK:         tfm.bias_add
// CHECK:         tfm.add
// CHECK-NOT:     tfm.bias_dropout_add
func.func @biased_value_escapes(%x: tensor<2x3x8xf32>, %b: tensor<8xf32>, %r: tensor<2x3x8xf32>) -> (tensor<2x3x8xf32>, tensor<2x3x8xf32>) {
  %u = tfm.bias_add %x, %b : tensor<2x3x8xf32>, tensor<8xf32>
  %h = tfm.add %r, %u : tensor<2x3x8xf32>
  return %h, %u : tensor<2x3x8xf32>, tensor<2x3x8xf32>
}

// CHECK-LABEL: func.func @add_to_itself(
// CHECK:         tfm.bias_add
// CHECK:         tfm.add
// CHECK-NOT:     tfm.bias_dropout_add
func.func @add_to_itself(%x: tensor<2x3x8xf32>, %b: tensor<8xf32>) -> tensor<2x3x8xf32> {
  %u = tfm.bias_add %x, %b : tensor<2x3x8xf32>, tensor<8xf32>
  %h = tfm.add %u, %u : tensor<2x3x8xf32>
  return %h : tensor<2x3x8xf32>
}

// -----

// A dropout without a bias_grad reader (the embedding dropout's backward)
// stays; bias_add followed by something other than dropout or add stays.

// CHECK-LABEL: func.func @unfused_dropouts(
// CHECK:         tfm.dropout %{{.*}} rate 1.000000e-01 stream 0
// CHECK:         tfm.bias_add
// CHECK:         tfm.silu
// CHECK-NOT:     tfm.bias_
func.func @unfused_dropouts(%dy: tensor<2x3x8xf32>, %x: tensor<2x3x8xf32>, %b: tensor<8xf32>) -> (tensor<2x3x8xf32>, tensor<2x3x8xf32>) {
  %d = tfm.dropout %dy rate 0.1 stream 0 : tensor<2x3x8xf32>
  %u = tfm.bias_add %x, %b : tensor<2x3x8xf32>, tensor<8xf32>
  %s = tfm.silu %u : tensor<2x3x8xf32>
  return %d, %s : tensor<2x3x8xf32>, tensor<2x3x8xf32>
}
