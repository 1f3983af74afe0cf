// RUN: strata-opt %s -split-input-file | strata-opt -split-input-file | FileCheck %s
// RUN: strata-opt %s -split-input-file --mlir-print-op-generic | strata-opt -split-input-file | FileCheck %s

// Round trip of every tfm op and attribute, through the custom and the
// generic form. Each optional piece of syntax appears both present and absent.

//===----------------------------------------------------------------------===//
// tfm.parameter, #tfm.init, tfm.param_ref
//===----------------------------------------------------------------------===//

// CHECK: tfm.parameter @layers.0.attention.query.weight : tensor<4x16x64xf32> init <normal, std = 2.000000e-02> trainable weight_decay{{$}}
// CHECK: tfm.parameter @layers.0.input_norm.weight : tensor<64xbf16> init <ones> trainable{{$}}
// CHECK: tfm.parameter @layers.0.attention.query.bias : tensor<4x16xf16> init <zeros>{{$}}
// CHECK: tfm.parameter @decayed_but_frozen : tensor<2x3xf64> init <normal, std = 1.000000e+00> weight_decay{{$}}
// CHECK: tfm.parameter @scalar : tensor<f32> init <ones>{{$}}
tfm.parameter @layers.0.attention.query.weight : tensor<4x16x64xf32>
    init <normal, std = 0.02> trainable weight_decay
tfm.parameter @layers.0.input_norm.weight : tensor<64xbf16> init <ones> trainable
tfm.parameter @layers.0.attention.query.bias : tensor<4x16xf16> init <zeros>
tfm.parameter @decayed_but_frozen : tensor<2x3xf64> init <normal, std = 1.0> weight_decay
tfm.parameter @scalar : tensor<f32> init <ones>

// CHECK-LABEL: func.func @param_ref(
func.func @param_ref() -> (tensor<4x16x64xf32>, tensor<64xbf16>, tensor<4x16xf16>, tensor<2x3xf64>, tensor<f32>) {
  // CHECK: %[[W:.*]] = tfm.param_ref @layers.0.attention.query.weight : tensor<4x16x64xf32>
  // CHECK: %[[G:.*]] = tfm.param_ref @layers.0.input_norm.weight : tensor<64xbf16>
  // CHECK: %[[B:.*]] = tfm.param_ref @layers.0.attention.query.bias : tensor<4x16xf16>
  // CHECK: %[[F:.*]] = tfm.param_ref @decayed_but_frozen : tensor<2x3xf64>
  // CHECK: %[[S:.*]] = tfm.param_ref @scalar : tensor<f32>
  // CHECK: return %[[W]], %[[G]], %[[B]], %[[F]], %[[S]]
  %w = tfm.param_ref @layers.0.attention.query.weight : tensor<4x16x64xf32>
  %g = tfm.param_ref @layers.0.input_norm.weight : tensor<64xbf16>
  %b = tfm.param_ref @layers.0.attention.query.bias : tensor<4x16xf16>
  %f = tfm.param_ref @decayed_but_frozen : tensor<2x3xf64>
  %s = tfm.param_ref @scalar : tensor<f32>
  return %w, %g, %b, %f, %s : tensor<4x16x64xf32>, tensor<64xbf16>, tensor<4x16xf16>, tensor<2x3xf64>, tensor<f32>
}

// -----

// The #tfm.init attribute outside a tfm.parameter, in its full form.

// CHECK-LABEL: func.func private @init_attrs()
// CHECK-SAME:    normal = #tfm.init<normal, std = 5.000000e-01>
// CHECK-SAME:    ones = #tfm.init<ones>
// CHECK-SAME:    zeros = #tfm.init<zeros>
func.func private @init_attrs() attributes {
  normal = #tfm.init<normal, std = 5.000000e-01>,
  ones = #tfm.init<ones>,
  zeros = #tfm.init<zeros>
}

//===----------------------------------------------------------------------===//
// tfm.layer, tfm.yield
//===----------------------------------------------------------------------===//

// -----

tfm.parameter @layers.0.mlp.weight : tensor<64x64xf32> init <normal, std = 0.02> trainable weight_decay

