// RUN: strata-opt %s -split-input-file | strata-opt -split-input-file | FileCheck %s
// RUN: strata-opt %s -split-input-file --mlir-print-op-generic | strata-opt -split-input-file | FileCheck %s

// Round trip of the ops strata-tfm-fuse-elementwise forms, through the custom
// and the generic form. Each optional piece of syntax (a dropout stream)
// appears both present and absent.

//===----------------------------------------------------------------------===//
// tfm.bias_gelu, tfm.bias_gelu_grad
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @bias_gelu(
// CHECK-SAME:    %[[X:.*]]: tensor<4x8x64xf32>, %[[B:.*]]: tensor<64xf32>, %[[DY:.*]]: tensor<4x8x64xf32>
// CHECK:         %[[Y:.*]] = tfm.bias_gelu tanh %[[X]], %[[B]] : tensor<4x8x64xf32>, tensor<64xf32>
// CHECK:         %[[E:.*]] = tfm.bias_gelu erf %[[X]], %[[B]] : tensor<4x8x64xf32>, tensor<64xf32>
// CHECK:         %[[DX:.*]], %[[DB:.*]] = tfm.bias_gelu_grad tanh %[[X]], %[[B]], %[[DY]] : tensor<4x8x64xf32>, tensor<64xf32>
// CHECK:         return %[[Y]], %[[E]], %[[DX]], %[[DB]]
func.func @bias_gelu(%x: tensor<4x8x64xf32>, %b: tensor<64xf32>, %dy: tensor<4x8x64xf32>) -> (tensor<4x8x64xf32>, tensor<4x8x64xf32>, tensor<4x8x64xf32>, tensor<64xf32>) {
  %y = tfm.bias_gelu tanh %x, %b : tensor<4x8x64xf32>, tensor<64xf32>
  %e = tfm.bias_gelu erf %x, %b : tensor<4x8x64xf32>, tensor<64xf32>
  %dx, %db = tfm.bias_gelu_grad tanh %x, %b, %dy : tensor<4x8x64xf32>, tensor<64xf32>
  return %y, %e, %dx, %db : tensor<4x8x64xf32>, tensor<4x8x64xf32>, tensor<4x8x64xf32>, tensor<64xf32>
}

// -----

// A [heads, head_dim] bias, bf16, dynamic leading dimensions.

// CHECK-LABEL: func.func @bias_gelu_rank_2_bias(
// CHECK:         tfm.bias_gelu erf %{{.*}}, %{{.*}} : tensor<?x?x4x16xbf16>, tensor<4x16xbf16>
// CHECK:         tfm.bias_gelu_grad erf %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x?x4x16xbf16>, tensor<4x16xbf16>
func.func @bias_gelu_rank_2_bias(%x: tensor<?x?x4x16xbf16>, %b: tensor<4x16xbf16>, %dy: tensor<?x?x4x16xbf16>) -> (tensor<?x?x4x16xbf16>, tensor<?x?x4x16xbf16>, tensor<4x16xbf16>) {
  %y = tfm.bias_gelu erf %x, %b : tensor<?x?x4x16xbf16>, tensor<4x16xbf16>
  %dx, %db = tfm.bias_gelu_grad erf %x, %b, %dy : tensor<?x?x4x16xbf16>, tensor<4x16xbf16>
  return %y, %dx, %db : tensor<?x?x4x16xbf16>, tensor<?x?x4x16xbf16>, tensor<4x16xbf16>
}

// -----

//===----------------------------------------------------------------------===//
// tfm.bias_dropout_add, tfm.bias_dropout_add_grad
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @bias_dropout_add(
// CHECK-SAME:    %[[X:.*]]: tensor<4x8x64xf32>, %[[B:.*]]: tensor<64xf32>, %[[R:.*]]: tensor<4x8x64xf32>
// CHECK:         %[[Y:.*]] = tfm.bias_dropout_add %[[X]], %[[B]], %[[R]] rate 1.000000e-01 stream 3 : tensor<4x8x64xf32>, tensor<64xf32>
// CHECK:         %[[E:.*]] = tfm.bias_dropout_add %[[X]], %[[B]], %[[R]] rate 1.000000e-01 : tensor<4x8x64xf32>, tensor<64xf32>
// CHECK:         %[[Z:.*]] = tfm.bias_dropout_add %[[X]], %[[B]], %[[R]] rate 0.000000e+00 : tensor<4x8x64xf32>, tensor<64xf32>
// CHECK:         return %[[Y]], %[[E]], %[[Z]]
func.func @bias_dropout_add(%x: tensor<4x8x64xf32>, %b: tensor<64xf32>, %r: tensor<4x8x64xf32>) -> (tensor<4x8x64xf32>, tensor<4x8x64xf32>, tensor<4x8x64xf32>) {
  %y = tfm.bias_dropout_add %x, %b, %r rate 0.1 stream 3 : tensor<4x8x64xf32>, tensor<64xf32>
  %e = tfm.bias_dropout_add %x, %b, %r rate 0.1 : tensor<4x8x64xf32>, tensor<64xf32>
  %z = tfm.bias_dropout_add %x, %b, %r rate 0.0 : tensor<4x8x64xf32>, tensor<64xf32>
  return %y, %e, %z : tensor<4x8x64xf32>, tensor<4x8x64xf32>, tensor<4x8x64xf32>
}

// -----

// CHECK-LABEL: func.func @bias_dropout_add_grad(
// CHECK-SAME:    %[[DY:.*]]: tensor<4x8x64xf16>
// CHECK:         %[[DX:.*]], %[[DB:.*]] = tfm.bias_dropout_add_grad %[[DY]] rate 1.000000e-01 stream 0 : tensor<4x8x64xf16> -> tensor<64xf16>
// CHECK:         %[[DX2:.*]], %[[DB2:.*]] = tfm.bias_dropout_add_grad %[[DY]] rate 0.000000e+00 : tensor<4x8x64xf16> -> tensor<8x64xf16>
// CHECK:         return %[[DX]], %[[DB]], %[[DX2]], %[[DB2]]
func.func @bias_dropout_add_grad(%dy: tensor<4x8x64xf16>) -> (tensor<4x8x64xf16>, tensor<64xf16>, tensor<4x8x64xf16>, tensor<8x64xf16>) {
  %dx, %db = tfm.bias_dropout_add_grad %dy rate 0.1 stream 0 : tensor<4x8x64xf16> -> tensor<64xf16>
  %dx2, %db2 = tfm.bias_dropout_add_grad %dy rate 0.0 : tensor<4x8x64xf16> -> tensor<8x64xf16>
  return %dx, %db, %dx2, %db2 : tensor<4x8x64xf16>, tensor<64xf16>, tensor<4x8x64xf16>, tensor<8x64xf16>
}
