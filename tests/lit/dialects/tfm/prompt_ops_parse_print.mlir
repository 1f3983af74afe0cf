// RUN: strata-opt %s -split-input-file | strata-opt -split-input-file | FileCheck %s
// RUN: strata-opt %s -split-input-file --mlir-print-op-generic | strata-opt -split-input-file | FileCheck %s

// Round trip of the prompt-learning ops (TfmPromptOps.td), through the custom
// and the generic form.

// CHECK-LABEL: func.func @virtual_tokens(
// CHECK: tfm.insert_virtual_tokens %{{.*}}, %{{.*}}[%{{.*}}] offset 10 : tensor<4x64x768xf32>, tensor<8x768xf32>, tensor<4x64xi32>
// CHECK: tfm.mask_virtual_tokens %{{.*}}[%{{.*}}] offset 10 rows 8 : tensor<4x64x768xf32>, tensor<4x64xi32>
// CHECK: tfm.virtual_token_table_grad %{{.*}}[%{{.*}}] offset 10 : tensor<4x64x768xf32>, tensor<4x64xi32> -> tensor<8x768xf32>
func.func @virtual_tokens(%x: tensor<4x64x768xf32>, %t: tensor<8x768xf32>, %vt: tensor<4x64xi32>) -> (tensor<4x64x768xf32>, tensor<4x64x768xf32>, tensor<8x768xf32>) {
  %y = tfm.insert_virtual_tokens %x, %t[%vt] offset 10 : tensor<4x64x768xf32>, tensor<8x768xf32>, tensor<4x64xi32>
  %dx = tfm.mask_virtual_tokens %y[%vt] offset 10 rows 8 : tensor<4x64x768xf32>, tensor<4x64xi32>
  %dt = tfm.virtual_token_table_grad %y[%vt] offset 10 : tensor<4x64x768xf32>, tensor<4x64xi32> -> tensor<8x768xf32>
  return %y, %dx, %dt : tensor<4x64x768xf32>, tensor<4x64x768xf32>, tensor<8x768xf32>
}

// -----

// CHECK-LABEL: func.func @relu_scale(
// CHECK: tfm.relu %{{.*}} : tensor<10x64xf32>
// CHECK: tfm.relu_grad %{{.*}}, %{{.*}} : tensor<10x64xf32>
// CHECK: tfm.scale %{{.*}} by 2.500000e-01 : tensor<10x64xf32>
func.func @relu_scale(%x: tensor<10x64xf32>) -> (tensor<10x64xf32>, tensor<10x64xf32>) {
  %y = tfm.relu %x : tensor<10x64xf32>
  %dx = tfm.relu_grad %x, %y : tensor<10x64xf32>
  %s = tfm.scale %dx by 2.500000e-01 : tensor<10x64xf32>
  return %y, %s : tensor<10x64xf32>, tensor<10x64xf32>
}