// CHECK-LABEL: func.func @layer_one_input(
// CHECK-SAME:    %[[X:.*]]: tensor<4x16x64xf32>
// CHECK:         %[[OUT:.*]] = tfm.layer 0 (%[[X]]) : (tensor<4x16x64xf32>) -> tensor<4x16x64xf32> {
// CHECK-NEXT:    ^bb0(%[[H:.*]]: tensor<4x16x64xf32>):
// CHECK-NEXT:      %[[W:.*]] = tfm.param_ref @layers.0.mlp.weight : tensor<64x64xf32>
// CHECK-NEXT:      %[[Y:.*]] = tfm.matmul %[[H]], %[[W]] : tensor<4x16x64xf32>, tensor<64x64xf32> -> tensor<4x16x64xf32>
// CHECK-NEXT:      %[[R:.*]] = tfm.add %[[H]], %[[Y]] : tensor<4x16x64xf32>
// CHECK-NEXT:      tfm.yield %[[R]] : tensor<4x16x64xf32>
// CHECK-NEXT:    }
// CHECK-NEXT:    return %[[OUT]] : tensor<4x16x64xf32>
func.func @layer_one_input(%x: tensor<4x16x64xf32>) -> tensor<4x16x64xf32> {
  %out = tfm.layer 0 (%x) : (tensor<4x16x64xf32>) -> tensor<4x16x64xf32> {
  ^bb0(%h: tensor<4x16x64xf32>):
    %w = tfm.param_ref @layers.0.mlp.weight : tensor<64x64xf32>
    %y = tfm.matmul %h, %w : tensor<4x16x64xf32>, tensor<64x64xf32> -> tensor<4x16x64xf32>
    %r = tfm.add %h, %y : tensor<4x16x64xf32>
    tfm.yield %r : tensor<4x16x64xf32>
  }
  return %out : tensor<4x16x64xf32>
}

// -----

// A layer that applies rotary embeddings takes the positions as a second
// input; a layer may also return more than one value.

// CHECK-LABEL: func.func @layer_two_inputs(
// CHECK-SAME:    %[[X:.*]]: tensor<2x16x4x16xbf16>
// CHECK-SAME:    %[[P:.*]]: tensor<2x16xi64>
// CHECK:         %[[OUT:.*]]:2 = tfm.layer 7 (%[[X]], %[[P]]) : (tensor<2x16x4x16xbf16>, tensor<2x16xi64>) -> (tensor<2x16x4x16xbf16>, tensor<2x16xi64>) {
// CHECK-NEXT:    ^bb0(%[[H:.*]]: tensor<2x16x4x16xbf16>, %[[POS:.*]]: tensor<2x16xi64>):
// CHECK-NEXT:      %[[R:.*]] = tfm.rotary_embedding %[[H]], %[[POS]] base 1.000000e+04 dims 16 : tensor<2x16x4x16xbf16>, tensor<2x16xi64>
// CHECK-NEXT:      tfm.yield %[[R]], %[[POS]] : tensor<2x16x4x16xbf16>, tensor<2x16xi64>
// CHECK-NEXT:    }
// CHECK-NEXT:    return %[[OUT]]#0, %[[OUT]]#1
func.func @layer_two_inputs(%x: tensor<2x16x4x16xbf16>, %p: tensor<2x16xi64>) -> (tensor<2x16x4x16xbf16>, tensor<2x16xi64>) {
  %out:2 = tfm.layer 7 (%x, %p) : (tensor<2x16x4x16xbf16>, tensor<2x16xi64>) -> (tensor<2x16x4x16xbf16>, tensor<2x16xi64>) {
  ^bb0(%h: tensor<2x16x4x16xbf16>, %pos: tensor<2x16xi64>):
    %r = tfm.rotary_embedding %h, %pos base 10000.0 dims 16 : tensor<2x16x4x16xbf16>, tensor<2x16xi64>
    tfm.yield %r, %pos : tensor<2x16x4x16xbf16>, tensor<2x16xi64>
  }
  return %out#0, %out#1 : tensor<2x16x4x16xbf16>, tensor<2x16xi64>
}

// -----

// With nothing to yield, the tfm.yield is implicit: the parser adds it and
// the printer leaves it out.

// CHECK-LABEL: func.func @layer_implicit_yield(
// CHECK-NEXT:    tfm.layer 3 () : () -> () {
// CHECK-NEXT:    }
// CHECK-NEXT:    return
func.func @layer_implicit_yield() {
  tfm.layer 3 () : () -> () {
  }
  return
}

