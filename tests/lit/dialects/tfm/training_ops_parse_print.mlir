// RUN: strata-opt %s -split-input-file | strata-opt -split-input-file | FileCheck %s
// RUN: strata-opt %s -split-input-file --mlir-print-op-generic | strata-opt -split-input-file | FileCheck %s

// Round trip of every training-phase tfm op, and of the optional pieces of
// the forward ops that training adds (attention's lse and stream, dropout's
// stream, rotary's inverse, the backward layer), through the custom and the
// generic form. Each optional piece of syntax appears both present and absent.

//===----------------------------------------------------------------------===//
// tfm.matmul_grad_input
//===----------------------------------------------------------------------===//

// The gradients of the two matmuls of tfm.matmul's parse-print test: a query
// projection (one output dimension per head: `outputs 2`) and an output
// projection (`outputs 1`).

// CHECK-LABEL: func.func @matmul_grad_input(
// CHECK-SAME:    %[[DQ:.*]]: tensor<4x8x4x16xf32>
// CHECK-SAME:    %[[WQ:.*]]: tensor<4x16x64xf32>
// CHECK-SAME:    %[[DO:.*]]: tensor<4x8x64xf32>
// CHECK-SAME:    %[[WO:.*]]: tensor<64x4x16xf32>
// CHECK:         %[[DX:.*]] = tfm.matmul_grad_input %[[DQ]], %[[WQ]] outputs 2 : tensor<4x8x4x16xf32>, tensor<4x16x64xf32> -> tensor<4x8x64xf32>
// CHECK:         %[[DA:.*]] = tfm.matmul_grad_input %[[DO]], %[[WO]] outputs 1 : tensor<4x8x64xf32>, tensor<64x4x16xf32> -> tensor<4x8x4x16xf32>
// CHECK:         return %[[DX]], %[[DA]]
func.func @matmul_grad_input(%dq: tensor<4x8x4x16xf32>, %wq: tensor<4x16x64xf32>, %do: tensor<4x8x64xf32>, %wo: tensor<64x4x16xf32>) -> (tensor<4x8x64xf32>, tensor<4x8x4x16xf32>) {
  %dx = tfm.matmul_grad_input %dq, %wq outputs 2 : tensor<4x8x4x16xf32>, tensor<4x16x64xf32> -> tensor<4x8x64xf32>
  %da = tfm.matmul_grad_input %do, %wo outputs 1 : tensor<4x8x64xf32>, tensor<64x4x16xf32> -> tensor<4x8x4x16xf32>
  return %dx, %da : tensor<4x8x64xf32>, tensor<4x8x4x16xf32>
}

// -----

// Dynamic leading dimensions, bf16; a gradient without leading dimensions
// (rank equal to the output dimensions), f64.

// CHECK-LABEL: func.func @matmul_grad_input_dynamic(
// CHECK-SAME:    %[[DY:.*]]: tensor<?x?x128xbf16>
// CHECK-SAME:    %[[W:.*]]: tensor<128x64xbf16>
// CHECK-SAME:    %[[DV:.*]]: tensor<128xf64>
// CHECK-SAME:    %[[W64:.*]]: tensor<128x64xf64>
// CHECK:         tfm.matmul_grad_input %[[DY]], %[[W]] outputs 1 : tensor<?x?x128xbf16>, tensor<128x64xbf16> -> tensor<?x?x64xbf16>
// CHECK:         tfm.matmul_grad_input %[[DV]], %[[W64]] outputs 1 : tensor<128xf64>, tensor<128x64xf64> -> tensor<64xf64>
func.func @matmul_grad_input_dynamic(%dy: tensor<?x?x128xbf16>, %w: tensor<128x64xbf16>, %dv: tensor<128xf64>, %w64: tensor<128x64xf64>) -> (tensor<?x?x64xbf16>, tensor<64xf64>) {
  %dx = tfm.matmul_grad_input %dy, %w outputs 1 : tensor<?x?x128xbf16>, tensor<128x64xbf16> -> tensor<?x?x64xbf16>
  %dx64 = tfm.matmul_grad_input %dv, %w64 outputs 1 : tensor<128xf64>, tensor<128x64xf64> -> tensor<64xf64>
  return %dx, %dx64 : tensor<?x?x64xbf16>, tensor<64xf64>
}

