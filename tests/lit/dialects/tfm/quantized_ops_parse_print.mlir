// RUN: strata-opt %s -split-input-file | strata-opt -split-input-file | FileCheck %s
// RUN: strata-opt %s -split-input-file --mlir-print-op-generic | strata-opt -split-input-file | FileCheck %s

// Round trip of int8 weight-only quantization: i8 parameters with scales and
// the ops that read them (strata-tfm-quantize-weights creates them).

// CHECK:       tfm.parameter @wq : tensor<4x2x16xi8> init <normal, std = 2.000000e-02> scales @wq_scale
// CHECK:       tfm.parameter @wq_scale : tensor<4x2xf32> init <ones>
// CHECK:       tfm.parameter @emb : tensor<11x16xi8> init <normal, std = 2.000000e-02> scales @emb_scale
// CHECK-LABEL: func.func @decode(
// CHECK:         tfm.quantized_embedding %{{.*}}[%{{.*}}] scales %{{.*}} : tensor<11x16xi8>, tensor<2x1xi32>, tensor<11xf32> -> tensor<2x1x16xf32>
// CHECK:         tfm.quantized_matmul %{{.*}}, %{{.*}} scales %{{.*}} : tensor<2x1x16xf32>, tensor<4x2x16xi8>, tensor<4x2xf32> -> tensor<2x1x4x2xf32>
// CHECK:         tfm.quantized_matmul %{{.*}}, %{{.*}} scales %{{.*}} contracting 2 : tensor<2x1x4x2xbf16>, tensor<16x4x2xi8>, tensor<16xf32> -> tensor<2x1x16xbf16>
tfm.parameter @wq : tensor<4x2x16xi8> init <normal, std = 2.000000e-02> scales @wq_scale
tfm.parameter @wq_scale : tensor<4x2xf32> init <ones>
tfm.parameter @emb : tensor<11x16xi8> init <normal, std = 2.000000e-02> scales @emb_scale
tfm.parameter @emb_scale : tensor<11xf32> init <ones>
func.func @decode(%tokens: tensor<2x1xi32>, %a: tensor<2x1x4x2xbf16>, %wo: tensor<16x4x2xi8>, %so: tensor<16xf32>) -> (tensor<2x1x4x2xf32>, tensor<2x1x16xbf16>) {
  %emb = tfm.param_ref @emb : tensor<11x16xi8>
  %es = tfm.param_ref @emb_scale : tensor<11xf32>
  %x = tfm.quantized_embedding %emb[%tokens] scales %es : tensor<11x16xi8>, tensor<2x1xi32>, tensor<11xf32> -> tensor<2x1x16xf32>
  %wq = tfm.param_ref @wq : tensor<4x2x16xi8>
  %sq = tfm.param_ref @wq_scale : tensor<4x2xf32>
  %q = tfm.quantized_matmul %x, %wq scales %sq : tensor<2x1x16xf32>, tensor<4x2x16xi8>, tensor<4x2xf32> -> tensor<2x1x4x2xf32>
  %o = tfm.quantized_matmul %a, %wo scales %so contracting 2 : tensor<2x1x4x2xbf16>, tensor<16x4x2xi8>, tensor<16xf32> -> tensor<2x1x16xbf16>
  return %q, %o : tensor<2x1x4x2xf32>, tensor<2x1x16xbf16>
}

// -----

// A vocabulary-parallel lookup keeps its axis.
// CHECK-LABEL: func.func @shard
// CHECK:         tfm.quantized_embedding %{{.*}}[%{{.*}}] scales %{{.*}} vocab_shard "tp"
func.func @shard(%t: tensor<6x8xi8>, %ids: tensor<3xi32>, %s: tensor<6xf32>) -> tensor<3x8xf32> {
  %y = tfm.quantized_embedding %t[%ids] scales %s vocab_shard "tp" : tensor<6x8xi8>, tensor<3xi32>, tensor<6xf32> -> tensor<3x8xf32>
  return %y : tensor<3x8xf32>
}