//===----------------------------------------------------------------------===//
// tfm.embedding
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func.func @embedding_i32(
// CHECK-SAME:    %[[T:.*]]: tensor<128x64xf32>
// CHECK-SAME:    %[[IDS:.*]]: tensor<4x16xi32>
// CHECK:         %[[E:.*]] = tfm.embedding %[[T]][%[[IDS]]] : tensor<128x64xf32>, tensor<4x16xi32> -> tensor<4x16x64xf32>
// CHECK:         return %[[E]]
func.func @embedding_i32(%table: tensor<128x64xf32>, %ids: tensor<4x16xi32>) -> tensor<4x16x64xf32> {
  %e = tfm.embedding %table[%ids] : tensor<128x64xf32>, tensor<4x16xi32> -> tensor<4x16x64xf32>
  return %e : tensor<4x16x64xf32>
}

// -----

// CHECK-LABEL: func.func @embedding_i64_dynamic(
// CHECK-SAME:    %[[T:.*]]: tensor<?x64xbf16>
// CHECK-SAME:    %[[IDS:.*]]: tensor<?x?xi64>
// CHECK:         %[[E:.*]] = tfm.embedding %[[T]][%[[IDS]]] : tensor<?x64xbf16>, tensor<?x?xi64> -> tensor<?x?x64xbf16>
func.func @embedding_i64_dynamic(%table: tensor<?x64xbf16>, %ids: tensor<?x?xi64>) -> tensor<?x?x64xbf16> {
  %e = tfm.embedding %table[%ids] : tensor<?x64xbf16>, tensor<?x?xi64> -> tensor<?x?x64xbf16>
  return %e : tensor<?x?x64xbf16>
}

//===----------------------------------------------------------------------===//
// tfm.matmul
//===----------------------------------------------------------------------===//

// -----

// Without `contracting` (one contracting dimension), output dimensions keep
// the heads separate; with `contracting 2` the output projection contracts
// (heads, head_dim).

// CHECK-LABEL: func.func @matmul(
// CHECK-SAME:    %[[X:.*]]: tensor<4x8x64xf32>
// CHECK-SAME:    %[[WQ:.*]]: tensor<4x16x64xf32>
// CHECK-SAME:    %[[WO:.*]]: tensor<64x4x16xf32>
// CHECK:         %[[Q:.*]] = tfm.matmul %[[X]], %[[WQ]] : tensor<4x8x64xf32>, tensor<4x16x64xf32> -> tensor<4x8x4x16xf32>
// CHECK:         %[[O:.*]] = tfm.matmul %[[Q]], %[[WO]] contracting 2 : tensor<4x8x4x16xf32>, tensor<64x4x16xf32> -> tensor<4x8x64xf32>
// CHECK:         return %[[O]]
func.func @matmul(%x: tensor<4x8x64xf32>, %wq: tensor<4x16x64xf32>, %wo: tensor<64x4x16xf32>) -> tensor<4x8x64xf32> {
  %q = tfm.matmul %x, %wq : tensor<4x8x64xf32>, tensor<4x16x64xf32> -> tensor<4x8x4x16xf32>
  %o = tfm.matmul %q, %wo contracting 2 : tensor<4x8x4x16xf32>, tensor<64x4x16xf32> -> tensor<4x8x64xf32>
  return %o : tensor<4x8x64xf32>
}

// -----

// An explicit `contracting 1` is kept; a rank-1 input contracts entirely.

// CHECK-LABEL: func.func @matmul_explicit_one_f16(
// CHECK-SAME:    %[[X:.*]]: tensor<64xf16>
// CHECK-SAME:    %[[W:.*]]: tensor<128x64xf16>
// CHECK:         tfm.matmul %[[X]], %[[W]] contracting 1 : tensor<64xf16>, tensor<128x64xf16> -> tensor<128xf16>
func.func @matmul_explicit_one_f16(%x: tensor<64xf16>, %w: tensor<128x64xf16>) -> tensor<128xf16> {
  %y = tfm.matmul %x, %w contracting 1 : tensor<64xf16>, tensor<128x64xf16> -> tensor<128xf16>
  return %y : tensor<128xf16>
}

// -----

// CHECK-LABEL: func.func @matmul_dynamic(
// CHECK-SAME:    %[[X:.*]]: tensor<?x?x64xf64>
// CHECK-SAME:    %[[W:.*]]: tensor<256x64xf64>
// CHECK:         tfm.matmul %[[X]], %[[W]] : tensor<?x?x64xf64>, tensor<256x64xf64> -> tensor<?x?x256xf64>
func.func @matmul_dynamic(%x: tensor<?x?x64xf64>, %w: tensor<256x64xf64>) -> tensor<?x?x256xf64> {
  %y = tfm.matmul %x, %w : tensor<?x?x64xf64>, tensor<256x64xf64> -> tensor<?x?x256xf64>
  return %y : tensor<?x?x256xf64>
}

//===----------------------------------------------------------------------===//
// tfm.bias_add
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func.func @bias_add(
// CHECK-SAME:    %[[X:.*]]: tensor<4x16x4x16xf32>
// CHECK-SAME:    %[[B1:.*]]: tensor<16xf32>
// CHECK-SAME:    %[[B2:.*]]: tensor<4x16xf32>
// CHECK:         %[[Y:.*]] = tfm.bias_add %[[X]], %[[B1]] : tensor<4x16x4x16xf32>, tensor<16xf32>
// CHECK:         %[[Z:.*]] = tfm.bias_add %[[Y]], %[[B2]] : tensor<4x16x4x16xf32>, tensor<4x16xf32>
// CHECK:         return %[[Z]]
func.func @bias_add(%x: tensor<4x16x4x16xf32>, %b1: tensor<16xf32>, %b2: tensor<4x16xf32>) -> tensor<4x16x4x16xf32> {
  %y = tfm.bias_add %x, %b1 : tensor<4x16x4x16xf32>, tensor<16xf32>
  %z = tfm.bias_add %y, %b2 : tensor<4x16x4x16xf32>, tensor<4x16xf32>
  return %z : tensor<4x16x4x16xf32>
}

// -----

// CHECK-LABEL: func.func @bias_add_dynamic(
// CHECK-SAME:    %[[X:.*]]: tensor<?x?x64xbf16>
// CHECK-SAME:    %[[B:.*]]: tensor<?xbf16>
// CHECK:         tfm.bias_add %[[X]], %[[B]] : tensor<?x?x64xbf16>, tensor<?xbf16>
func.func @bias_add_dynamic(%x: tensor<?x?x64xbf16>, %b: tensor<?xbf16>) -> tensor<?x?x64xbf16> {
  %y = tfm.bias_add %x, %b : tensor<?x?x64xbf16>, tensor<?xbf16>
  return %y : tensor<?x?x64xbf16>
}

//===----------------------------------------------------------------------===//
// tfm.split_heads, tfm.merge_heads
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func.func @split_merge_heads(
// CHECK-SAME:    %[[X:.*]]: tensor<4x16x64xf32>
// CHECK:         %[[S:.*]] = tfm.split_heads %[[X]] : tensor<4x16x64xf32> -> tensor<4x16x4x16xf32>
// CHECK:         %[[M:.*]] = tfm.merge_heads %[[S]] : tensor<4x16x4x16xf32> -> tensor<4x16x64xf32>
// CHECK:         return %[[M]]
func.func @split_merge_heads(%x: tensor<4x16x64xf32>) -> tensor<4x16x64xf32> {
  %s = tfm.split_heads %x : tensor<4x16x64xf32> -> tensor<4x16x4x16xf32>
  %m = tfm.merge_heads %s : tensor<4x16x4x16xf32> -> tensor<4x16x64xf32>
  return %m : tensor<4x16x64xf32>
}

// -----

// Leading dimensions (and the merged one) may be dynamic; heads and head_dim
// are static.

// CHECK-LABEL: func.func @split_merge_heads_dynamic(
// CHECK-SAME:    %[[X:.*]]: tensor<?x?x?xf16>
// CHECK:         %[[S:.*]] = tfm.split_heads %[[X]] : tensor<?x?x?xf16> -> tensor<?x?x4x16xf16>
// CHECK:         %[[M:.*]] = tfm.merge_heads %[[S]] : tensor<?x?x4x16xf16> -> tensor<?x?x64xf16>
func.func @split_merge_heads_dynamic(%x: tensor<?x?x?xf16>) -> tensor<?x?x64xf16> {
  %s = tfm.split_heads %x : tensor<?x?x?xf16> -> tensor<?x?x4x16xf16>
  %m = tfm.merge_heads %s : tensor<?x?x4x16xf16> -> tensor<?x?x64xf16>
  return %m : tensor<?x?x64xf16>
}

//===----------------------------------------------------------------------===//
// tfm.layer_norm, tfm.rms_norm
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func.func @layer_norm(
// CHECK-SAME:    %[[X:.*]]: tensor<4x16x64xf32>
// CHECK-SAME:    %[[G:.*]]: tensor<64xf32>, %[[B:.*]]: tensor<64xf32>
// CHECK:         %[[Y:.*]] = tfm.layer_norm %[[X]], %[[G]], %[[B]] epsilon 1.000000e-05 : tensor<4x16x64xf32>, tensor<64xf32>, tensor<64xf32>
// CHECK:         %[[Z:.*]] = tfm.layer_norm %[[Y]], %[[G]] epsilon 9.9999999999999995E-7 : tensor<4x16x64xf32>, tensor<64xf32>{{$}}
// CHECK:         %[[P:.*]] = tfm.layer_norm %[[Z]], %[[G]], %[[B]] epsilon 1.000000e-05 zero_centered_gamma : tensor<4x16x64xf32>, tensor<64xf32>, tensor<64xf32>
// CHECK:         return %[[P]]
func.func @layer_norm(%x: tensor<4x16x64xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>) -> tensor<4x16x64xf32> {
  %y = tfm.layer_norm %x, %g, %b epsilon 1.0e-05 : tensor<4x16x64xf32>, tensor<64xf32>, tensor<64xf32>
  %z = tfm.layer_norm %y, %g epsilon 1.0e-06 : tensor<4x16x64xf32>, tensor<64xf32>
  // NeMo's layernorm1p: scales by 1 + %g.
  %p = tfm.layer_norm %z, %g, %b epsilon 1.0e-05 zero_centered_gamma : tensor<4x16x64xf32>, tensor<64xf32>, tensor<64xf32>
  return %p : tensor<4x16x64xf32>
}

// -----

// CHECK-LABEL: func.func @layer_norm_dynamic_f64(
// CHECK-SAME:    %[[X:.*]]: tensor<?x?xf64>
// CHECK-SAME:    %[[G:.*]]: tensor<64xf64>
// CHECK:         tfm.layer_norm %[[X]], %[[G]] epsilon 1.000000e-05 : tensor<?x?xf64>, tensor<64xf64>{{$}}
func.func @layer_norm_dynamic_f64(%x: tensor<?x?xf64>, %g: tensor<64xf64>) -> tensor<?x?xf64> {
  %y = tfm.layer_norm %x, %g epsilon 1.0e-05 : tensor<?x?xf64>, tensor<64xf64>
  return %y : tensor<?x?xf64>
}

// -----

// CHECK-LABEL: func.func @rms_norm(
// CHECK-SAME:    %[[X:.*]]: tensor<4x16x64xbf16>
// CHECK-SAME:    %[[D:.*]]: tensor<?x?x?xbf16>
// CHECK-SAME:    %[[G:.*]]: tensor<64xbf16>
// CHECK:         %[[Y:.*]] = tfm.rms_norm %[[X]], %[[G]] epsilon 1.000000e-05 : tensor<4x16x64xbf16>, tensor<64xbf16>
// CHECK:         %[[Z:.*]] = tfm.rms_norm %[[D]], %[[G]] epsilon 9.9999999999999995E-7 : tensor<?x?x?xbf16>, tensor<64xbf16>
func.func @rms_norm(%x: tensor<4x16x64xbf16>, %d: tensor<?x?x?xbf16>, %g: tensor<64xbf16>) -> (tensor<4x16x64xbf16>, tensor<?x?x?xbf16>) {
  %y = tfm.rms_norm %x, %g epsilon 1.0e-05 : tensor<4x16x64xbf16>, tensor<64xbf16>
  %z = tfm.rms_norm %d, %g epsilon 1.0e-06 : tensor<?x?x?xbf16>, tensor<64xbf16>
  return %y, %z : tensor<4x16x64xbf16>, tensor<?x?x?xbf16>
}

//===----------------------------------------------------------------------===//
// tfm.rotary_embedding
//===----------------------------------------------------------------------===//

// -----

// Full and partial rotation (16 of 32 head_dim entries), i32 and i64
// positions.

// CHECK-LABEL: func.func @rotary_embedding(
// CHECK-SAME:    %[[Q:.*]]: tensor<4x16x4x32xf32>
// CHECK-SAME:    %[[P32:.*]]: tensor<4x16xi32>
// CHECK-SAME:    %[[P64:.*]]: tensor<4x16xi64>
// CHECK:         %[[A:.*]] = tfm.rotary_embedding %[[Q]], %[[P32]] base 1.000000e+04 dims 32 : tensor<4x16x4x32xf32>, tensor<4x16xi32>
// CHECK:         %[[B:.*]] = tfm.rotary_embedding %[[A]], %[[P64]] base 5.000000e+05 dims 16 : tensor<4x16x4x32xf32>, tensor<4x16xi64>
// CHECK:         return %[[B]]
func.func @rotary_embedding(%q: tensor<4x16x4x32xf32>, %p32: tensor<4x16xi32>, %p64: tensor<4x16xi64>) -> tensor<4x16x4x32xf32> {
  %a = tfm.rotary_embedding %q, %p32 base 10000.0 dims 32 : tensor<4x16x4x32xf32>, tensor<4x16xi32>
  %b = tfm.rotary_embedding %a, %p64 base 500000.0 dims 16 : tensor<4x16x4x32xf32>, tensor<4x16xi64>
  return %b : tensor<4x16x4x32xf32>
}

// -----

// CHECK-LABEL: func.func @rotary_embedding_dynamic(
// CHECK-SAME:    %[[Q:.*]]: tensor<?x?x4x?xf16>
// CHECK-SAME:    %[[P:.*]]: tensor<?x?xi32>
// CHECK:         tfm.rotary_embedding %[[Q]], %[[P]] base 1.000000e+04 dims 64 : tensor<?x?x4x?xf16>, tensor<?x?xi32>
func.func @rotary_embedding_dynamic(%q: tensor<?x?x4x?xf16>, %p: tensor<?x?xi32>) -> tensor<?x?x4x?xf16> {
  %r = tfm.rotary_embedding %q, %p base 10000.0 dims 64 : tensor<?x?x4x?xf16>, tensor<?x?xi32>
  return %r : tensor<?x?x4x?xf16>
}

//===----------------------------------------------------------------------===//
// tfm.attention
//===----------------------------------------------------------------------===//

// -----

// Multi-head, causal, no dropout; the value head_dim (8) differs from the
// query/key head_dim (16).

// CHECK-LABEL: func.func @attention_mha_causal(
// CHECK-SAME:    %[[Q:.*]]: tensor<4x16x4x16xf32>, %[[K:.*]]: tensor<4x16x4x16xf32>
// CHECK-SAME:    %[[V:.*]]: tensor<4x16x4x8xf32>
// CHECK:         %[[A:.*]] = tfm.attention %[[Q]], %[[K]], %[[V]] causal scale 2.500000e-01 : tensor<4x16x4x16xf32>, tensor<4x16x4x16xf32>, tensor<4x16x4x8xf32> -> tensor<4x16x4x8xf32>{{$}}
// CHECK:         return %[[A]]
func.func @attention_mha_causal(%q: tensor<4x16x4x16xf32>, %k: tensor<4x16x4x16xf32>, %v: tensor<4x16x4x8xf32>) -> tensor<4x16x4x8xf32> {
  %a = tfm.attention %q, %k, %v causal scale 0.25 : tensor<4x16x4x16xf32>, tensor<4x16x4x16xf32>, tensor<4x16x4x8xf32> -> tensor<4x16x4x8xf32>
  return %a : tensor<4x16x4x8xf32>
}

// -----

// Grouped-query attention: 12 query heads read 4 key/value groups; causal
// with dropout.

// CHECK-LABEL: func.func @attention_gqa(
// CHECK-SAME:    %[[Q:.*]]: tensor<2x16x12x16xbf16>
// CHECK-SAME:    %[[K:.*]]: tensor<2x16x4x16xbf16>, %[[V:.*]]: tensor<2x16x4x16xbf16>
// CHECK:         tfm.attention %[[Q]], %[[K]], %[[V]] causal scale 2.500000e-01 dropout 1.000000e-01 : tensor<2x16x12x16xbf16>, tensor<2x16x4x16xbf16>, tensor<2x16x4x16xbf16> -> tensor<2x16x12x16xbf16>
func.func @attention_gqa(%q: tensor<2x16x12x16xbf16>, %k: tensor<2x16x4x16xbf16>, %v: tensor<2x16x4x16xbf16>) -> tensor<2x16x12x16xbf16> {
  %a = tfm.attention %q, %k, %v causal scale 0.25 dropout 0.1 : tensor<2x16x12x16xbf16>, tensor<2x16x4x16xbf16>, tensor<2x16x4x16xbf16> -> tensor<2x16x12x16xbf16>
  return %a : tensor<2x16x12x16xbf16>
}

// -----

// Multi-query attention: 12 query heads read a single key/value group; not
// causal, with dropout.

// CHECK-LABEL: func.func @attention_mqa(
// CHECK-SAME:    %[[Q:.*]]: tensor<2x16x12x16xf16>
// CHECK-SAME:    %[[K:.*]]: tensor<2x16x1x16xf16>, %[[V:.*]]: tensor<2x16x1x16xf16>
// CHECK:         tfm.attention %[[Q]], %[[K]], %[[V]] scale 1.250000e-01 dropout 0.000000e+00 : tensor<2x16x12x16xf16>, tensor<2x16x1x16xf16>, tensor<2x16x1x16xf16> -> tensor<2x16x12x16xf16>
func.func @attention_mqa(%q: tensor<2x16x12x16xf16>, %k: tensor<2x16x1x16xf16>, %v: tensor<2x16x1x16xf16>) -> tensor<2x16x12x16xf16> {
  %a = tfm.attention %q, %k, %v scale 0.125 dropout 0.0 : tensor<2x16x12x16xf16>, tensor<2x16x1x16xf16>, tensor<2x16x1x16xf16> -> tensor<2x16x12x16xf16>
  return %a : tensor<2x16x12x16xf16>
}

// -----

// Decoding with a key/value cache: one query position against 128 keys,
// causal (the mask is aligned at the bottom right).

// CHECK-LABEL: func.func @attention_decode(
// CHECK-SAME:    %[[Q:.*]]: tensor<2x1x12x16xf32>
// CHECK-SAME:    %[[K:.*]]: tensor<2x128x4x16xf32>, %[[V:.*]]: tensor<2x128x4x16xf32>
// CHECK:         tfm.attention %[[Q]], %[[K]], %[[V]] causal scale 2.500000e-01 : tensor<2x1x12x16xf32>, tensor<2x128x4x16xf32>, tensor<2x128x4x16xf32> -> tensor<2x1x12x16xf32>
func.func @attention_decode(%q: tensor<2x1x12x16xf32>, %k: tensor<2x128x4x16xf32>, %v: tensor<2x128x4x16xf32>) -> tensor<2x1x12x16xf32> {
  %a = tfm.attention %q, %k, %v causal scale 0.25 : tensor<2x1x12x16xf32>, tensor<2x128x4x16xf32>, tensor<2x128x4x16xf32> -> tensor<2x1x12x16xf32>
  return %a : tensor<2x1x12x16xf32>
}

// -----

// Dynamic batch and lengths, f64.

// CHECK-LABEL: func.func @attention_dynamic(
// CHECK-SAME:    %[[Q:.*]]: tensor<?x?x4x16xf64>, %[[K:.*]]: tensor<?x?x4x16xf64>, %[[V:.*]]: tensor<?x?x4x16xf64>
// CHECK:         tfm.attention %[[Q]], %[[K]], %[[V]] causal scale 2.500000e-01 : tensor<?x?x4x16xf64>, tensor<?x?x4x16xf64>, tensor<?x?x4x16xf64> -> tensor<?x?x4x16xf64>
func.func @attention_dynamic(%q: tensor<?x?x4x16xf64>, %k: tensor<?x?x4x16xf64>, %v: tensor<?x?x4x16xf64>) -> tensor<?x?x4x16xf64> {
  %a = tfm.attention %q, %k, %v causal scale 0.25 : tensor<?x?x4x16xf64>, tensor<?x?x4x16xf64>, tensor<?x?x4x16xf64> -> tensor<?x?x4x16xf64>
  return %a : tensor<?x?x4x16xf64>
}

//===----------------------------------------------------------------------===//
// Elementwise: tfm.gelu, tfm.silu, tfm.swiglu, tfm.dropout, tfm.add
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func.func @gelu(
// CHECK-SAME:    %[[X:.*]]: tensor<4x16x256xf32>
// CHECK:         %[[E:.*]] = tfm.gelu erf %[[X]] : tensor<4x16x256xf32>
// CHECK:         %[[T:.*]] = tfm.gelu tanh %[[E]] : tensor<4x16x256xf32>
// CHECK:         return %[[T]]
func.func @gelu(%x: tensor<4x16x256xf32>) -> tensor<4x16x256xf32> {
  %e = tfm.gelu erf %x : tensor<4x16x256xf32>
  %t = tfm.gelu tanh %e : tensor<4x16x256xf32>
  return %t : tensor<4x16x256xf32>
}

// -----

// CHECK-LABEL: func.func @silu_swiglu(
// CHECK-SAME:    %[[G:.*]]: tensor<?x16x256xbf16>, %[[U:.*]]: tensor<?x16x256xbf16>
// CHECK:         %[[S:.*]] = tfm.silu %[[G]] : tensor<?x16x256xbf16>
// CHECK:         %[[H:.*]] = tfm.swiglu %[[S]], %[[U]] : tensor<?x16x256xbf16>
// CHECK:         return %[[H]]
func.func @silu_swiglu(%gate: tensor<?x16x256xbf16>, %up: tensor<?x16x256xbf16>) -> tensor<?x16x256xbf16> {
  %s = tfm.silu %gate : tensor<?x16x256xbf16>
  %h = tfm.swiglu %s, %up : tensor<?x16x256xbf16>
  return %h : tensor<?x16x256xbf16>
}

// -----

// CHECK-LABEL: func.func @dropout_add(
// CHECK-SAME:    %[[X:.*]]: tensor<4x16x64xf16>, %[[R:.*]]: tensor<4x16x64xf16>
// CHECK:         %[[D:.*]] = tfm.dropout %[[X]] rate 1.000000e-01 : tensor<4x16x64xf16>
// CHECK:         %[[Z:.*]] = tfm.dropout %[[D]] rate 0.000000e+00 : tensor<4x16x64xf16>
// CHECK:         %[[S:.*]] = tfm.add %[[R]], %[[Z]] : tensor<4x16x64xf16>
// CHECK:         return %[[S]]
func.func @dropout_add(%x: tensor<4x16x64xf16>, %residual: tensor<4x16x64xf16>) -> tensor<4x16x64xf16> {
  %d = tfm.dropout %x rate 0.1 : tensor<4x16x64xf16>
  %z = tfm.dropout %d rate 0.0 : tensor<4x16x64xf16>
  %s = tfm.add %residual, %z : tensor<4x16x64xf16>
  return %s : tensor<4x16x64xf16>
}

//===----------------------------------------------------------------------===//
// tfm.cross_entropy
//===----------------------------------------------------------------------===//

// -----

// bf16 logits give an f32 loss; f64 logits an f64 loss.

// CHECK-LABEL: func.func @cross_entropy(
// CHECK-SAME:    %[[L:.*]]: tensor<4x16x128xbf16>
// CHECK-SAME:    %[[Y:.*]]: tensor<4x16xi32>
// CHECK-SAME:    %[[L64:.*]]: tensor<4x16x128xf64>
// CHECK-SAME:    %[[Y64:.*]]: tensor<4x16xi64>
// CHECK:         %[[MEAN:.*]] = tfm.cross_entropy mean %[[L]], %[[Y]] : tensor<4x16x128xbf16>, tensor<4x16xi32> -> tensor<f32>
// CHECK:         %[[SUM:.*]] = tfm.cross_entropy sum %[[L64]], %[[Y64]] : tensor<4x16x128xf64>, tensor<4x16xi64> -> tensor<f64>
// CHECK:         %[[NONE:.*]] = tfm.cross_entropy none %[[L]], %[[Y]] : tensor<4x16x128xbf16>, tensor<4x16xi32> -> tensor<4x16xf32>
// CHECK:         return %[[MEAN]], %[[SUM]], %[[NONE]]
func.func @cross_entropy(%logits: tensor<4x16x128xbf16>, %labels: tensor<4x16xi32>, %logits64: tensor<4x16x128xf64>, %labels64: tensor<4x16xi64>) -> (tensor<f32>, tensor<f64>, tensor<4x16xf32>) {
  %mean = tfm.cross_entropy mean %logits, %labels : tensor<4x16x128xbf16>, tensor<4x16xi32> -> tensor<f32>
  %sum = tfm.cross_entropy sum %logits64, %labels64 : tensor<4x16x128xf64>, tensor<4x16xi64> -> tensor<f64>
  %none = tfm.cross_entropy none %logits, %labels : tensor<4x16x128xbf16>, tensor<4x16xi32> -> tensor<4x16xf32>
  return %mean, %sum, %none : tensor<f32>, tensor<f64>, tensor<4x16xf32>
}

// -----

// A vocabulary of 100 tokens padded to 128 columns: valid_vocab round-trips.

// CHECK-LABEL: func.func @cross_entropy_padded(
// CHECK:         tfm.cross_entropy mean %{{.*}}, %{{.*}} valid_vocab 100 : tensor<4x16x128xbf16>, tensor<4x16xi32> -> tensor<f32>
func.func @cross_entropy_padded(%logits: tensor<4x16x128xbf16>, %labels: tensor<4x16xi32>) -> tensor<f32> {
  %mean = tfm.cross_entropy mean %logits, %labels valid_vocab 100 : tensor<4x16x128xbf16>, tensor<4x16xi32> -> tensor<f32>
  return %mean : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @cross_entropy_dynamic(
// CHECK-SAME:    %[[L:.*]]: tensor<?x?x128xf16>
// CHECK-SAME:    %[[Y:.*]]: tensor<?x?xi64>
// CHECK:         tfm.cross_entropy none %[[L]], %[[Y]] : tensor<?x?x128xf16>, tensor<?x?xi64> -> tensor<?x?xf32>
func.func @cross_entropy_dynamic(%logits: tensor<?x?x128xf16>, %labels: tensor<?x?xi64>) -> tensor<?x?xf32> {
  %loss = tfm.cross_entropy none %logits, %labels : tensor<?x?x128xf16>, tensor<?x?xi64> -> tensor<?x?xf32>
  return %loss : tensor<?x?xf32>
}