//===----------------------------------------------------------------------===//
// tfm.matmul_grad_weight
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func.func @matmul_grad_weight(
// CHECK-SAME:    %[[DQ:.*]]: tensor<4x8x4x16xf32>
// CHECK-SAME:    %[[X:.*]]: tensor<4x8x64xf32>
// CHECK-SAME:    %[[DO:.*]]: tensor<32x64xf32>
// CHECK-SAME:    %[[A:.*]]: tensor<32x4x16xf32>
// CHECK:         %[[DWQ:.*]] = tfm.matmul_grad_weight %[[DQ]], %[[X]] batch 2 : tensor<4x8x4x16xf32>, tensor<4x8x64xf32> -> tensor<4x16x64xf32>
// CHECK:         %[[DWO:.*]] = tfm.matmul_grad_weight %[[DO]], %[[A]] batch 1 : tensor<32x64xf32>, tensor<32x4x16xf32> -> tensor<64x4x16xf32>
// CHECK:         return %[[DWQ]], %[[DWO]]
func.func @matmul_grad_weight(%dq: tensor<4x8x4x16xf32>, %x: tensor<4x8x64xf32>, %do: tensor<32x64xf32>, %a: tensor<32x4x16xf32>) -> (tensor<4x16x64xf32>, tensor<64x4x16xf32>) {
  %dwq = tfm.matmul_grad_weight %dq, %x batch 2 : tensor<4x8x4x16xf32>, tensor<4x8x64xf32> -> tensor<4x16x64xf32>
  %dwo = tfm.matmul_grad_weight %do, %a batch 1 : tensor<32x64xf32>, tensor<32x4x16xf32> -> tensor<64x4x16xf32>
  return %dwq, %dwo : tensor<4x16x64xf32>, tensor<64x4x16xf32>
}

// -----

// Dynamic batch dimensions (summed over), f16.

// CHECK-LABEL: func.func @matmul_grad_weight_dynamic(
// CHECK-SAME:    %[[DY:.*]]: tensor<?x?x128xf16>
// CHECK-SAME:    %[[X:.*]]: tensor<?x?x64xf16>
// CHECK:         tfm.matmul_grad_weight %[[DY]], %[[X]] batch 2 : tensor<?x?x128xf16>, tensor<?x?x64xf16> -> tensor<128x64xf16>
func.func @matmul_grad_weight_dynamic(%dy: tensor<?x?x128xf16>, %x: tensor<?x?x64xf16>) -> tensor<128x64xf16> {
  %dw = tfm.matmul_grad_weight %dy, %x batch 2 : tensor<?x?x128xf16>, tensor<?x?x64xf16> -> tensor<128x64xf16>
  return %dw : tensor<128x64xf16>
}

//===----------------------------------------------------------------------===//
// tfm.bias_grad
//===----------------------------------------------------------------------===//

// -----

// A rank-1 bias and a [heads, head_dim] bias; a dynamic gradient.

// CHECK-LABEL: func.func @bias_grad(
// CHECK-SAME:    %[[DY:.*]]: tensor<4x8x4x16xf32>
// CHECK-SAME:    %[[DD:.*]]: tensor<?x?x64xbf16>
// CHECK:         %[[B1:.*]] = tfm.bias_grad %[[DY]] : tensor<4x8x4x16xf32> -> tensor<16xf32>
// CHECK:         %[[B2:.*]] = tfm.bias_grad %[[DY]] : tensor<4x8x4x16xf32> -> tensor<4x16xf32>
// CHECK:         %[[B3:.*]] = tfm.bias_grad %[[DD]] : tensor<?x?x64xbf16> -> tensor<64xbf16>
// CHECK:         return %[[B1]], %[[B2]], %[[B3]]
func.func @bias_grad(%dy: tensor<4x8x4x16xf32>, %dd: tensor<?x?x64xbf16>) -> (tensor<16xf32>, tensor<4x16xf32>, tensor<64xbf16>) {
  %b1 = tfm.bias_grad %dy : tensor<4x8x4x16xf32> -> tensor<16xf32>
  %b2 = tfm.bias_grad %dy : tensor<4x8x4x16xf32> -> tensor<4x16xf32>
  %b3 = tfm.bias_grad %dd : tensor<?x?x64xbf16> -> tensor<64xbf16>
  return %b1, %b2, %b3 : tensor<16xf32>, tensor<4x16xf32>, tensor<64xbf16>
}

//===----------------------------------------------------------------------===//
// tfm.embedding_grad
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func.func @embedding_grad(
// CHECK-SAME:    %[[DY:.*]]: tensor<4x16x64xf32>
// CHECK-SAME:    %[[IDS:.*]]: tensor<4x16xi32>
// CHECK:         %[[DT:.*]] = tfm.embedding_grad %[[DY]][%[[IDS]]] : tensor<4x16x64xf32>, tensor<4x16xi32> -> tensor<128x64xf32>
// CHECK:         return %[[DT]]
func.func @embedding_grad(%dy: tensor<4x16x64xf32>, %ids: tensor<4x16xi32>) -> tensor<128x64xf32> {
  %dt = tfm.embedding_grad %dy[%ids] : tensor<4x16x64xf32>, tensor<4x16xi32> -> tensor<128x64xf32>
  return %dt : tensor<128x64xf32>
}

// -----

// CHECK-LABEL: func.func @embedding_grad_i64_dynamic(
// CHECK-SAME:    %[[DY:.*]]: tensor<?x?x64xbf16>
// CHECK-SAME:    %[[IDS:.*]]: tensor<?x?xi64>
// CHECK:         tfm.embedding_grad %[[DY]][%[[IDS]]] : tensor<?x?x64xbf16>, tensor<?x?xi64> -> tensor<?x64xbf16>
func.func @embedding_grad_i64_dynamic(%dy: tensor<?x?x64xbf16>, %ids: tensor<?x?xi64>) -> tensor<?x64xbf16> {
  %dt = tfm.embedding_grad %dy[%ids] : tensor<?x?x64xbf16>, tensor<?x?xi64> -> tensor<?x64xbf16>
  return %dt : tensor<?x64xbf16>
}

//===----------------------------------------------------------------------===//
// tfm.layer_norm_grad, tfm.rms_norm_grad
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func.func @layer_norm_grad(
// CHECK-SAME:    %[[DY:.*]]: tensor<4x16x64xf32>, %[[X:.*]]: tensor<4x16x64xf32>
// CHECK-SAME:    %[[G:.*]]: tensor<64xf32>
// CHECK:         %[[DX:.*]], %[[DG:.*]], %[[DB:.*]] = tfm.layer_norm_grad %[[DY]], %[[X]], %[[G]] epsilon 1.000000e-05 : tensor<4x16x64xf32>, tensor<64xf32>{{$}}
// CHECK:         %[[DX1:.*]], %[[DG1:.*]], %[[DB1:.*]] = tfm.layer_norm_grad %[[DY]], %[[X]], %[[G]] epsilon 1.000000e-05 zero_centered_gamma : tensor<4x16x64xf32>, tensor<64xf32>{{$}}
// CHECK:         return %[[DX]], %[[DG]], %[[DB1]]
func.func @layer_norm_grad(%dy: tensor<4x16x64xf32>, %x: tensor<4x16x64xf32>, %g: tensor<64xf32>) -> (tensor<4x16x64xf32>, tensor<64xf32>, tensor<64xf32>) {
  %dx, %dg, %db = tfm.layer_norm_grad %dy, %x, %g epsilon 1.0e-05 : tensor<4x16x64xf32>, tensor<64xf32>
  %dx1, %dg1, %db1 = tfm.layer_norm_grad %dy, %x, %g epsilon 1.0e-05 zero_centered_gamma : tensor<4x16x64xf32>, tensor<64xf32>
  return %dx, %dg, %db1 : tensor<4x16x64xf32>, tensor<64xf32>, tensor<64xf32>
}

// -----

// CHECK-LABEL: func.func @layer_norm_grad_dynamic_f64(
// CHECK-SAME:    %[[DY:.*]]: tensor<?x?xf64>, %[[X:.*]]: tensor<?x?xf64>
// CHECK-SAME:    %[[G:.*]]: tensor<64xf64>
// CHECK:         tfm.layer_norm_grad %[[DY]], %[[X]], %[[G]] epsilon 9.9999999999999995E-7 : tensor<?x?xf64>, tensor<64xf64>{{$}}
func.func @layer_norm_grad_dynamic_f64(%dy: tensor<?x?xf64>, %x: tensor<?x?xf64>, %g: tensor<64xf64>) -> tensor<?x?xf64> {
  %dx, %dg, %db = tfm.layer_norm_grad %dy, %x, %g epsilon 1.0e-06 : tensor<?x?xf64>, tensor<64xf64>
  return %dx : tensor<?x?xf64>
}

// -----

// CHECK-LABEL: func.func @rms_norm_grad(
// CHECK-SAME:    %[[DY:.*]]: tensor<4x16x64xbf16>, %[[X:.*]]: tensor<4x16x64xbf16>
// CHECK-SAME:    %[[D:.*]]: tensor<?x?x?xbf16>
// CHECK-SAME:    %[[G:.*]]: tensor<64xbf16>
// CHECK:         %[[DX:.*]], %[[DG:.*]] = tfm.rms_norm_grad %[[DY]], %[[X]], %[[G]] epsilon 1.000000e-05 : tensor<4x16x64xbf16>, tensor<64xbf16>{{$}}
// CHECK:         %[[DD:.*]], %[[DG2:.*]] = tfm.rms_norm_grad %[[D]], %[[D]], %[[G]] epsilon 9.9999999999999995E-7 : tensor<?x?x?xbf16>, tensor<64xbf16>{{$}}
// CHECK:         return %[[DX]], %[[DG]], %[[DD]], %[[DG2]]
func.func @rms_norm_grad(%dy: tensor<4x16x64xbf16>, %x: tensor<4x16x64xbf16>, %d: tensor<?x?x?xbf16>, %g: tensor<64xbf16>) -> (tensor<4x16x64xbf16>, tensor<64xbf16>, tensor<?x?x?xbf16>, tensor<64xbf16>) {
  %dx, %dg = tfm.rms_norm_grad %dy, %x, %g epsilon 1.0e-05 : tensor<4x16x64xbf16>, tensor<64xbf16>
  %dd, %dg2 = tfm.rms_norm_grad %d, %d, %g epsilon 1.0e-06 : tensor<?x?x?xbf16>, tensor<64xbf16>
  return %dx, %dg, %dd, %dg2 : tensor<4x16x64xbf16>, tensor<64xbf16>, tensor<?x?x?xbf16>, tensor<64xbf16>
}

//===----------------------------------------------------------------------===//
// tfm.attention_grad
//===----------------------------------------------------------------------===//

// -----

// Grouped-query attention (12 heads, 4 groups), causal, with dropout and the
// forward op's stream; the value head_dim (8) differs from the query's (16).
// bf16 operands with an f32 lse.

// CHECK-LABEL: func.func @attention_grad_gqa(
// CHECK-SAME:    %[[Q:.*]]: tensor<2x16x12x16xbf16>
// CHECK-SAME:    %[[K:.*]]: tensor<2x16x4x16xbf16>, %[[V:.*]]: tensor<2x16x4x8xbf16>
// CHECK-SAME:    %[[O:.*]]: tensor<2x16x12x8xbf16>, %[[LSE:.*]]: tensor<2x12x16xf32>, %[[DO:.*]]: tensor<2x16x12x8xbf16>)
// CHECK:         %[[DQ:.*]], %[[DK:.*]], %[[DV:.*]] = tfm.attention_grad %[[Q]], %[[K]], %[[V]], %[[O]], %[[LSE]], %[[DO]] causal scale 2.500000e-01 dropout 1.000000e-01 stream 3 : tensor<2x16x12x16xbf16>, tensor<2x16x4x16xbf16>, tensor<2x16x4x8xbf16>, tensor<2x16x12x8xbf16>, tensor<2x12x16xf32>{{$}}
// CHECK:         return %[[DQ]], %[[DK]], %[[DV]]
func.func @attention_grad_gqa(%q: tensor<2x16x12x16xbf16>, %k: tensor<2x16x4x16xbf16>, %v: tensor<2x16x4x8xbf16>, %o: tensor<2x16x12x8xbf16>, %lse: tensor<2x12x16xf32>, %do: tensor<2x16x12x8xbf16>) -> (tensor<2x16x12x16xbf16>, tensor<2x16x4x16xbf16>, tensor<2x16x4x8xbf16>) {
  %dq, %dk, %dv = tfm.attention_grad %q, %k, %v, %o, %lse, %do causal scale 0.25 dropout 0.1 stream 3 : tensor<2x16x12x16xbf16>, tensor<2x16x4x16xbf16>, tensor<2x16x4x8xbf16>, tensor<2x16x12x8xbf16>, tensor<2x12x16xf32>
  return %dq, %dk, %dv : tensor<2x16x12x16xbf16>, tensor<2x16x4x16xbf16>, tensor<2x16x4x8xbf16>
}

// -----

// Neither causal nor dropout nor stream.

// CHECK-LABEL: func.func @attention_grad_plain(
// CHECK-SAME:    %[[Q:.*]]: tensor<2x16x4x16xf32>, %[[K:.*]]: tensor<2x16x4x16xf32>, %[[V:.*]]: tensor<2x16x4x16xf32>, %[[O:.*]]: tensor<2x16x4x16xf32>, %[[LSE:.*]]: tensor<2x4x16xf32>, %[[DO:.*]]: tensor<2x16x4x16xf32>)
// CHECK:         tfm.attention_grad %[[Q]], %[[K]], %[[V]], %[[O]], %[[LSE]], %[[DO]] scale 1.250000e-01 : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x4x16xf32>{{$}}
func.func @attention_grad_plain(%q: tensor<2x16x4x16xf32>, %k: tensor<2x16x4x16xf32>, %v: tensor<2x16x4x16xf32>, %o: tensor<2x16x4x16xf32>, %lse: tensor<2x4x16xf32>, %do: tensor<2x16x4x16xf32>) -> tensor<2x16x4x16xf32> {
  %dq, %dk, %dv = tfm.attention_grad %q, %k, %v, %o, %lse, %do scale 0.125 : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x4x16xf32>
  return %dq : tensor<2x16x4x16xf32>
}

// -----

// A zero dropout needs no stream; a stream without dropout is kept. Dynamic
// batch and lengths, f64 with an f64 lse.

// CHECK-LABEL: func.func @attention_grad_dynamic(
// CHECK-SAME:    %[[Q:.*]]: tensor<?x?x4x16xf64>, %[[K:.*]]: tensor<?x?x4x16xf64>, %[[V:.*]]: tensor<?x?x4x16xf64>, %[[O:.*]]: tensor<?x?x4x16xf64>, %[[LSE:.*]]: tensor<?x4x?xf64>, %[[DO:.*]]: tensor<?x?x4x16xf64>)
// CHECK:         tfm.attention_grad %[[Q]], %[[K]], %[[V]], %[[O]], %[[LSE]], %[[DO]] causal scale 2.500000e-01 dropout 0.000000e+00 : tensor<?x?x4x16xf64>, tensor<?x?x4x16xf64>, tensor<?x?x4x16xf64>, tensor<?x?x4x16xf64>, tensor<?x4x?xf64>{{$}}
// CHECK:         tfm.attention_grad %[[Q]], %[[K]], %[[V]], %[[O]], %[[LSE]], %[[DO]] scale 2.500000e-01 stream 0 : tensor<?x?x4x16xf64>, tensor<?x?x4x16xf64>, tensor<?x?x4x16xf64>, tensor<?x?x4x16xf64>, tensor<?x4x?xf64>{{$}}
func.func @attention_grad_dynamic(%q: tensor<?x?x4x16xf64>, %k: tensor<?x?x4x16xf64>, %v: tensor<?x?x4x16xf64>, %o: tensor<?x?x4x16xf64>, %lse: tensor<?x4x?xf64>, %do: tensor<?x?x4x16xf64>) -> (tensor<?x?x4x16xf64>, tensor<?x?x4x16xf64>) {
  %dq, %dk, %dv = tfm.attention_grad %q, %k, %v, %o, %lse, %do causal scale 0.25 dropout 0.0 : tensor<?x?x4x16xf64>, tensor<?x?x4x16xf64>, tensor<?x?x4x16xf64>, tensor<?x?x4x16xf64>, tensor<?x4x?xf64>
  %dq2, %dk2, %dv2 = tfm.attention_grad %q, %k, %v, %o, %lse, %do scale 0.25 stream 0 : tensor<?x?x4x16xf64>, tensor<?x?x4x16xf64>, tensor<?x?x4x16xf64>, tensor<?x?x4x16xf64>, tensor<?x4x?xf64>
  return %dq, %dq2 : tensor<?x?x4x16xf64>, tensor<?x?x4x16xf64>
}

//===----------------------------------------------------------------------===//
// tfm.cross_entropy_grad
//===----------------------------------------------------------------------===//

// -----

// bf16 logits take an f32 loss gradient: a scalar for mean and sum, one per
// position for none.

// CHECK-LABEL: func.func @cross_entropy_grad(
// CHECK-SAME:    %[[L:.*]]: tensor<4x16x128xbf16>
// CHECK-SAME:    %[[Y:.*]]: tensor<4x16xi32>
// CHECK-SAME:    %[[G:.*]]: tensor<f32>
// CHECK-SAME:    %[[GN:.*]]: tensor<4x16xf32>
// CHECK:         %[[MEAN:.*]] = tfm.cross_entropy_grad mean %[[L]], %[[Y]], %[[G]] : tensor<4x16x128xbf16>, tensor<4x16xi32>, tensor<f32>
// CHECK:         %[[SUM:.*]] = tfm.cross_entropy_grad sum %[[L]], %[[Y]], %[[G]] : tensor<4x16x128xbf16>, tensor<4x16xi32>, tensor<f32>
// CHECK:         %[[NONE:.*]] = tfm.cross_entropy_grad none %[[L]], %[[Y]], %[[GN]] : tensor<4x16x128xbf16>, tensor<4x16xi32>, tensor<4x16xf32>
// CHECK:         return %[[MEAN]], %[[SUM]], %[[NONE]]
func.func @cross_entropy_grad(%logits: tensor<4x16x128xbf16>, %labels: tensor<4x16xi32>, %g: tensor<f32>, %gn: tensor<4x16xf32>) -> (tensor<4x16x128xbf16>, tensor<4x16x128xbf16>, tensor<4x16x128xbf16>) {
  %mean = tfm.cross_entropy_grad mean %logits, %labels, %g : tensor<4x16x128xbf16>, tensor<4x16xi32>, tensor<f32>
  %sum = tfm.cross_entropy_grad sum %logits, %labels, %g : tensor<4x16x128xbf16>, tensor<4x16xi32>, tensor<f32>
  %none = tfm.cross_entropy_grad none %logits, %labels, %gn : tensor<4x16x128xbf16>, tensor<4x16xi32>, tensor<4x16xf32>
  return %mean, %sum, %none : tensor<4x16x128xbf16>, tensor<4x16x128xbf16>, tensor<4x16x128xbf16>
}

// -----

// CHECK-LABEL: func.func @cross_entropy_grad_padded(
// CHECK:         tfm.cross_entropy_grad mean %{{.*}}, %{{.*}}, %{{.*}} valid_vocab 100 : tensor<4x16x128xbf16>, tensor<4x16xi32>, tensor<f32>
func.func @cross_entropy_grad_padded(%logits: tensor<4x16x128xbf16>, %labels: tensor<4x16xi32>, %g: tensor<f32>) -> tensor<4x16x128xbf16> {
  %mean = tfm.cross_entropy_grad mean %logits, %labels, %g valid_vocab 100 : tensor<4x16x128xbf16>, tensor<4x16xi32>, tensor<f32>
  return %mean : tensor<4x16x128xbf16>
}

// -----

// CHECK-LABEL: func.func @cross_entropy_grad_dynamic(
// CHECK-SAME:    %[[L:.*]]: tensor<?x?x128xf64>
// CHECK-SAME:    %[[Y:.*]]: tensor<?x?xi64>
// CHECK-SAME:    %[[G:.*]]: tensor<?x?xf64>
// CHECK:         tfm.cross_entropy_grad none %[[L]], %[[Y]], %[[G]] : tensor<?x?x128xf64>, tensor<?x?xi64>, tensor<?x?xf64>
func.func @cross_entropy_grad_dynamic(%logits: tensor<?x?x128xf64>, %labels: tensor<?x?xi64>, %g: tensor<?x?xf64>) -> tensor<?x?x128xf64> {
  %dl = tfm.cross_entropy_grad none %logits, %labels, %g : tensor<?x?x128xf64>, tensor<?x?xi64>, tensor<?x?xf64>
  return %dl : tensor<?x?x128xf64>
}

//===----------------------------------------------------------------------===//
// tfm.gelu_grad, tfm.silu_grad, tfm.swiglu_grad
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func.func @gelu_grad(
// CHECK-SAME:    %[[X:.*]]: tensor<4x16x256xf32>, %[[DY:.*]]: tensor<4x16x256xf32>)
// CHECK:         %[[E:.*]] = tfm.gelu_grad erf %[[X]], %[[DY]] : tensor<4x16x256xf32>
// CHECK:         %[[T:.*]] = tfm.gelu_grad tanh %[[X]], %[[E]] : tensor<4x16x256xf32>
// CHECK:         return %[[T]]
func.func @gelu_grad(%x: tensor<4x16x256xf32>, %dy: tensor<4x16x256xf32>) -> tensor<4x16x256xf32> {
  %e = tfm.gelu_grad erf %x, %dy : tensor<4x16x256xf32>
  %t = tfm.gelu_grad tanh %x, %e : tensor<4x16x256xf32>
  return %t : tensor<4x16x256xf32>
}

// -----

// CHECK-LABEL: func.func @silu_swiglu_grad(
// CHECK-SAME:    %[[G:.*]]: tensor<?x16x256xbf16>, %[[U:.*]]: tensor<?x16x256xbf16>, %[[DY:.*]]: tensor<?x16x256xbf16>)
// CHECK:         %[[DG:.*]], %[[DU:.*]] = tfm.swiglu_grad %[[G]], %[[U]], %[[DY]] : tensor<?x16x256xbf16>
// CHECK:         %[[DX:.*]] = tfm.silu_grad %[[G]], %[[DG]] : tensor<?x16x256xbf16>
// CHECK:         return %[[DX]], %[[DU]]
func.func @silu_swiglu_grad(%gate: tensor<?x16x256xbf16>, %up: tensor<?x16x256xbf16>, %dy: tensor<?x16x256xbf16>) -> (tensor<?x16x256xbf16>, tensor<?x16x256xbf16>) {
  %dg, %du = tfm.swiglu_grad %gate, %up, %dy : tensor<?x16x256xbf16>
  %dx = tfm.silu_grad %gate, %dg : tensor<?x16x256xbf16>
  return %dx, %du : tensor<?x16x256xbf16>, tensor<?x16x256xbf16>
}

//===----------------------------------------------------------------------===//
// tfm.accumulate_grad, tfm.zero_grads, tfm.grad_norm, tfm.clip_coefficient,
// tfm.adamw
//===----------------------------------------------------------------------===//

// -----

// One optimizer step: zero the gradient slots, accumulate a tied parameter's
// gradient twice and another's once, clip by the global norm and update.

// CHECK: tfm.parameter @wte : tensor<128x64xf32> init <normal, std = 2.000000e-02> trainable weight_decay{{$}}
// CHECK: tfm.parameter @ln_f.weight : tensor<64xf32> init <ones> trainable{{$}}
tfm.parameter @wte : tensor<128x64xf32> init <normal, std = 0.02> trainable weight_decay
tfm.parameter @ln_f.weight : tensor<64xf32> init <ones> trainable

// CHECK-LABEL: func.func @optimizer_step(
// CHECK-SAME:    %[[DE:.*]]: tensor<128x64xf32>, %[[DH:.*]]: tensor<128x64xf32>, %[[DG:.*]]: tensor<64xf32>
// CHECK-SAME:    %[[MAX:.*]]: tensor<f32>, %[[LR:.*]]: tensor<f32>, %[[B1:.*]]: tensor<f32>, %[[B2:.*]]: tensor<f32>, %[[EPS:.*]]: tensor<f32>, %[[WD:.*]]: tensor<f32>, %[[STEP:.*]]: tensor<f32>)
// CHECK-NEXT:    tfm.zero_grads{{$}}
// CHECK-NEXT:    tfm.accumulate_grad @wte, %[[DE]] : tensor<128x64xf32>
// CHECK-NEXT:    tfm.accumulate_grad @wte, %[[DH]] : tensor<128x64xf32>
// CHECK-NEXT:    tfm.accumulate_grad @ln_f.weight, %[[DG]] : tensor<64xf32>
// CHECK-NEXT:    %[[NORM:.*]] = tfm.grad_norm : tensor<f32>
// CHECK-NEXT:    %[[C:.*]] = tfm.clip_coefficient %[[NORM]], %[[MAX]] : tensor<f32>
// CHECK-NEXT:    tfm.adamw @wte lr %[[LR]] beta1 %[[B1]] beta2 %[[B2]] eps %[[EPS]] weight_decay %[[WD]] step %[[STEP]] grad_scale %[[C]] : tensor<f32>
// CHECK-NEXT:    tfm.adamw @ln_f.weight lr %[[LR]] beta1 %[[B1]] beta2 %[[B2]] eps %[[EPS]] weight_decay %[[WD]] step %[[STEP]] grad_scale %[[C]] : tensor<f32>
// CHECK-NEXT:    return %[[NORM]]
func.func @optimizer_step(%de: tensor<128x64xf32>, %dh: tensor<128x64xf32>, %dg: tensor<64xf32>, %max: tensor<f32>, %lr: tensor<f32>, %b1: tensor<f32>, %b2: tensor<f32>, %eps: tensor<f32>, %wd: tensor<f32>, %step: tensor<f32>) -> tensor<f32> {
  tfm.zero_grads
  tfm.accumulate_grad @wte, %de : tensor<128x64xf32>
  tfm.accumulate_grad @wte, %dh : tensor<128x64xf32>
  tfm.accumulate_grad @ln_f.weight, %dg : tensor<64xf32>
  %norm = tfm.grad_norm : tensor<f32>
  %c = tfm.clip_coefficient %norm, %max : tensor<f32>
  tfm.adamw @wte lr %lr beta1 %b1 beta2 %b2 eps %eps weight_decay %wd step %step grad_scale %c : tensor<f32>
  tfm.adamw @ln_f.weight lr %lr beta1 %b1 beta2 %b2 eps %eps weight_decay %wd step %step grad_scale %c : tensor<f32>
  return %norm : tensor<f32>
}

// -----

// A bf16 parameter; a quoted name prints bare when it is a valid identifier.
// f64 norm and hyperparameters.

// CHECK: tfm.parameter @layers.0.mlp.fc1.weight : tensor<256x64xbf16> init <normal, std = 2.000000e-02> trainable weight_decay{{$}}
tfm.parameter @"layers.0.mlp.fc1.weight" : tensor<256x64xbf16> init <normal, std = 0.02> trainable weight_decay

// CHECK-LABEL: func.func @optimizer_step_f64(
// CHECK-SAME:    %[[DW:.*]]: tensor<256x64xbf16>
// CHECK-SAME:    %[[MAX:.*]]: tensor<f64>, %[[LR:.*]]: tensor<f64>)
// CHECK-NEXT:    tfm.accumulate_grad @layers.0.mlp.fc1.weight, %[[DW]] : tensor<256x64xbf16>
// CHECK-NEXT:    %[[NORM:.*]] = tfm.grad_norm : tensor<f64>
// CHECK-NEXT:    %[[C:.*]] = tfm.clip_coefficient %[[NORM]], %[[MAX]] : tensor<f64>
// CHECK-NEXT:    tfm.adamw @layers.0.mlp.fc1.weight lr %[[LR]] beta1 %[[LR]] beta2 %[[LR]] eps %[[LR]] weight_decay %[[LR]] step %[[LR]] grad_scale %[[C]] : tensor<f64>
func.func @optimizer_step_f64(%dw: tensor<256x64xbf16>, %max: tensor<f64>, %lr: tensor<f64>) {
  tfm.accumulate_grad @"layers.0.mlp.fc1.weight", %dw : tensor<256x64xbf16>
  %norm = tfm.grad_norm : tensor<f64>
  %c = tfm.clip_coefficient %norm, %max : tensor<f64>
  tfm.adamw @"layers.0.mlp.fc1.weight" lr %lr beta1 %lr beta2 %lr eps %lr weight_decay %lr step %lr grad_scale %c : tensor<f64>
  return
}

//===----------------------------------------------------------------------===//
// Forward ops: tfm.attention's lse and stream, tfm.dropout's stream,
// tfm.rotary_embedding's inverse
//===----------------------------------------------------------------------===//

// -----

// The lse result is [batch, heads, query length] (query heads, not key/value
// groups), f32 for bf16 operands; with and without dropout and stream.

// CHECK-LABEL: func.func @attention_lse(
// CHECK-SAME:    %[[Q:.*]]: tensor<2x16x12x16xbf16>
// CHECK-SAME:    %[[K:.*]]: tensor<2x16x4x16xbf16>, %[[V:.*]]: tensor<2x16x4x16xbf16>
// CHECK:         %[[A:.*]], %[[L:.*]] = tfm.attention %[[Q]], %[[K]], %[[V]] causal scale 2.500000e-01 dropout 1.000000e-01 stream 7 : tensor<2x16x12x16xbf16>, tensor<2x16x4x16xbf16>, tensor<2x16x4x16xbf16> -> tensor<2x16x12x16xbf16>, tensor<2x12x16xf32>{{$}}
// CHECK:         %[[B:.*]], %[[M:.*]] = tfm.attention %[[Q]], %[[K]], %[[V]] scale 2.500000e-01 : tensor<2x16x12x16xbf16>, tensor<2x16x4x16xbf16>, tensor<2x16x4x16xbf16> -> tensor<2x16x12x16xbf16>, tensor<2x12x16xf32>{{$}}
// CHECK:         return %[[A]], %[[L]], %[[B]], %[[M]]
func.func @attention_lse(%q: tensor<2x16x12x16xbf16>, %k: tensor<2x16x4x16xbf16>, %v: tensor<2x16x4x16xbf16>) -> (tensor<2x16x12x16xbf16>, tensor<2x12x16xf32>, tensor<2x16x12x16xbf16>, tensor<2x12x16xf32>) {
  %a, %l = tfm.attention %q, %k, %v causal scale 0.25 dropout 0.1 stream 7 : tensor<2x16x12x16xbf16>, tensor<2x16x4x16xbf16>, tensor<2x16x4x16xbf16> -> tensor<2x16x12x16xbf16>, tensor<2x12x16xf32>
  %b, %m = tfm.attention %q, %k, %v scale 0.25 : tensor<2x16x12x16xbf16>, tensor<2x16x4x16xbf16>, tensor<2x16x4x16xbf16> -> tensor<2x16x12x16xbf16>, tensor<2x12x16xf32>
  return %a, %l, %b, %m : tensor<2x16x12x16xbf16>, tensor<2x12x16xf32>, tensor<2x16x12x16xbf16>, tensor<2x12x16xf32>
}

// -----

// A stream without lse; an f64 lse for f64 operands, with dynamic dimensions
// (decoding: the lse has the query length, not the key length).

// CHECK-LABEL: func.func @attention_stream_lse_f64(
// CHECK-SAME:    %[[Q:.*]]: tensor<2x16x4x16xf32>
// CHECK-SAME:    %[[Q64:.*]]: tensor<?x1x4x16xf64>, %[[K64:.*]]: tensor<?x?x4x16xf64>
// CHECK:         %[[A:.*]] = tfm.attention %[[Q]], %[[Q]], %[[Q]] scale 2.500000e-01 dropout 1.000000e-01 stream 0 : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32> -> tensor<2x16x4x16xf32>{{$}}
// CHECK:         %[[B:.*]], %[[L:.*]] = tfm.attention %[[Q64]], %[[K64]], %[[K64]] causal scale 2.500000e-01 : tensor<?x1x4x16xf64>, tensor<?x?x4x16xf64>, tensor<?x?x4x16xf64> -> tensor<?x1x4x16xf64>, tensor<?x4x1xf64>{{$}}
// CHECK:         return %[[A]], %[[B]], %[[L]]
func.func @attention_stream_lse_f64(%q: tensor<2x16x4x16xf32>, %q64: tensor<?x1x4x16xf64>, %k64: tensor<?x?x4x16xf64>) -> (tensor<2x16x4x16xf32>, tensor<?x1x4x16xf64>, tensor<?x4x1xf64>) {
  %a = tfm.attention %q, %q, %q scale 0.25 dropout 0.1 stream 0 : tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32>, tensor<2x16x4x16xf32> -> tensor<2x16x4x16xf32>
  %b, %l = tfm.attention %q64, %k64, %k64 causal scale 0.25 : tensor<?x1x4x16xf64>, tensor<?x?x4x16xf64>, tensor<?x?x4x16xf64> -> tensor<?x1x4x16xf64>, tensor<?x4x1xf64>
  return %a, %b, %l : tensor<2x16x4x16xf32>, tensor<?x1x4x16xf64>, tensor<?x4x1xf64>
}

// -----

// The dropout of a gradient names the forward dropout's stream.

// CHECK-LABEL: func.func @dropout_stream(
// CHECK-SAME:    %[[X:.*]]: tensor<4x16x64xf32>, %[[DY:.*]]: tensor<4x16x64xf32>)
// CHECK:         %[[Y:.*]] = tfm.dropout %[[X]] rate 1.000000e-01 stream 5 : tensor<4x16x64xf32>
// CHECK:         %[[DX:.*]] = tfm.dropout %[[DY]] rate 1.000000e-01 stream 5 : tensor<4x16x64xf32>
// CHECK:         %[[Z:.*]] = tfm.dropout %[[X]] rate 1.000000e-01 : tensor<4x16x64xf32>
// CHECK:         return %[[Y]], %[[DX]], %[[Z]]
func.func @dropout_stream(%x: tensor<4x16x64xf32>, %dy: tensor<4x16x64xf32>) -> (tensor<4x16x64xf32>, tensor<4x16x64xf32>, tensor<4x16x64xf32>) {
  %y = tfm.dropout %x rate 0.1 stream 5 : tensor<4x16x64xf32>
  %dx = tfm.dropout %dy rate 0.1 stream 5 : tensor<4x16x64xf32>
  %z = tfm.dropout %x rate 0.1 : tensor<4x16x64xf32>
  return %y, %dx, %z : tensor<4x16x64xf32>, tensor<4x16x64xf32>, tensor<4x16x64xf32>
}

// -----

// CHECK-LABEL: func.func @rotary_embedding_inverse(
// CHECK-SAME:    %[[Q:.*]]: tensor<4x16x4x32xf32>
// CHECK-SAME:    %[[P:.*]]: tensor<4x16xi32>
// CHECK:         %[[R:.*]] = tfm.rotary_embedding %[[Q]], %[[P]] base 1.000000e+04 dims 16 : tensor<4x16x4x32xf32>, tensor<4x16xi32>
// CHECK:         %[[I:.*]] = tfm.rotary_embedding %[[R]], %[[P]] base 1.000000e+04 dims 16 inverse : tensor<4x16x4x32xf32>, tensor<4x16xi32>
// CHECK:         return %[[I]]
func.func @rotary_embedding_inverse(%q: tensor<4x16x4x32xf32>, %p: tensor<4x16xi32>) -> tensor<4x16x4x32xf32> {
  %r = tfm.rotary_embedding %q, %p base 10000.0 dims 16 : tensor<4x16x4x32xf32>, tensor<4x16xi32>
  %i = tfm.rotary_embedding %r, %p base 10000.0 dims 16 inverse : tensor<4x16x4x32xf32>, tensor<4x16xi32>
  return %i : tensor<4x16x4x32xf32>
}

//===----------------------------------------------------------------------===//
// tfm.layer backward
//===----------------------------------------------------------------------===//

// -----

// A forward layer returns its output and the input it saved for the backward
// pass; its backward twin (same index) takes the saved input and the output's
// gradient, accumulates the parameter's gradient and returns the input's.

tfm.parameter @layers.2.mlp.weight : tensor<64x64xf32> init <normal, std = 0.02> trainable weight_decay

// CHECK-LABEL: func.func @layer_backward(
// CHECK-SAME:    %[[X:.*]]: tensor<4x16x64xf32>, %[[DY:.*]]: tensor<4x16x64xf32>)
// CHECK:         %[[F:.*]]:2 = tfm.layer 2 (%[[X]]) : (tensor<4x16x64xf32>) -> (tensor<4x16x64xf32>, tensor<4x16x64xf32>) {
// CHECK:         }
// CHECK-NEXT:    %[[B:.*]] = tfm.layer 2 backward (%[[F]]#1, %[[DY]]) : (tensor<4x16x64xf32>, tensor<4x16x64xf32>) -> tensor<4x16x64xf32> {
// CHECK-NEXT:    ^bb0(%[[H:.*]]: tensor<4x16x64xf32>, %[[G:.*]]: tensor<4x16x64xf32>):
// CHECK-NEXT:      %[[W:.*]] = tfm.param_ref @layers.2.mlp.weight : tensor<64x64xf32>
// CHECK-NEXT:      %[[DW:.*]] = tfm.matmul_grad_weight %[[G]], %[[H]] batch 2 : tensor<4x16x64xf32>, tensor<4x16x64xf32> -> tensor<64x64xf32>
// CHECK-NEXT:      tfm.accumulate_grad @layers.2.mlp.weight, %[[DW]] : tensor<64x64xf32>
// CHECK-NEXT:      %[[DX:.*]] = tfm.matmul_grad_input %[[G]], %[[W]] outputs 1 : tensor<4x16x64xf32>, tensor<64x64xf32> -> tensor<4x16x64xf32>
// CHECK-NEXT:      tfm.yield %[[DX]] : tensor<4x16x64xf32>
// CHECK-NEXT:    }
// CHECK-NEXT:    return %[[F]]#0, %[[B]]
func.func @layer_backward(%x: tensor<4x16x64xf32>, %dy: tensor<4x16x64xf32>) -> (tensor<4x16x64xf32>, tensor<4x16x64xf32>) {
  %f:2 = tfm.layer 2 (%x) : (tensor<4x16x64xf32>) -> (tensor<4x16x64xf32>, tensor<4x16x64xf32>) {
  ^bb0(%h: tensor<4x16x64xf32>):
    %w = tfm.param_ref @layers.2.mlp.weight : tensor<64x64xf32>
    %y = tfm.matmul %h, %w : tensor<4x16x64xf32>, tensor<64x64xf32> -> tensor<4x16x64xf32>
    tfm.yield %y, %h : tensor<4x16x64xf32>, tensor<4x16x64xf32>
  }
  %b = tfm.layer 2 backward (%f#1, %dy) : (tensor<4x16x64xf32>, tensor<4x16x64xf32>) -> tensor<4x16x64xf32> {
  ^bb0(%h: tensor<4x16x64xf32>, %g: tensor<4x16x64xf32>):
    %w = tfm.param_ref @layers.2.mlp.weight : tensor<64x64xf32>
    %dw = tfm.matmul_grad_weight %g, %h batch 2 : tensor<4x16x64xf32>, tensor<4x16x64xf32> -> tensor<64x64xf32>
    tfm.accumulate_grad @layers.2.mlp.weight, %dw : tensor<64x64xf32>
    %dx = tfm.matmul_grad_input %g, %w outputs 1 : tensor<4x16x64xf32>, tensor<64x64xf32> -> tensor<4x16x64xf32>
    tfm.yield %dx : tensor<4x16x64xf32>
  }
  return %f#0, %b : tensor<4x16x64xf32>, tensor<4x16x64xf32>
}

// -----

// A backward layer that returns nothing (the first layer's input needs no
// gradient) has an implicit tfm.yield.

// CHECK-LABEL: func.func @layer_backward_implicit_yield(
// CHECK-NEXT:    tfm.layer 0 backward () : () -> () {
// CHECK-NEXT:    }
// CHECK-NEXT:    return
func.func @layer_backward_implicit_yield() {
  tfm.layer 0 backward () : () -> () {
  }
  return
}
