// RUN: strata-opt %s --strata-tfm-flatten-layers | FileCheck %s
// RUN: strata-opt %s --strata-tfm-flatten-layers --cse | FileCheck %s --check-prefix=CSE

module {
  tfm.parameter @w : tensor<6x6xf32> init <normal, std = 2.000000e-02> trainable

  // CHECK-LABEL: func.func @two_layers(
  // CHECK-SAME: %[[X:[^:]*]]: tensor<2x3x6xf32>
  // CHECK-NOT: tfm.layer
  // CHECK: %[[W0:.*]] = tfm.param_ref @w
  // CHECK: %[[Y0:.*]] = tfm.matmul %[[X]], %[[W0]]
  // CHECK: %[[A0:.*]] = tfm.silu %[[Y0]]
  // CHECK: %[[W1:.*]] = tfm.param_ref @w
  // CHECK: %[[Y1:.*]] = tfm.matmul %[[A0]], %[[W1]]
  // CHECK: %[[A1:.*]] = tfm.silu %[[Y1]]
  // CHECK: return %[[A1]], %[[Y1]]
  // The repeated parameter read merges under cse.
  // CSE-COUNT-1: tfm.param_ref @w
  // CSE-NOT: tfm.param_ref
  func.func @two_layers(%x: tensor<2x3x6xf32>) -> (tensor<2x3x6xf32>, tensor<2x3x6xf32>) {
    %h0 = tfm.layer 0 (%x) : (tensor<2x3x6xf32>) -> tensor<2x3x6xf32> {
    ^bb0(%in: tensor<2x3x6xf32>):
      %w = tfm.param_ref @w : tensor<6x6xf32>
      %y = tfm.matmul %in, %w : tensor<2x3x6xf32>, tensor<6x6xf32> -> tensor<2x3x6xf32>
      %a = tfm.silu %y : tensor<2x3x6xf32>
      tfm.yield %a : tensor<2x3x6xf32>
    }
    %h1:2 = tfm.layer 1 (%h0) : (tensor<2x3x6xf32>) -> (tensor<2x3x6xf32>, tensor<2x3x6xf32>) {
    ^bb0(%in: tensor<2x3x6xf32>):
      %w = tfm.param_ref @w : tensor<6x6xf32>
      %y = tfm.matmul %in, %w : tensor<2x3x6xf32>, tensor<6x6xf32> -> tensor<2x3x6xf32>
      %a = tfm.silu %y : tensor<2x3x6xf32>
      tfm.yield %a, %y : tensor<2x3x6xf32>, tensor<2x3x6xf32>
    }
    return %h1#0, %h1#1 : tensor<2x3x6xf32>, tensor<2x3x6xf32>
  }
}
